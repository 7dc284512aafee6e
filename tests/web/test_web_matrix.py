"""Authorisation matrix: every named screen × every role × revenue scope.

A new URL without a row here fails `test_every_url_is_in_the_matrix`.
"""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from choshu.ledger.models import Payment
from choshu.ledger.services import counter_payment_post
from choshu.staff.models import Role
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user

pytestmark = pytest.mark.django_db

WORKERS = {Role.CLERK, Role.OFFICER, Role.NHI_OFFICER, Role.SUPERVISOR}
POSTERS = {Role.CLERK, Role.SUPERVISOR}
PUBLIC = {"login", "logout"}
# Screens whose access does not depend on revenue scopes (the auditor's have none to speak of).
SCOPE_FREE = {"home", "audit_log", "audit_report"}

# name → (method, roles allowed with every revenue in scope, allowed for an NHI-only scope)
MATRIX: dict[str, tuple[str, set[str], bool]] = {
    "home": ("get", set(Role), True),
    "search": ("get", WORKERS, True),
    "counter": ("get", POSTERS, True),
    "ledger": ("get", WORKERS, True),  # the page opens; only in-scope revenues are listed
    "counter_payment": ("get", POSTERS, True),
    "counter_payment_total": ("get", POSTERS, True),
    "payment_detail": ("get", WORKERS, False),  # the payment is resident tax
    "receipt_pdf": ("get", WORKERS, False),
    "payment_reversal": ("post", {Role.SUPERVISOR}, False),
    "audit_log": ("get", {Role.AUDITOR}, True),
    "audit_report": ("get", {Role.AUDITOR}, True),
}


@pytest.fixture
def payment(today: date) -> Payment:
    person = make_person(atena_no="700001")
    levy = make_levy(person, [10_000], [today + timedelta(days=20)])
    make_levy(person, [5_000], [today + timedelta(days=20)], revenue="nhi")
    return counter_payment_post(
        actor=make_user(Role.CLERK),
        person=person,
        installment_ids=[levy.installments.get().pk],
        amount=10_000,
        paid_on=today,
    )


def _url(name: str, payment: Payment) -> str:
    if name.startswith("payment") or name == "receipt_pdf":
        return reverse(name, kwargs={"payment_id": payment.pk})
    if name in {"ledger", "counter_payment", "counter_payment_total"}:
        return reverse(name, kwargs={"atena_no": "700001"})
    return reverse(name) + ("?q=700001" if name in {"search", "counter"} else "")


def test_every_url_is_in_the_matrix() -> None:
    names = {p.name for p in get_resolver().url_patterns[0].url_patterns if p.name}  # type: ignore[attr-defined]
    assert names - PUBLIC == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("scopes", ["all", "nhi", "none"])
def test_role_and_scope(client: Client, payment: Payment, name: str, role: str, scopes: str) -> None:
    method, allowed_roles, nhi_only_allowed = MATRIX[name]
    scope_list = {"all": ALL_REVENUES, "nhi": ["nhi"], "none": []}[scopes]
    client.force_login(make_user(role, scope_list))
    response = getattr(client, method)(_url(name, payment))
    allowed = (name in SCOPE_FREE and role in allowed_roles) or (
        role in allowed_roles and scopes != "none" and (scopes == "all" or nhi_only_allowed)
    )
    if allowed:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == 403
    assert Payment.objects.filter(reverses__isnull=False).count() == 0  # an empty reason reverses nothing


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_goes_to_login(client: Client, payment: Payment, name: str) -> None:
    method = MATRIX[name][0]
    response = getattr(client, method)(_url(name, payment))
    assert response.status_code == 302 and response["Location"].startswith("/login/")

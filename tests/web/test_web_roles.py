from datetime import date, timedelta

import pytest
from django.test import Client

from choshu.ledger.models import Payment
from choshu.ledger.services import counter_payment_post
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(today: date) -> Payment:
    person = make_person(atena_no="500001")
    levy = make_levy(person, [10_000], [today + timedelta(days=20)])
    return counter_payment_post(
        actor=make_user(Role.CLERK),
        person=person,
        installment_ids=[levy.installments.get().pk],
        amount=10_000,
        paid_on=today,
    )


def _personal_data_urls(payment: Payment) -> list[str]:
    return [
        "/search/?q=500001",
        "/counter/",
        "/persons/500001/",
        "/persons/500001/counter/",
        "/persons/500001/counter/total/",
        f"/payments/{payment.pk}/",
        f"/payments/{payment.pk}/receipt.pdf",
    ]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_auditor_and_admin_see_no_personal_data(client_for, paid: Payment, role: str) -> None:
    client: Client = client_for(role)
    for url in _personal_data_urls(paid):
        assert client.get(url).status_code == 403, url
    home = client.get("/")
    assert home.status_code == 200
    body = home.content.decode()
    assert 'href="/search/"' not in body and 'href="/counter/"' not in body
    assert "個人情報を含む画面は利用できません" in body


def test_anonymous_is_sent_to_login(client: Client, paid: Payment) -> None:
    for url in ["/", *_personal_data_urls(paid)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


@pytest.mark.parametrize("role", [Role.CLERK, Role.OFFICER, Role.NHI_OFFICER, Role.SUPERVISOR])
def test_working_roles_can_search(client_for, paid: Payment, role: str) -> None:
    client: Client = client_for(role)
    response = client.get("/search/", {"q": "500001"})
    assert response.status_code == 200
    assert "500001" in response.content.decode()


def test_user_without_scopes_sees_nothing(client_for, paid: Payment) -> None:
    client: Client = client_for(Role.CLERK, ())
    assert client.get("/search/?q=500001").status_code == 403
    assert client.get("/persons/500001/").status_code == 403


@pytest.mark.parametrize("role", [Role.OFFICER, Role.NHI_OFFICER])
def test_officers_cannot_post_payments(client_for, paid: Payment, role: str) -> None:
    client: Client = client_for(role)
    assert client.get("/counter/").status_code == 403
    assert client.get("/persons/500001/counter/").status_code == 403
    response = client.post("/persons/500001/counter/", {"installment_ids": ["1"], "amount": "100"})
    assert response.status_code == 403
    assert Payment.objects.count() == 1
    ledger = client.get("/persons/500001/").content.decode()
    assert "/persons/500001/counter/" not in ledger  # no posting button
    assert 'href="/counter/"' not in ledger  # no 収納 in the navigation


def test_payment_outside_scope_is_403(client_for, paid: Payment) -> None:
    client: Client = client_for(Role.NHI_OFFICER, ("nhi",))
    assert client.get(f"/payments/{paid.pk}/").status_code == 403
    assert client.get(f"/payments/{paid.pk}/receipt.pdf").status_code == 403


def test_navigation_shows_user_and_role(client: Client) -> None:
    user = make_user(Role.SUPERVISOR, username="kakaricho1")
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "kakaricho1" in body and "係長" in body
    assert "ダッシュボード" in body and "宛名検索" in body and 'href="/counter/"' in body
    assert "ログアウト" in body

"""Overpayments (過誤納金) on the person's ledger keep to the user's revenue scope: one tied to an
installment follows that installment's revenue; one without an installment is shown only if the
payment it came from was allocated to a revenue in scope, or to a user holding every revenue."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from choshu.ledger.models import Channel, Overpayment, Payment
from choshu.ledger.selectors import person_ledger
from choshu.ledger.services import counter_payment_post, levy_revise
from choshu.people.models import Person
from choshu.staff.models import Role
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def person() -> Person:
    today = timezone.localdate()
    due = today + timedelta(days=30)
    person = make_person(atena_no="820001")
    resident = make_levy(person, [10_000], [due])
    nhi = make_levy(person, [5_000], [due], revenue="nhi")
    clerk = make_user(Role.CLERK)
    # 12,000 for a 10,000 installment: 2,000 excess, tied to no installment (resident-tax money).
    counter_payment_post(
        actor=clerk, person=person, installment_ids=[resident.installments.get().pk], amount=12_000, paid_on=today
    )
    # NHI paid in full, then lowered to 4,000: 1,000 released, tied to the NHI installment.
    counter_payment_post(
        actor=clerk, person=person, installment_ids=[nhi.installments.get().pk], amount=5_000, paid_on=today
    )
    levy_revise(actor=None, levy=nhi, revision_no=1, revised_on=today, installments={1: (due, 4_000)})
    # Money that reached no installment at all (a bank transfer with no slip), kept as overpayment.
    stray = Payment.objects.create(person=person, channel=Channel.BANK, amount=3_000, paid_on=today, accounted_on=today)
    Overpayment.objects.create(
        person=person, payment=stray, reason=Overpayment.Reason.EXCESS, amount=3_000, arose_on=today
    )
    return person


def _amounts(person: Person, revenues: list[str]) -> list[int]:
    ledger = person_ledger(person=person, as_of=timezone.localdate(), revenues=revenues)
    return sorted(o.amount for o in ledger.overpayments)


def test_each_scope_sees_its_own_overpayments(person: Person) -> None:
    assert _amounts(person, ["nhi"]) == [1_000]  # not the resident-tax excess, not the stray money
    assert _amounts(person, ["resident_ordinary"]) == [2_000]
    assert _amounts(person, ["resident_ordinary", "nhi"]) == [1_000, 2_000]
    assert _amounts(person, ALL_REVENUES) == [1_000, 2_000, 3_000]  # every revenue: the stray one too


def test_an_nhi_officer_does_not_see_the_resident_tax_overpayment_on_screen(client: Client, person: Person) -> None:
    client.force_login(make_user(Role.NHI_OFFICER, ["nhi"]))
    response = client.get("/persons/820001/")
    assert response.status_code == 200
    assert [o.amount for o in response.context["ledger"].overpayments] == [1_000]
    client.force_login(make_user(Role.SUPERVISOR, ALL_REVENUES))
    shown = client.get("/persons/820001/").context["ledger"].overpayments
    assert sorted(o.amount for o in shown) == [1_000, 2_000, 3_000]

from datetime import date, timedelta

import pytest
from django.test import Client

from choshu.ledger.models import Installment
from choshu.ledger.services import counter_payment_post
from choshu.people.models import Person
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db


def _person_with_levies(today: date, levies: int = 3, payments: int = 2) -> Person:
    """`levies` levies of 3 installments (the first long overdue), `payments` counter payments each."""
    person = make_person(atena_no=f"77{levies:03d}{payments:03d}")
    clerk = make_user(Role.CLERK)
    revenues = ["resident_ordinary", "light_vehicle", "nhi", "resident_special"]
    for n in range(levies):
        dues = [today - timedelta(days=400), today - timedelta(days=100), today + timedelta(days=60)]
        levy = make_levy(person, [30_000, 30_000, 30_000], dues, revenue=revenues[n % 4], fiscal_year=2024 + n % 2)
        first = levy.installments.get(installment_no=1)
        for k in range(payments):
            counter_payment_post(
                actor=clerk, person=person, installment_ids=[first.pk], amount=1_000 + k, paid_on=today
            )
    return person


def test_ledger_page_shows_installments_payments_and_totals(client_for, today: date) -> None:
    person = make_person(name="収納 次郎")
    levy = make_levy(person, [65_000, 1_234_567], [today - timedelta(days=30), today + timedelta(days=30)])
    first = levy.installments.get(installment_no=1)
    counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[first.pk], amount=5_000, paid_on=today
    )
    client: Client = client_for(Role.CLERK)
    response = client.get(f"/persons/{person.atena_no}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "収納 次郎" in body
    assert "1,234,567" in body and "60,000" in body  # amounts with separators; 65,000 − 5,000
    assert "1,294,567" in body  # total balance
    assert "一部納付" in body and "納期未到来" in body
    assert "個人住民税(普通徴収)" in body
    assert "窓口" in body and "5,000" in body  # the payment and its allocation
    ledger = response.context["ledger"]
    assert ledger.total_balance == 65_000 + 1_234_567 - 5_000


def test_due_dates_are_wareki_with_seireki_title(client_for) -> None:
    person = make_person()
    make_levy(person, [10_000], [date(2025, 6, 30)])
    body = client_for(Role.OFFICER).get(f"/persons/{person.atena_no}/").content.decode()
    assert '<time datetime="2025-06-30" title="2025-06-30">R7.6.30</time>' in body
    assert "令和7年度" in body


def test_nhi_officer_sees_only_nhi(client_for, today: date) -> None:
    person = make_person()
    make_levy(person, [11_111], [today + timedelta(days=10)], revenue="resident_ordinary")
    make_levy(person, [22_222], [today + timedelta(days=10)], revenue="nhi")
    body = client_for(Role.NHI_OFFICER, ("nhi",)).get(f"/persons/{person.atena_no}/").content.decode()
    assert "22,222" in body and "国民健康保険料" in body
    assert "11,111" not in body and "個人住民税" not in body


def test_unknown_person_is_404(client_for) -> None:
    assert client_for(Role.CLERK).get("/persons/999999999/").status_code == 404


def _ledger_queries(client: Client, person: Person, django_assert_num_queries, expected: int) -> None:
    with django_assert_num_queries(expected):
        response = client.get(f"/persons/{person.atena_no}/")
    assert response.status_code == 200


# session, user, person, installments, principal history, late fees paid, late-fee waivers,
# allocations, payments, overpayments, payments pending (速報), the access-log entry (savepoint,
# lock the head, insert, update the head, release), and the session save
# (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release)
LEDGER_QUERIES = 19


def test_ledger_query_count_is_pinned(client_for, today: date, django_assert_num_queries) -> None:
    small = _person_with_levies(today, levies=3, payments=2)
    large = _person_with_levies(today, levies=12, payments=5)
    assert Installment.objects.filter(levy__person=large).count() == 36
    client: Client = client_for(Role.SUPERVISOR)
    _ledger_queries(client, small, django_assert_num_queries, LEDGER_QUERIES)
    _ledger_queries(client, large, django_assert_num_queries, LEDGER_QUERIES)

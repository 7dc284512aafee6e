"""Late-fee waivers (延滞金の免除) for a deferral (猶予) or a suspension (執行停止): storage, the
selector, and their effect on a person's ledger, on allocation and on a revision.

Amounts are law.md §1.4 V1 (65,000 yen due 2021-05-31; 3,400 paid on 2022-01-31) with waivers,
hand-computed in tests/rules/test_latefee.py:
- full 2021-09-01–10-31: 133 + 971 + 0 + 955 + 480 = 2,539 → 2,500;
- full from 2021-11-01, still in force on 2022-01-31: 133 + 1,927 = 2,060 → 2,000.
"""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from choshu.ledger.models import Allocation, Installment, LateFeeWaiver, Overpayment
from choshu.ledger.selectors import person_ledger
from choshu.ledger.services import LedgerError, counter_payment_post, levy_revise
from choshu.ledger.verify import ledger_violations
from choshu.ledger.waivers import (
    late_fee_waivers_cancel,
    late_fee_waivers_end,
    late_fee_waivers_record,
    waivers_of,
)
from choshu.people.models import Person
from choshu.rules.latefee import Waiver
from choshu.rules.revenue import REVENUES
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DUE, PAID = date(2021, 5, 31), date(2022, 1, 31)


def _v1(person: Person | None = None, n: int = 1) -> list[Installment]:
    levy = make_levy(person or make_person(), [65_000] * n, [DUE] * n, fiscal_year=2021)
    return list(levy.installments.order_by("installment_no"))


def _record(ids: list[int], starts_on: date, ends_on: date | None, kind: str = "full", source: str = "x:1") -> int:
    return late_fee_waivers_record(installment_ids=ids, starts_on=starts_on, ends_on=ends_on, kind=kind, source=source)


# ---- storage ------------------------------------------------------------------------------------


def test_record_writes_one_row_per_installment() -> None:
    a, b = _v1(n=2)
    assert _record([a.pk, b.pk, a.pk], date(2021, 9, 1), None, "half", "deferral:12") == 2
    rows = LateFeeWaiver.objects.order_by("installment_id")
    assert [(r.installment_id, r.starts_on, r.ends_on, r.kind, r.source) for r in rows] == [
        (a.pk, date(2021, 9, 1), None, "half", "deferral:12"),
        (b.pk, date(2021, 9, 1), None, "half", "deferral:12"),
    ]
    assert rows[0].get_kind_display() == "2分の1免除"
    assert list(a.late_fee_waivers.all()) == [rows[0]]
    assert _record([], date(2021, 9, 1), None) == 0


def test_record_refuses_bad_input() -> None:
    (a,) = _v1()
    with pytest.raises(ValueError, match="unknown waiver kind"):
        _record([a.pk], date(2021, 9, 1), None, kind="none")
    with pytest.raises(ValueError, match="before it starts"):
        _record([a.pk], date(2021, 9, 1), date(2021, 8, 31))
    with pytest.raises(ValueError, match="source"):
        _record([a.pk], date(2021, 9, 1), None, source="")
    with pytest.raises(ValueError, match="unknown installment"):
        _record([a.pk, a.pk + 10_000], date(2021, 9, 1), None)
    assert not LateFeeWaiver.objects.exists()


def test_database_checks_period_and_kind() -> None:
    (a,) = _v1()
    for bad in (
        {"starts_on": date(2021, 9, 1), "ends_on": date(2021, 8, 31), "kind": "full"},
        {"starts_on": date(2021, 9, 1), "ends_on": None, "kind": "third"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            LateFeeWaiver.objects.create(installment=a, source="x:1", **bad)


def test_end_never_extends_a_waiver_past_the_day() -> None:
    a, b = _v1(n=2)
    _record([a.pk], date(2021, 9, 1), None, source="suspension:3")  # open
    _record([b.pk], date(2021, 9, 1), date(2021, 12, 31), source="suspension:3")  # ends later
    _record([b.pk], date(2021, 6, 1), date(2021, 6, 30), source="suspension:3")  # ends earlier: kept
    _record([b.pk], date(2021, 11, 1), None, source="suspension:3")  # starts later: never took effect
    _record([a.pk], date(2021, 9, 1), None, source="deferral:12")  # another source: kept
    assert late_fee_waivers_end(source="suspension:3", on=date(2021, 10, 15)) == 3
    assert waivers_of([a.pk, b.pk]) == {
        a.pk: [Waiver(date(2021, 9, 1), date(2021, 10, 15), "full"), Waiver(date(2021, 9, 1), None, "full")],
        b.pk: [
            Waiver(date(2021, 6, 1), date(2021, 6, 30), "full"),
            Waiver(date(2021, 9, 1), date(2021, 10, 15), "full"),
        ],
    }
    assert LateFeeWaiver.objects.filter(source="suspension:3", cancelled_at__isnull=False).count() == 1
    assert late_fee_waivers_end(source="suspension:3", on=date(2021, 10, 15)) == 0  # idempotent


def test_cancel_keeps_the_rows_as_history() -> None:
    a, b = _v1(n=2)
    _record([a.pk, b.pk], date(2021, 9, 1), None, source="deferral:12")
    _record([a.pk], date(2021, 11, 1), None, source="suspension:3")
    assert late_fee_waivers_cancel(source="deferral:12") == 2
    assert late_fee_waivers_cancel(source="deferral:12") == 0
    assert LateFeeWaiver.objects.count() == 3
    assert waivers_of([a.pk, b.pk]) == {a.pk: [Waiver(date(2021, 11, 1), None, "full")]}


def test_waivers_of_is_one_query(django_assert_num_queries) -> None:
    person = make_person()
    insts = _v1(person, n=3) + _v1(person, n=3)
    for i, inst in enumerate(insts):
        _record([inst.pk], date(2021, 7, 1 + i), None, "half" if i % 2 else "full", f"deferral:{i}")
    with django_assert_num_queries(1):
        found = waivers_of(i.pk for i in insts)
    assert sorted(found) == sorted(i.pk for i in insts)
    assert found[insts[1].pk] == [Waiver(date(2021, 7, 2), None, "half")]
    assert waivers_of([]) == {}


# ---- effect on the ledger -----------------------------------------------------------------------


def test_person_ledger_applies_the_waivers() -> None:
    person = make_person()
    waived, plain = _v1(person, n=2)
    _record([waived.pk], date(2021, 11, 1), None, source="suspension:3")
    ledger = person_ledger(person=person, as_of=PAID, revenues=REVENUES)
    by_id = {line.installment_id: line for line in ledger.installments}
    assert (by_id[plain.pk].late_fee, by_id[plain.pk].late_fee_waivers) == (3_400, ())
    line = by_id[waived.pk]
    assert (line.late_fee, line.late_fee_fixed) == (2_000, False)
    assert line.late_fee_waivers == (Waiver(date(2021, 11, 1), None, "full"),)
    assert ledger.total_late_fee == 5_400
    # Ended on 2021-12-31 instead: 2022-01 is charged again, 2,060 + 480 = 2,540 → 2,500.
    late_fee_waivers_end(source="suspension:3", on=date(2021, 12, 31))
    line = person_ledger(person=person, as_of=PAID, revenues=REVENUES).installments[0]
    assert (line.installment_id, line.late_fee) == (waived.pk, 2_500)


def test_ledger_page_shows_the_waived_late_fee(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("choshu.web.views._today", lambda: PAID)
    person = make_person()
    (inst,) = _v1(person)
    client.force_login(make_user(Role.CLERK))
    assert client.get(f"/persons/{person.atena_no}/").context["ledger"].total_late_fee == 3_400
    _record([inst.pk], date(2021, 11, 1), None, source="suspension:3")
    response = client.get(f"/persons/{person.atena_no}/")
    assert response.status_code == 200
    assert response.context["ledger"].total_late_fee == 2_000
    assert 'data-testid="total-late-fee">2,000<' in response.content.decode()


def test_payment_takes_only_the_waived_fee() -> None:
    person = make_person()
    (inst,) = _v1(person)
    _record([inst.pk], date(2021, 9, 1), date(2021, 10, 31), source="suspension:3")
    payment = counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[inst.pk], amount=65_000 + 3_400, paid_on=PAID
    )
    assert list(payment.allocations.values_list("kind", "amount")) == [("principal", 65_000), ("late_fee", 2_500)]
    assert Overpayment.objects.get(payment=payment).amount == 900
    line = person_ledger(person=person, as_of=date(2022, 3, 1), revenues=REVENUES).installments[0]
    assert (line.late_fee, line.late_fee_fixed, line.late_fee_balance, line.status) == (2_500, True, 0, "paid")
    assert ledger_violations(as_of=date(2022, 3, 1)) == []


def test_record_refuses_a_waiver_over_a_fee_already_paid() -> None:
    person = make_person()
    (inst,) = _v1(person)
    counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[inst.pk], amount=65_000 + 3_400, paid_on=PAID
    )
    with pytest.raises(LedgerError, match="延滞金を納付済み"):
        _record([inst.pk], date(2021, 9, 1), None)
    assert _record([inst.pk], date(2022, 2, 1), None) == 1  # after the fee's days: no effect, allowed
    line = person_ledger(person=person, as_of=date(2022, 3, 1), revenues=REVENUES).installments[0]
    assert (line.late_fee, line.late_fee_balance) == (3_400, 0)


def test_revision_releases_late_fee_by_the_waived_amount() -> None:
    person = make_person()
    (inst,) = _v1(person)
    _record([inst.pk], date(2021, 9, 1), date(2021, 10, 31), source="suspension:3")
    counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[inst.pk], amount=65_000 + 2_500, paid_on=PAID
    )
    # Lowered to 60,000: 6/1–6/30 123; 7/1–8/31 896; 9/1–10/31 waived; 11/1–12/31 882; 2022-1 443;
    # sum 2,344 → 2,300, so 200 of the 2,500 paid is released (without the waiver: 3,200, none).
    overpayments = levy_revise(
        actor=None, levy=inst.levy, revision_no=1, revised_on=date(2022, 3, 1), installments={1: (DUE, 60_000)}
    )
    released = {
        (o.amount, kind)
        for o in overpayments
        for kind in Allocation.objects.filter(installment=inst, amount=-o.amount).values_list("kind", flat=True)
    }
    assert released == {(5_000, "principal"), (200, "late_fee")}
    line = person_ledger(person=person, as_of=date(2022, 3, 1), revenues=REVENUES).installments[0]
    assert (line.late_fee, line.late_fee_paid, line.late_fee_balance) == (2_300, 2_300, 0)
    assert ledger_violations(as_of=date(2022, 3, 1)) == []

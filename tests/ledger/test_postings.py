from datetime import date

import pytest

from choshu.ledger.models import Allocation, Overpayment, Payment, Suspense
from choshu.ledger.postings import Posting, payments_post
from choshu.ledger.services import counter_payment_post, payment_reverse, suspense_resolve
from choshu.ledger.verify import ledger_violations
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DUES = [date(2025, 6, 30), date(2025, 9, 1)]
TODAY = date(2025, 10, 15)


def _installments(amounts=(65_000, 65_000)):
    person = make_person()
    levy = make_levy(person, list(amounts), DUES[: len(amounts)])
    return person, list(levy.installments.order_by("installment_no"))


def _post(postings):
    ids = payments_post(actor=None, postings=postings, accounted_on=TODAY)
    found = Payment.objects.in_bulk(ids)
    return [found[pk] for pk in ids]


def _rows(payment):
    return list(payment.allocations.order_by("pk").values_list("installment_id", "kind", "reason", "amount"))


def test_principal_then_fixed_late_fee_then_overpayment_then_suspense():
    _person, (first, second) = _installments()
    postings = [
        Posting(
            channel="cvs", amount=65_000 + 1_100, paid_on=date(2025, 9, 30), reference="a", installment_id=first.pk
        ),
        Posting(channel="cvs", amount=30_000, paid_on=date(2025, 8, 1), reference="b", installment_id=second.pk),
        Posting(channel="cvs", amount=5_000, paid_on=date(2025, 8, 1), reference="c", suspense_reason="no key"),
    ]
    a, b, c = _post(postings)
    # 65,000 late by 92 days: 1,088 → 1,000 fixed (the counter-payment test computes the same fee)
    assert _rows(a) == [(first.pk, "principal", "allocate", 65_000), (first.pk, "late_fee", "allocate", 1_000)]
    assert Overpayment.objects.get(payment=a).amount == 100
    assert _rows(b) == [(second.pk, "principal", "allocate", 30_000)]
    assert c.person_id is None and Suspense.objects.get(payment=c).amount == 5_000
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.balance, second.balance) == (0, 35_000)
    assert ledger_violations(as_of=TODAY) == []


def test_two_postings_for_one_installment_in_one_batch_take_principal_in_date_order():
    _person, (first, _second) = _installments()
    later, earlier = _post(
        [
            Posting(channel="cvs", amount=40_000, paid_on=date(2025, 6, 20), reference="l", installment_id=first.pk),
            Posting(channel="cvs", amount=40_000, paid_on=date(2025, 6, 10), reference="e", installment_id=first.pk),
        ]
    )
    assert _rows(earlier) == [(first.pk, "principal", "allocate", 40_000)]
    assert _rows(later) == [(first.pk, "principal", "allocate", 25_000)]
    assert Overpayment.objects.get(payment=later).amount == 15_000
    assert ledger_violations(as_of=TODAY) == []


def test_back_dated_money_reposts_the_later_payment_with_a_smaller_late_fee():
    person, (first,) = _installments((300_000,))
    counter = counter_payment_post(
        actor=make_user(Role.CLERK),
        person=person,
        installment_ids=[first.pk],
        amount=300_000 + 4_900,  # 300,000 late 7/1–9/30: 611 + 4,361 = 4,972 → 4,900
        paid_on=date(2025, 9, 30),
    )
    assert _rows(counter)[-1] == (first.pk, "late_fee", "allocate", 4_900)
    # The store took 200,000 on 7/10; its 確報 arrives after the counter payment was posted.
    (store,) = _post(
        [Posting(channel="cvs", amount=200_000, paid_on=date(2025, 7, 10), reference="s", installment_id=first.pk)]
    )
    assert _rows(store) == [(first.pk, "principal", "allocate", 200_000)]
    undone, reposted = _rows(counter)[2:4], _rows(counter)[4:]
    assert sorted(undone) == [(first.pk, "late_fee", "repost", -4_900), (first.pk, "principal", "repost", -300_000)]
    # 300,000 over 7/1–7/10, then 100,000 until 9/30: 1,700
    assert reposted == [(first.pk, "principal", "allocate", 100_000), (first.pk, "late_fee", "allocate", 1_700)]
    over = Overpayment.objects.get(payment=counter)
    assert (over.amount, over.installment_id, over.arose_on) == (304_900 - 101_700, first.pk, date(2025, 9, 30))
    first.refresh_from_db()
    assert first.balance == 0
    assert sum(Allocation.objects.filter(installment=first, kind="late_fee").values_list("amount", flat=True)) == 1_700
    assert ledger_violations(as_of=TODAY) == []


def test_posting_for_a_missing_installment_is_held_in_suspense():
    (payment,) = _post(
        [Posting(channel="cvs", amount=1_000, paid_on=date(2025, 7, 1), reference="x", installment_id=999_999)]
    )
    assert payment.person_id is None
    assert Suspense.objects.get(payment=payment).reason == "該当する期別がありません"
    assert ledger_violations(as_of=TODAY) == []


def test_a_reposted_payment_can_be_reversed_and_the_ledger_stays_whole():
    person, (first,) = _installments((300_000,))
    counter = counter_payment_post(
        actor=make_user(Role.CLERK),
        person=person,
        installment_ids=[first.pk],
        amount=304_900,
        paid_on=date(2025, 9, 30),
    )
    (store,) = _post(
        [Posting(channel="cvs", amount=200_000, paid_on=date(2025, 7, 10), reference="s", installment_id=first.pk)]
    )
    mirror = payment_reverse(actor=make_user(Role.SUPERVISOR), payment=counter, reason="二重収納")
    # Only the allocations made after the repost are mirrored: 100,000 principal and 1,700 late fee.
    assert sorted(_rows(mirror)) == [
        (first.pk, "late_fee", "reverse", -1_700),
        (first.pk, "principal", "reverse", -100_000),
    ]
    first.refresh_from_db()
    assert first.paid_principal == 200_000
    assert Overpayment.objects.filter(payment=mirror).get().amount == -(304_900 - 101_700)
    assert ledger_violations(as_of=TODAY) == []
    payment_reverse(actor=make_user(Role.SUPERVISOR), payment=store, reason="誤収納")
    first.refresh_from_db()
    assert first.paid_principal == 0
    assert ledger_violations(as_of=TODAY) == []


def test_old_suspense_money_resolved_by_hand_reposts_the_later_payment():
    person, (first,) = _installments((300_000,))
    clerk = make_user(Role.CLERK)
    counter = counter_payment_post(
        actor=clerk, person=person, installment_ids=[first.pk], amount=304_900, paid_on=date(2025, 9, 30)
    )
    (held,) = _post([Posting(channel="cvs", amount=200_000, paid_on=date(2025, 7, 10), reference="h")])
    applied = suspense_resolve(
        actor=clerk, suspense=Suspense.objects.get(payment=held), person=person, installment_ids=[first.pk]
    )
    assert applied == 200_000
    assert _rows(held) == [(first.pk, "principal", "allocate", 200_000)]
    # The counter payment is reposted as in the back-dated 確報 case: 100,000 and a 1,700 late fee.
    assert _rows(counter)[4:] == [
        (first.pk, "principal", "allocate", 100_000),
        (first.pk, "late_fee", "allocate", 1_700),
    ]
    assert ledger_violations(as_of=TODAY) == []


def test_a_counter_payment_entered_late_goes_before_the_later_store_payment():
    person, (first,) = _installments((300_000,))
    (store,) = _post(
        [Posting(channel="cvs", amount=304_900, paid_on=date(2025, 9, 30), reference="s", installment_id=first.pk)]
    )
    counter = counter_payment_post(
        actor=make_user(Role.CLERK),
        person=person,
        installment_ids=[first.pk],
        amount=200_000,
        paid_on=date(2025, 7, 10),
    )
    assert _rows(counter) == [(first.pk, "principal", "allocate", 200_000)]
    assert _rows(store)[4:] == [(first.pk, "principal", "allocate", 100_000), (first.pk, "late_fee", "allocate", 1_700)]
    assert Overpayment.objects.get(payment=store).amount == 304_900 - 101_700
    assert ledger_violations(as_of=TODAY) == []

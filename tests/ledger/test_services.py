from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from choshu.ledger.models import Allocation, Installment, Overpayment, Payment
from choshu.ledger.selectors import person_ledger
from choshu.ledger.services import (
    LedgerError,
    counter_payment_post,
    levy_revise,
    overpayment_appropriate,
    overpayment_refund,
    payment_hold_in_suspense,
    payment_reverse,
    suspense_resolve,
)
from choshu.ledger.verify import ledger_violations
from choshu.rules.revenue import REVENUES
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DUES = [date(2025, 6, 30), date(2025, 9, 1)]


def _setup():
    person = make_person()
    levy = make_levy(person, [65_000, 65_000], DUES)
    return person, list(levy.installments.order_by("installment_no"))


def test_counter_payment_allocates_principal_then_fixed_late_fee_then_overpayment():
    person, (first, second) = _setup()
    clerk = make_user(Role.CLERK)
    # Paid 2025-09-30: the first installment is 92 days late → a fixed fee; pay it too, and 1,000 extra.
    payment = counter_payment_post(
        actor=clerk, person=person, installment_ids=[first.pk], amount=65_000 + 1_100 + 1_000, paid_on=date(2025, 9, 30)
    )
    rows = list(payment.allocations.values_list("installment_id", "kind", "amount"))
    # 7/1–7/30 @2.4% on 65,000 → 128; 7/31–9/30 (62 days) @8.7% → 960; 1,088 → 1,000.
    assert rows == [(first.pk, "principal", 65_000), (first.pk, "late_fee", 1_000)]
    over = Overpayment.objects.get(payment=payment)
    assert over.amount == 1_100 and over.reason == "excess"
    ledger = person_ledger(person=person, as_of=date(2025, 10, 1), revenues=REVENUES)
    line = ledger.installments[0]
    assert (line.balance, line.late_fee, line.late_fee_fixed, line.status) == (0, 1_000, True, "paid")
    assert ledger_violations(as_of=date(2025, 10, 1)) == []


def test_counter_payment_oldest_first_and_partial():
    person, (first, second) = _setup()
    payment = counter_payment_post(
        actor=make_user(Role.CLERK),
        person=person,
        installment_ids=[second.pk, first.pk],
        amount=70_000,
        paid_on=date(2025, 6, 30),
    )
    assert list(payment.allocations.values_list("installment_id", "amount")) == [(first.pk, 65_000), (second.pk, 5_000)]
    second.refresh_from_db()
    assert second.balance == 60_000


@pytest.mark.parametrize("role", [Role.OFFICER, Role.NHI_OFFICER, Role.AUDITOR, Role.ADMIN])
def test_only_clerks_and_supervisors_post(role):
    person, (first, _) = _setup()
    with pytest.raises(PermissionDenied):
        counter_payment_post(
            actor=make_user(role), person=person, installment_ids=[first.pk], amount=1, paid_on=DUES[0]
        )
    assert not Payment.objects.exists()


def test_posting_outside_the_revenue_scope_is_refused():
    person, (first, _) = _setup()
    with pytest.raises(PermissionDenied):
        counter_payment_post(
            actor=make_user(Role.CLERK, scopes=["nhi"]),
            person=person,
            installment_ids=[first.pk],
            amount=1,
            paid_on=DUES[0],
        )


def test_bad_counter_input_is_refused_and_changes_nothing():
    person, (first, _) = _setup()
    other = make_person()
    clerk = make_user(Role.CLERK)
    with pytest.raises(LedgerError):
        counter_payment_post(actor=clerk, person=person, installment_ids=[first.pk], amount=0, paid_on=DUES[0])
    with pytest.raises(LedgerError):
        counter_payment_post(actor=clerk, person=other, installment_ids=[first.pk], amount=10, paid_on=DUES[0])
    with pytest.raises(LedgerError):
        counter_payment_post(
            actor=clerk, person=person, installment_ids=[first.pk], amount=10, paid_on=date(2999, 1, 1)
        )
    assert not Payment.objects.exists() and not Allocation.objects.exists()


def test_reversal_is_a_mirror_by_a_supervisor_once():
    person, (first, _) = _setup()
    payment = counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[first.pk], amount=70_000, paid_on=DUES[0]
    )
    with pytest.raises(PermissionDenied):
        payment_reverse(actor=make_user(Role.CLERK), payment=payment, reason="誤入力")
    boss = make_user(Role.SUPERVISOR)
    mirror = payment_reverse(actor=boss, payment=payment, reason="誤入力")
    assert mirror.amount == -70_000 and mirror.reverses == payment
    first.refresh_from_db()
    assert first.paid_principal == 0
    assert Overpayment.objects.filter(reverses__payment=payment).exists()
    with pytest.raises(LedgerError):
        payment_reverse(actor=boss, payment=payment, reason="二重")
    with pytest.raises(LedgerError):
        payment_reverse(actor=boss, payment=mirror, reason="取消の取消")
    assert ledger_violations(as_of=date(2025, 7, 1)) == []


def test_revision_below_paid_creates_overpayment_then_appropriation_and_refund():
    person, (first, second) = _setup()
    clerk = make_user(Role.CLERK)
    counter_payment_post(actor=clerk, person=person, installment_ids=[first.pk], amount=65_000, paid_on=DUES[0])
    levy = first.levy
    overs = levy_revise(
        actor=None,
        levy=levy,
        revision_no=1,
        revised_on=date(2025, 7, 15),
        installments={1: (DUES[0], 40_000), 2: (DUES[1], 40_000)},
    )
    assert [(o.amount, o.reason, o.arose_on) for o in overs] == [(25_000, "revision", date(2025, 7, 15))]
    first.refresh_from_db()
    assert (first.amount, first.paid_principal) == (40_000, 40_000)
    # Appropriated when the second installment falls due: effective on its due date, so no late fee.
    appropriation = overpayment_appropriate(actor=None, overpayment=overs[0], decided_on=date(2025, 9, 10))
    assert appropriation is not None
    line = appropriation.allocations.get()
    assert (line.installment_id, line.amount, line.effective_on) == (second.pk, 25_000, date(2025, 9, 1))
    second.refresh_from_db()
    assert second.balance == 15_000
    with pytest.raises(LedgerError):
        overpayment_refund(actor=make_user(Role.SUPERVISOR), overpayment=overs[0], decided_on=date(2025, 9, 10))
    assert ledger_violations(as_of=date(2025, 9, 10)) == []


def test_revision_sequence_is_enforced():
    person, (first, _) = _setup()
    with pytest.raises(LedgerError):
        levy_revise(actor=None, levy=first.levy, revision_no=2, revised_on=date(2025, 7, 1), installments={})
    with pytest.raises(LedgerError):
        levy_revise(
            actor=None, levy=first.levy, revision_no=1, revised_on=date(2025, 7, 1), installments={1: (DUES[0], 1)}
        )


def test_refund_with_interest_by_class_after_a_supervisor_decides():
    person = make_person()
    (only,) = make_levy(person, [65_000], DUES[:1]).installments.all()
    payment = counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[only.pk], amount=1_065_000, paid_on=DUES[0]
    )
    over = Overpayment.objects.get(payment=payment)
    # Nothing else is due → no appropriation. Money paid beyond what was due (誤納, 17条の4第1項第4号):
    # interest from the day after one month has elapsed since payment (7/30), through the decision.
    assert overpayment_appropriate(actor=None, overpayment=over, decided_on=date(2025, 7, 1)) is None
    with pytest.raises(PermissionDenied):
        overpayment_refund(actor=make_user(Role.CLERK), overpayment=over, decided_on=date(2026, 6, 30))
    refund = overpayment_refund(actor=make_user(Role.SUPERVISOR), overpayment=over, decided_on=date(2026, 6, 30))
    # 2025-07-31..12-31: 154 days @0.9% → 3,797; 2026-01-01..06-30: 181 days @1.3% → 6,446; 10,243 → 10,200
    assert (refund.amount, refund.interest) == (1_000_000, 10_200)
    with pytest.raises(LedgerError):
        overpayment_refund(actor=make_user(Role.SUPERVISOR), overpayment=over, decided_on=date(2026, 7, 1))
    assert ledger_violations(as_of=date(2026, 6, 30)) == []


def test_a_refund_is_refused_while_the_person_owes_and_allowed_after_appropriation():
    person, (first, second) = _setup()
    payment = counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[first.pk], amount=165_000, paid_on=DUES[0]
    )
    over = Overpayment.objects.get(payment=payment)
    boss = make_user(Role.SUPERVISOR)
    with pytest.raises(LedgerError, match="充当すべき未納"):
        overpayment_refund(actor=boss, overpayment=over, decided_on=date(2025, 9, 10))
    appropriation = overpayment_appropriate(actor=boss, overpayment=over, decided_on=date(2025, 9, 10))
    assert appropriation is not None
    second.refresh_from_db()
    assert second.balance == 0
    refund = overpayment_refund(actor=boss, overpayment=over, decided_on=date(2025, 9, 10))
    assert refund.amount == 100_000 - 65_000
    assert ledger_violations(as_of=date(2025, 9, 10)) == []


def test_a_tax_overpayment_is_not_appropriated_to_nhi_premiums():
    person = make_person()
    (tax,) = make_levy(person, [10_000], DUES[:1]).installments.all()
    (nhi,) = make_levy(person, [30_000], DUES[:1], revenue="nhi").installments.all()
    payment = counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[tax.pk], amount=25_000, paid_on=DUES[0]
    )
    over = Overpayment.objects.get(payment=payment)
    assert overpayment_appropriate(actor=None, overpayment=over, decided_on=date(2025, 9, 10)) is None
    nhi.refresh_from_db()
    assert nhi.paid_principal == 0


def test_suspense_holds_then_resolves():
    person, (first, _) = _setup()
    payment = payment_hold_in_suspense(
        actor=None,
        channel="bank",
        amount=66_000,
        paid_on=DUES[0],
        accounted_on=date(2025, 7, 3),
        reference="file.txt:3",
        reason="宛名不明",
    )
    assert ledger_violations(as_of=date(2025, 7, 3)) == []
    applied = suspense_resolve(
        actor=make_user(Role.CLERK), suspense=payment.suspense.get(), person=person, installment_ids=[first.pk]
    )
    assert applied == 65_000
    assert Installment.objects.get(pk=first.pk).balance == 0
    assert Overpayment.objects.get(payment=payment).amount == 1_000
    assert ledger_violations(as_of=date(2025, 7, 3)) == []

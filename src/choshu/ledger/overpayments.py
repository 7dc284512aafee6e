"""Reads of 過誤納金 (overpayments): where one may be appropriated, what a person still owes, the
refund interest of a refund or of an appropriation, and what their notices say (docs/overpayments.md).

- Interest class: an overpayment of reason `excess` is money paid beyond what was due (誤納,
  17条の4第1項第4号); of reason `revision` money that a lowering revision (更正・賦課決定) made
  overpaid (第1号). Classes 第2号 and 第3号 need dates choshu does not record yet (the request for
  correction, the income-tax notice); rules.refund computes them when given.
- Pool: an overpayment of a tax (地方税) is appropriated to the person's taxes, one of an NHI
  premium (国民健康保険料, not a 地方団体の徴収金) to their premiums (`Revenue.is_tax`). Its
  revenue is its installment's, or, for one tied to no installment, the revenues its payment was
  allocated to; money allocated to nothing may go to either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet

from choshu.ledger.models import Allocation, Appropriation, Installment, Overpayment, Refund
from choshu.ledger.selectors import InstallmentLine, installment_lines, overpayment_scope, with_balance
from choshu.rules.latefee import RateNotFound
from choshu.rules.refund import Event, InterestClass, RefundInterest, compute_refund_interest
from choshu.rules.revenue import REVENUES

INTEREST_CLASS: dict[str, InterestClass] = {
    Overpayment.Reason.EXCESS: InterestClass.ERRONEOUS,
    Overpayment.Reason.REVISION: InterestClass.REDUCTION,
}


def interest_class(overpayment: Overpayment) -> InterestClass:
    return INTEREST_CLASS[overpayment.reason]


def interest_events(overpayment: Overpayment) -> dict[str, date]:
    """The event dates the interest start is counted from (the payment's paid_on)."""
    return {Event.PAID.value: overpayment.payment.paid_on}


def origin_revenues(overpayments: Iterable[Overpayment]) -> dict[int, frozenset[str]]:
    """The revenue(s) each overpayment came from, in at most two queries."""
    items = list(overpayments)
    found: dict[int, set[str]] = defaultdict(set)
    tied = {o.pk: o.installment_id for o in items if o.installment_id is not None}
    if tied:
        revenue_of = dict(Installment.objects.filter(pk__in=set(tied.values())).values_list("pk", "levy__revenue"))
        for pk, inst_id in tied.items():
            found[pk].add(revenue_of[inst_id])
    untied = {o.pk: o.payment_id for o in items if o.installment_id is None}
    if untied:
        by_payment: dict[int, set[str]] = defaultdict(set)
        rows = Allocation.objects.filter(payment_id__in=set(untied.values())).values_list(
            "payment_id", "installment__levy__revenue"
        )
        for payment_id, revenue in rows.distinct():
            by_payment[payment_id].add(revenue)
        for pk, payment_id in untied.items():
            found[pk] |= by_payment.get(payment_id, set())
    return {o.pk: frozenset(found.get(o.pk, ())) for o in items}


def target_revenues(origin: Collection[str]) -> frozenset[str]:
    """The revenues an overpayment from `origin` may be appropriated to (the same pool: tax or premium)."""
    if not origin:
        return frozenset(REVENUES)
    pools = {REVENUES[code].is_tax for code in origin}
    return frozenset(code for code, r in REVENUES.items() if r.is_tax in pools)


def targets_of(overpayment: Overpayment) -> frozenset[str]:
    return target_revenues(origin_revenues([overpayment])[overpayment.pk])


def owed_lines(*, person_id: int, revenues: Collection[str], as_of: date) -> list[InstallmentLine]:
    """The person's installments of `revenues` due by `as_of` that still owe principal or a fixed late fee."""
    installments = list(
        Installment.objects.filter(levy__person_id=person_id, levy__revenue__in=sorted(revenues), due_date__lte=as_of)
        .select_related("levy")
        .order_by("due_date", "levy__fiscal_year", "levy_id", "installment_no")
    )
    return [
        line for line in installment_lines(installments, as_of=as_of) if line.balance > 0 or line.late_fee_balance > 0
    ]


def open_overpayments(revenues: Collection[str]) -> QuerySet[Any]:
    """Overpayments with something left (`balance`) that a user of `revenues` sees, oldest first."""
    return (
        with_balance(
            Overpayment.objects.filter(amount__gt=0, reverses__isnull=True, reversal__isnull=True).filter(
                overpayment_scope(revenues)
            )
        )
        .filter(balance__gt=0)
        .order_by("arose_on", "pk")
    )


def visible_overpayments(revenues: Collection[str]) -> QuerySet[Overpayment]:
    """Every overpayment (open or not, not a reversal's mirror) that a user of `revenues` sees."""
    return Overpayment.objects.filter(amount__gt=0, reverses__isnull=True).filter(overpayment_scope(revenues))


def balance_of(overpayment: Overpayment) -> int:
    balance: int = with_balance(Overpayment.objects.filter(pk=overpayment.pk)).values_list("balance", flat=True).get()
    return balance


@dataclass(frozen=True)
class RefundPreview:
    """What a refund decided on `decided_on` would pay, or why it cannot be decided."""

    balance: int
    decided_on: date
    interest: RefundInterest | None
    owed: list[InstallmentLine] = field(default_factory=list)  # amounts due to appropriate first
    problem: str = ""

    @property
    def owed_total(self) -> int:
        return sum(line.balance + line.late_fee_balance for line in self.owed)

    @property
    def total(self) -> int:
        return self.balance + (self.interest.amount if self.interest else 0)


def refund_preview(
    *,
    overpayment: Overpayment,
    balance: int,
    decided_on: date,
    notified_on: date | None = None,
    claimed_on: date | None = None,
) -> RefundPreview:
    """The refund of `balance` decided on `decided_on`: its interest, or why not (owed, no balance, no rate)."""
    if overpayment.amount <= 0 or overpayment.reverses_id is not None or balance <= 0:
        return RefundPreview(balance, decided_on, None, problem="還付できる残額がありません。")
    if decided_on < overpayment.arose_on:
        return RefundPreview(balance, decided_on, None, problem="支出決定日が過誤納金の発生日より前です。")
    if overpayment.person_id is None:
        return RefundPreview(
            balance, decided_on, None, problem="宛名のない過誤納金は還付できません。宛名を特定してください。"
        )
    owed = owed_lines(person_id=overpayment.person_id, revenues=targets_of(overpayment), as_of=decided_on)
    if owed:
        total = sum(line.balance + line.late_fee_balance for line in owed)
        return RefundPreview(
            balance,
            decided_on,
            None,
            owed,
            problem=f"この宛名には充当すべき未納({len(owed)}件、{total:,}円)があります。先に充当してください。",
        )
    try:
        interest = compute_refund_interest(
            amount=balance,
            kind=interest_class(overpayment),
            events=interest_events(overpayment),
            decided_on=decided_on,
            notified_on=notified_on,
            claimed_on=claimed_on,
        )
    except RateNotFound:
        return RefundPreview(
            balance, decided_on, None, problem=f"{decided_on.year}年の還付加算金の割合が登録されていません。"
        )
    return RefundPreview(balance, decided_on, interest)


@dataclass(frozen=True)
class InterestPart:
    """The interest on the part of an appropriation that became possible on one day (充当適状)."""

    appropriable_on: date
    amount: int  # appropriated with effect from that day
    interest: RefundInterest


@dataclass(frozen=True)
class AppropriationInterest:
    parts: list[InterestPart]

    @property
    def amount(self) -> int:
        return sum(p.interest.amount for p in self.parts)


def appropriation_interest(
    appropriation: Appropriation, lines: Iterable[tuple[date, int]] | None = None
) -> AppropriationInterest:
    """Refund interest of an appropriation (17条の4): per 充当適状 day, on what was appropriated with
    effect from it, from the class's start day through that day (never after the decision).

    `lines` are (effective_on, amount) of its allocations; read from the database when None.
    """
    if lines is None:
        lines = Allocation.objects.filter(appropriation=appropriation, reason=Allocation.Reason.ALLOCATE).values_list(
            "effective_on", "amount"
        )
    by_day: Mapping[date, int] = _sum_by_day(lines)
    overpayment = appropriation.overpayment
    kind, events = interest_class(overpayment), interest_events(overpayment)
    parts = [
        InterestPart(
            day,
            amount,
            compute_refund_interest(
                amount=amount,
                kind=kind,
                events=events,
                decided_on=appropriation.decided_on,
                appropriable_on=day,
            ),
        )
        for day, amount in sorted(by_day.items())
    ]
    return AppropriationInterest(parts)


def _sum_by_day(lines: Iterable[tuple[date, int]]) -> dict[date, int]:
    total: dict[date, int] = defaultdict(int)
    for day, amount in lines:
        total[day] += amount
    return dict(total)


# ---- notices (充当通知書・還付通知書, 17条の2第5項) ---------------------------------------------


@dataclass(frozen=True)
class NoticeLine:
    """One installment's part of an appropriation."""

    fiscal_year: int
    revenue: str
    installment_no: int
    kind: str  # Allocation.Kind
    amount: int
    effective_on: date  # 充当適状

    @property
    def revenue_label(self) -> str:
        return REVENUES[self.revenue].label


@dataclass(frozen=True)
class AppropriationNotice:
    appropriation: Appropriation
    overpayment: Overpayment
    lines: list[NoticeLine]
    interest: AppropriationInterest

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def appropriation_notice(appropriation: Appropriation) -> AppropriationNotice:
    """What the 充当通知書 says: the overpayment, each line appropriated, and the refund interest."""
    rows = (
        Allocation.objects.filter(appropriation=appropriation, reason=Allocation.Reason.ALLOCATE)
        .order_by("installment__due_date", "installment_id", "kind")
        .values_list(
            "installment__levy__fiscal_year",
            "installment__levy__revenue",
            "installment__installment_no",
            "kind",
            "amount",
            "effective_on",
        )
    )
    lines = [NoticeLine(*row) for row in rows]
    interest = appropriation_interest(appropriation, [(line.effective_on, line.amount) for line in lines])
    return AppropriationNotice(appropriation, appropriation.overpayment, lines, interest)


def refund_interest_of(refund: Refund) -> RefundInterest:
    """How a decided refund's interest was computed (the same rule as its decision)."""
    overpayment = refund.overpayment
    return compute_refund_interest(
        amount=refund.amount,
        kind=interest_class(overpayment),
        events=interest_events(overpayment),
        decided_on=refund.decided_on,
    )

"""Reads of the money ledger: a person's ledger and the late fee of an installment."""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from choshu.ledger.models import Allocation, Channel, Installment, Overpayment, Payment, Refund
from choshu.ledger.waivers import waivers_of
from choshu.people.models import Person
from choshu.rules.latefee import LateFee, Waiver, compute_late_fee
from choshu.rules.revenue import REVENUES

STATUS_LABELS = {
    "paid": "完納",
    "late_fee_due": "延滞金未納",
    "not_due": "納期未到来",
    "partial": "一部納付",
    "unpaid": "未納",
}


def late_fee_of(
    *,
    revenue: str,
    amount: int,
    due_date: date,
    principal_payments: Sequence[tuple[date, int]],
    as_of: date | None,
    waivers: Sequence[Waiver] = (),
) -> LateFee:
    """The installment's late fee: fixed if the principal is paid, else as of `as_of`.

    `waivers`: the installment's late-fee waivers (`waivers_of`); an open one runs to the fee's end.
    """
    return compute_late_fee(
        principal=amount,
        due_date=due_date,
        payments=principal_payments,
        as_of=as_of,
        first_tier_months=REVENUES[revenue].first_tier_months,
        waivers=waivers,
    )


def principal_history(installment_ids: Iterable[int]) -> dict[int, list[tuple[date, int]]]:
    """(effective_on, amount) of every principal allocation row, per installment, in one query."""
    history: dict[int, list[tuple[date, int]]] = defaultdict(list)
    rows = Allocation.objects.filter(installment_id__in=list(installment_ids), kind=Allocation.Kind.PRINCIPAL)
    for inst_id, on, amount in rows.values_list("installment_id", "effective_on", "amount"):
        history[inst_id].append((on, amount))
    return history


def late_fee_paid(installment_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        Allocation.objects.filter(installment_id__in=list(installment_ids), kind=Allocation.Kind.LATE_FEE)
        .values("installment_id")
        .annotate(total=Sum("amount"))
    )
    return {r["installment_id"]: r["total"] for r in rows}


def sum_subquery(qs: QuerySet[Any], group: str, field: str = "amount") -> Coalesce:
    """A correlated SUM subquery (0 when empty) to annotate with, free of join fan-out."""
    summed = qs.order_by().values(group).annotate(t=Sum(field)).values("t")
    return Coalesce(Subquery(summed), Value(0), output_field=BigIntegerField())


def with_balance(overpayments: QuerySet[Overpayment]) -> QuerySet[Any]:
    """Annotate `balance` = amount − appropriated − refunded."""
    used = sum_subquery(
        Allocation.objects.filter(appropriation__overpayment=OuterRef("pk")), "appropriation__overpayment"
    )
    refunded = sum_subquery(Refund.objects.filter(overpayment=OuterRef("pk")), "overpayment")
    return overpayments.annotate(balance=F("amount") - used - refunded)


def status_of(*, balance: int, late_fee_balance: int, paid: int, due_date: date, as_of: date) -> str:
    if balance == 0:
        return "late_fee_due" if late_fee_balance > 0 else "paid"
    if as_of <= due_date:
        return "not_due"
    return "partial" if paid > 0 else "unpaid"


@dataclass(frozen=True)
class InstallmentLine:
    installment_id: int
    levy_no: str
    revenue: str
    fiscal_year: int
    installment_no: int
    nominal_due_date: date
    due_date: date
    legal_due_date: date
    amount: int
    principal_paid: int
    balance: int
    late_fee: int
    late_fee_fixed: bool
    late_fee_paid: int
    late_fee_balance: int
    status: str
    late_fee_waivers: tuple[Waiver, ...] = ()  # 延滞金の免除 (猶予・執行停止) taken into account

    @property
    def revenue_label(self) -> str:
        return REVENUES[self.revenue].label

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class AllocationLine:
    levy_no: str
    revenue: str
    fiscal_year: int
    installment_no: int
    kind: str
    amount: int


@dataclass
class PaymentLine:
    payment_id: int
    channel: str
    channel_label: str
    amount: int
    paid_on: date
    accounted_on: date
    status: str
    reversed: bool
    is_reversal: bool
    allocations: list[AllocationLine] = field(default_factory=list)


@dataclass(frozen=True)
class OverpaymentLine:
    overpayment_id: int
    amount: int
    arose_on: date
    reason: str
    balance: int


@dataclass
class PersonLedger:
    person: Person
    as_of: date
    installments: list[InstallmentLine]
    payments: list[PaymentLine]
    overpayments: list[OverpaymentLine]

    @property
    def total_balance(self) -> int:
        return sum(i.balance for i in self.installments)

    @property
    def total_late_fee(self) -> int:
        return sum(i.late_fee_balance for i in self.installments)


def installment_lines(installments: Sequence[Installment], *, as_of: date) -> list[InstallmentLine]:
    """Ledger lines for installments (their levies selected with them), in three more queries."""
    ids = [i.pk for i in installments]
    history = principal_history(ids)
    fee_paid = late_fee_paid(ids)
    waivers = waivers_of(ids)
    lines = []
    for inst in installments:
        inst_waivers = tuple(waivers.get(inst.pk, ()))
        fee = late_fee_of(
            revenue=inst.levy.revenue,
            amount=inst.amount,
            due_date=inst.due_date,
            principal_payments=history.get(inst.pk, []),
            as_of=as_of,
            waivers=inst_waivers,
        )
        paid_fee = fee_paid.get(inst.pk, 0)
        fee_balance = max(fee.amount - paid_fee, 0)
        balance = inst.amount - inst.paid_principal
        lines.append(
            InstallmentLine(
                installment_id=inst.pk,
                levy_no=inst.levy.levy_no,
                revenue=inst.levy.revenue,
                fiscal_year=inst.levy.fiscal_year,
                installment_no=inst.installment_no,
                nominal_due_date=inst.nominal_due_date,
                due_date=inst.due_date,
                legal_due_date=inst.legal_due_date,
                amount=inst.amount,
                principal_paid=inst.paid_principal,
                balance=balance,
                late_fee=fee.amount,
                late_fee_fixed=fee.fixed,
                late_fee_paid=paid_fee,
                late_fee_balance=fee_balance,
                status=status_of(
                    balance=balance,
                    late_fee_balance=fee_balance,
                    paid=inst.paid_principal,
                    due_date=inst.due_date,
                    as_of=as_of,
                ),
                late_fee_waivers=inst_waivers,
            )
        )
    return lines


def person_installments(*, person: Person, revenues: Collection[str]) -> list[Installment]:
    return list(
        Installment.objects.filter(levy__person=person, levy__revenue__in=list(revenues))
        .select_related("levy")
        .order_by("due_date", "levy__fiscal_year", "levy__levy_no", "installment_no")
    )


def overpayment_scope(revenues: Collection[str]) -> Q:
    """Overpayments a user working on `revenues` sees (docs/security.md, "Revenue scope").

    One tied to an installment: that installment's revenue. One without an installment: only if
    the allocations of the payment it came from touch one of `revenues`, or `revenues` is every
    revenue.
    """
    scoped = sorted(set(revenues))
    if set(REVENUES) <= set(scoped):
        return Q()
    touches = Exists(Allocation.objects.filter(payment=OuterRef("payment"), installment__levy__revenue__in=scoped))
    return Q(installment__levy__revenue__in=scoped) | (Q(installment__isnull=True) & Q(touches))


def person_ledger(*, person: Person, as_of: date, revenues: Collection[str]) -> PersonLedger:
    """個人収納状況: the person's installments, payments and overpayments within `revenues`.

    A fixed number of queries whatever the number of rows.
    """
    installments = person_installments(person=person, revenues=revenues)
    lines = installment_lines(installments, as_of=as_of)

    allocations = (
        Allocation.objects.filter(installment__in=installments, payment__isnull=False)
        .select_related("installment__levy")
        .order_by("id")
    )
    by_payment: dict[int, list[AllocationLine]] = defaultdict(list)
    for a in allocations:
        assert a.payment_id is not None
        levy = a.installment.levy
        by_payment[a.payment_id].append(
            AllocationLine(levy.levy_no, levy.revenue, levy.fiscal_year, a.installment.installment_no, a.kind, a.amount)
        )
    payments = Payment.objects.filter(Q(pk__in=list(by_payment)) | Q(person=person, allocations__isnull=True))
    payment_lines = []
    for p in payments.select_related("reversal").order_by("-paid_on", "-id").distinct():
        payment_lines.append(
            PaymentLine(
                payment_id=p.pk,
                channel=p.channel,
                channel_label=Channel(p.channel).label,
                amount=p.amount,
                paid_on=p.paid_on,
                accounted_on=p.accounted_on,
                status=p.status,
                reversed=hasattr(p, "reversal"),
                is_reversal=p.reverses_id is not None,
                allocations=by_payment.get(p.pk, []),
            )
        )

    overpayments = [
        OverpaymentLine(o.pk, o.amount, o.arose_on, o.reason, o.balance)
        for o in with_balance(
            Overpayment.objects.filter(person=person, reverses__isnull=True, reversal__isnull=True).filter(
                overpayment_scope(revenues)
            )
        ).order_by("arose_on", "id")
    ]
    return PersonLedger(person, as_of, lines, payment_lines, overpayments)

"""Ledger check (`choshu verify`): every invariant over the whole database, set-based.

Each check is one query (the late-fee check reads in chunks); a violation names the check,
the table and the row.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum

from choshu.ledger.models import Allocation, Installment, InstallmentAmount, Overpayment, Payment, Suspense
from choshu.ledger.selectors import late_fee_of, late_fee_paid, principal_history, sum_subquery, with_balance
from choshu.ledger.waivers import waivers_of

CHUNK = 5_000


@dataclass(frozen=True)
class Violation:
    check: str
    table: str
    row_id: int
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.table} #{self.row_id}: {self.detail}"


def _payment_balance() -> Iterator[Violation]:
    rows = (
        Payment.objects.annotate(
            allocated=sum_subquery(Allocation.objects.filter(payment=OuterRef("pk")), "payment"),
            over=sum_subquery(Overpayment.objects.filter(payment=OuterRef("pk")), "payment"),
            held=sum_subquery(Suspense.objects.filter(payment=OuterRef("pk")), "payment"),
        )
        .exclude(amount=F("allocated") + F("over") + F("held"))
        .values_list("pk", "amount", "allocated", "over", "held")
    )
    for pk, amount, allocated, over, held in rows:
        yield Violation(
            "payment_balance",
            "payment",
            pk,
            f"amount {amount} ≠ allocations {allocated} + overpayments {over} + suspense {held}",
        )


def _installment_paid() -> Iterator[Violation]:
    principal = sum_subquery(
        Allocation.objects.filter(installment=OuterRef("pk"), kind=Allocation.Kind.PRINCIPAL), "installment"
    )
    rows = (
        Installment.objects.annotate(allocated=principal)
        .filter(~Q(paid_principal=F("allocated")) | Q(paid_principal__lt=0) | Q(paid_principal__gt=F("amount")))
        .values_list("pk", "amount", "paid_principal", "allocated")
    )
    for pk, amount, paid, allocated in rows:
        yield Violation(
            "installment_paid", "installment", pk, f"amount {amount}, paid_principal {paid}, allocations {allocated}"
        )


def _installment_amount() -> Iterator[Violation]:
    # The latest version of an installment's amount is the one no later revision replaced.
    newer = InstallmentAmount.objects.filter(
        installment=OuterRef("installment"), revision__revision_no__gt=OuterRef("revision__revision_no")
    )
    latest = InstallmentAmount.objects.filter(installment=OuterRef("pk"), amount=OuterRef("amount")).exclude(
        Exists(newer)
    )
    for pk, amount in Installment.objects.exclude(Exists(latest)).values_list("pk", "amount"):
        yield Violation("installment_amount", "installment", pk, f"amount {amount} ≠ its latest revision")


def _overpayment_balance() -> Iterator[Violation]:
    rows = with_balance(Overpayment.objects.filter(reverses__isnull=True)).filter(balance__lt=0)
    for pk, amount, balance in rows.values_list("pk", "amount", "balance"):
        yield Violation("overpayment_balance", "overpayment", pk, f"amount {amount}, used beyond it by {-balance}")


def _reversals() -> Iterator[Violation]:
    for model, table in ((Payment, "payment"), (Allocation, "allocation"), (Overpayment, "overpayment")):
        rows = model.objects.filter(reverses__isnull=False).exclude(amount=-F("reverses__amount"))  # type: ignore[attr-defined]
        for pk, amount, original in rows.values_list("pk", "amount", "reverses__amount"):
            yield Violation("reversal_mirror", table, pk, f"amount {amount} does not mirror the reversed {original}")


def _net_allocations() -> Iterator[Violation]:
    for source in ("payment", "appropriation"):
        rows = (
            Allocation.objects.filter(**{f"{source}__isnull": False}, reversal__isnull=True)
            .exclude(reason=Allocation.Reason.REVERSE)
            .values(source, "installment", "kind")
            .annotate(net=Sum("amount"))
            .filter(net__lt=0)
        )
        for row in rows:
            yield Violation(
                "allocation_net",
                source,
                row[source],
                f"installment #{row['installment']} {row['kind']}: net allocation {row['net']} below zero",
            )


def _suspense_net() -> Iterator[Violation]:
    rows = (
        Suspense.objects.filter(resolves__isnull=True)
        .annotate(resolved=sum_subquery(Suspense.objects.filter(resolves=OuterRef("pk")), "resolves"))
        .filter(amount__lt=-F("resolved"))
    )
    for pk, amount, resolved in rows.values_list("pk", "amount", "resolved"):
        yield Violation("suspense_net", "suspense", pk, f"held {amount}, resolved {-resolved}")


def _channel_once() -> Iterator[Violation]:
    """Channel money counted once: a posted 確報 has its payment, a 速報 none, a payment one record,
    and one payment reference no two live (unreversed) payments."""
    from choshu.payments.models import ChannelRecord  # the channel records sit on top of the ledger

    Kind, Outcome = ChannelRecord.Kind, ChannelRecord.Outcome
    missing = ChannelRecord.objects.filter(
        kind=Kind.CONFIRMED, outcome__in=[Outcome.POSTED, Outcome.SUSPENSE], payment__isnull=True
    )
    for pk in missing.values_list("pk", flat=True):
        yield Violation("channel_once", "channelrecord", pk, "a posted 確報 without its payment")
    for pk in ChannelRecord.objects.filter(kind=Kind.PRELIMINARY, payment__isnull=False).values_list("pk", flat=True):
        yield Violation("channel_once", "channelrecord", pk, "a 速報 with a payment")
    shared = (
        ChannelRecord.objects.filter(payment__isnull=False)
        .values("payment")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by()
    )
    for row in shared:
        yield Violation("channel_once", "payment", row["payment"], f"posted by {row['n']} channel records")
    live = (
        ChannelRecord.objects.filter(payment__isnull=False, payment__reversal__isnull=True)
        .values("payment_ref")
        .annotate(n=Count("pk"), first=Min("payment"))
        .filter(n__gt=1)
        .order_by()
        .values_list("payment_ref", "n", "first")
    )
    for ref, n, first in live:
        yield Violation("channel_once", "payment", first, f"{n} live payments for {ref}")


def _late_fee_paid(as_of: date) -> Iterator[Violation]:
    ids = (
        Allocation.objects.filter(kind=Allocation.Kind.LATE_FEE)
        .values_list("installment_id", flat=True)
        .distinct()
        .order_by("installment_id")
    )
    ids_list = list(ids)
    for start in range(0, len(ids_list), CHUNK):
        chunk = ids_list[start : start + CHUNK]
        history = principal_history(chunk)
        paid, waivers = late_fee_paid(chunk), waivers_of(chunk)
        for inst in Installment.objects.filter(pk__in=chunk).select_related("levy"):
            fee = late_fee_of(
                revenue=inst.levy.revenue,
                amount=inst.amount,
                due_date=inst.due_date,
                principal_payments=history.get(inst.pk, []),
                as_of=as_of,
                waivers=waivers.get(inst.pk, ()),
            )
            if paid.get(inst.pk, 0) > fee.amount or paid.get(inst.pk, 0) < 0:
                yield Violation(
                    "late_fee_paid", "installment", inst.pk, f"late fee paid {paid.get(inst.pk, 0)} > fee {fee.amount}"
                )


CHECKS = {
    "payment_balance": _payment_balance,
    "installment_paid": _installment_paid,
    "installment_amount": _installment_amount,
    "overpayment_balance": _overpayment_balance,
    "reversal_mirror": _reversals,
    "allocation_net": _net_allocations,
    "suspense_net": _suspense_net,
    "channel_once": _channel_once,
}


def ledger_violations(*, as_of: date) -> list[Violation]:
    found = [v for check in CHECKS.values() for v in check()]
    return found + list(_late_fee_paid(as_of))

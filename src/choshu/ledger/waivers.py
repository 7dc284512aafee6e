"""Late-fee waivers (延滞金の免除) of installments for a deferral (猶予) or a suspension (執行停止).

The ledger keeps the periods and kinds (`LateFeeWaiver`); what caused them is named by `source`
(e.g. "deferral:12", "suspension:3") and decided elsewhere. Rows are never deleted: a waiver is
shortened by `late_fee_waivers_end` and withdrawn by `late_fee_waivers_cancel` (`cancelled_at`),
so the history stays readable. docs/decisions.md "Late-fee waivers".
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from choshu.ledger.models import Allocation, Installment, LateFeeWaiver
from choshu.rules.latefee import WAIVER_KINDS, Waiver

SOURCE_MAX = 40


def _check_source(source: str) -> None:
    if not source or len(source) > SOURCE_MAX:
        raise ValueError(f"source must be 1–{SOURCE_MAX} characters, got {source!r}")


def late_fee_waivers_record(
    *, installment_ids: Collection[int], starts_on: date, ends_on: date | None, kind: str, source: str
) -> int:
    """Record one waiver period of `kind` for each installment; returns how many rows were written.

    `ends_on` None: in force until ended. Refused (LedgerError) for an installment whose late fee
    has been paid in part or in full if the waiver would reach into the days that fee was computed
    for: lowering a fee already paid would need a release of money, which a waiver does not do.
    """
    from choshu.ledger.services import LedgerError  # services → selectors → this module

    if kind not in WAIVER_KINDS:
        raise ValueError(f"unknown waiver kind {kind!r}; known: {', '.join(WAIVER_KINDS)}")
    if ends_on is not None and ends_on < starts_on:
        raise ValueError(f"waiver ends {ends_on} before it starts {starts_on}")
    _check_source(source)
    ids = sorted(set(installment_ids))
    if not ids:
        return 0
    with transaction.atomic():
        # Lock like a posting does (installments by id) so no late fee is allocated meanwhile.
        found = list(Installment.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
        if len(found) != len(ids):
            raise ValueError("unknown installment id")
        # The fee is computed up to the last principal payment once paid; a waiver starting later
        # cannot lower a fee already (partly) paid.
        paid = (
            Allocation.objects.filter(installment_id__in=ids)
            .values("installment_id")
            .annotate(
                fee_paid=Sum("amount", filter=Q(kind=Allocation.Kind.LATE_FEE)),
                last_paid=Max("effective_on", filter=Q(kind=Allocation.Kind.PRINCIPAL)),
            )
            .filter(fee_paid__gt=0, last_paid__gte=starts_on)
            .order_by("installment_id")
            .values_list("installment_id", flat=True)
        )
        refused = ", ".join(map(str, paid))
        if refused:
            raise LedgerError(f"延滞金を納付済みの期別には、計算期間に及ぶ免除を記録できません(期別ID: {refused})。")
        rows = LateFeeWaiver.objects.bulk_create(
            LateFeeWaiver(installment_id=i, starts_on=starts_on, ends_on=ends_on, kind=kind, source=source) for i in ids
        )
    return len(rows)


def late_fee_waivers_end(*, source: str, on: date) -> int:
    """End the waivers of `source` on `on`, the last day waived (inclusive); returns the rows changed.

    A waiver never extends past `on`: open rows and rows ending later end on `on`; a row that would
    only have started after `on` never took effect and is cancelled.
    """
    _check_source(source)
    live = LateFeeWaiver.objects.filter(source=source, cancelled_at__isnull=True).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=on)
    )
    with transaction.atomic():
        cancelled = live.filter(starts_on__gt=on).update(cancelled_at=timezone.now())
        ended = live.filter(starts_on__lte=on).update(ends_on=on)
    return cancelled + ended


def late_fee_waivers_cancel(*, source: str) -> int:
    """Withdraw the waivers of `source` (recorded in error, or a decision revoked from its start).

    The rows stay, marked `cancelled_at`, and waive nothing any more; returns how many were cancelled.
    """
    _check_source(source)
    return LateFeeWaiver.objects.filter(source=source, cancelled_at__isnull=True).update(cancelled_at=timezone.now())


def waivers_of(installment_ids: Iterable[int]) -> dict[int, list[Waiver]]:
    """The live waivers of each installment (none: no key), in one query."""
    found: dict[int, list[Waiver]] = defaultdict(list)
    rows = (
        LateFeeWaiver.objects.filter(installment_id__in=list(installment_ids), cancelled_at__isnull=True)
        .order_by("installment_id", "starts_on", "pk")
        .values_list("installment_id", "starts_on", "ends_on", "kind")
    )
    for inst_id, starts_on, ends_on, kind in rows:
        found[inst_id].append(Waiver(starts_on, ends_on, kind))
    return dict(found)

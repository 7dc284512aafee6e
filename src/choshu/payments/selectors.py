"""Reads for collection work: pending payments, 速報 awaiting their 確報, open suspense, imports."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet

from choshu.ledger.models import Suspense
from choshu.ledger.selectors import sum_subquery
from choshu.payments.models import ChannelImport, ChannelRecord
from choshu.rules.revenue import REVENUES


def installment_scope(revenues: Collection[str] | None, installment_field: str = "installment") -> Q:
    """Rows whose installment is of `revenues`, or that name no installment (None or every revenue: all)."""
    if revenues is None or set(REVENUES) <= set(revenues):
        return Q()
    return Q(**{f"{installment_field}__isnull": True}) | Q(
        **{f"{installment_field}__levy__revenue__in": sorted(revenues)}
    )


def open_preliminaries() -> QuerySet[ChannelRecord]:
    """速報 matched to an installment and not yet confirmed or cancelled."""
    return ChannelRecord.objects.filter(
        kind=ChannelRecord.Kind.PRELIMINARY, outcome=ChannelRecord.Outcome.PENDING, settled_by__isnull=True
    )


def payment_pending_installments() -> QuerySet[ChannelRecord, Any]:
    """Installment ids with a payment pending (納付確認中): a subquery for batch selections, e.g.
    ``Installment.objects.exclude(pk__in=payment_pending_installments())``."""
    return open_preliminaries().values("installment_id")


def pending_among(installment_ids: list[int]) -> set[int]:
    """Which of these installments have a payment pending (納付確認中); one query, none for no ids."""
    if not installment_ids:
        return set()
    return set(
        open_preliminaries().filter(installment_id__in_array=installment_ids).values_list("installment_id", flat=True)
    )


def unconfirmed_preliminaries(*, as_of: date, days: int) -> QuerySet[ChannelRecord]:
    """速報 (matched or not) with no 確報 or 取消 more than ``days`` days after the store took the money."""
    return (
        ChannelRecord.objects.filter(
            kind=ChannelRecord.Kind.PRELIMINARY,
            settled_by__isnull=True,
            paid_on__lt=as_of - timedelta(days=days),
        )
        .select_related("channel_import", "installment__levy__person")
        .order_by("paid_on", "pk")
    )


def open_suspense() -> QuerySet[Any]:
    """未確認入金 still held: each row with ``remaining`` (its amount less what was resolved)."""
    resolved = sum_subquery(Suspense.objects.filter(resolves=OuterRef("pk")), "resolves")
    return (
        Suspense.objects.filter(resolves__isnull=True, amount__gt=0)
        .annotate(remaining=F("amount") + resolved)
        .filter(remaining__gt=0)
        .select_related("payment")
        .order_by("payment__paid_on", "pk")
    )


def recent_imports(limit: int = 50) -> QuerySet[ChannelImport]:
    return ChannelImport.objects.select_related("actor").order_by("-started_at")[:limit]

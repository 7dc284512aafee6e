"""What holds collection back (猶予・執行停止), for the letters to respect.

- 徴収猶予 (地方税法15条の2第3項): no new demand (督促) and no enforcement for the deferred amount
  during the period — a demand batch leaves these installments out.
- 執行停止 (15条の7): enforcement is stopped — no demand or reminder announces it.
- 換価の猶予 (15条の5, 15条の6): only the sale is deferred; a demand may still be made, but no
  reminder (they announce seizure) goes out during the period.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from choshu.cases.models import Deferral, DeferralTarget, Suspension, SuspensionTarget

NO_DEMAND = (Deferral.Kind.COLLECTION,)
NO_REMINDER = tuple(Deferral.Kind)


def deferred(on: date, kinds: tuple[str, ...]) -> QuerySet[DeferralTarget]:
    """Targets of the approved deferrals of ``kinds`` whose period covers ``on``."""
    return DeferralTarget.objects.filter(
        Q(deferral__cancelled_on__isnull=True) | Q(deferral__cancelled_on__gt=on),
        deferral__state=Deferral.State.APPROVED,
        deferral__kind__in=list(kinds),
        deferral__starts_on__lte=on,
        deferral__ends_on__gte=on,
    )


def suspended(on: date) -> QuerySet[SuspensionTarget]:
    """Targets of the suspensions in force on ``on``."""
    return SuspensionTarget.objects.filter(suspension__state=Suspension.State.IN_FORCE, suspension__started_on__lte=on)


def exclude_held(qs: QuerySet, *, field: str, on: date, kinds: tuple[str, ...]) -> QuerySet:  # type: ignore[type-arg]
    """``qs`` without the rows whose installment (``field``) is held on ``on``."""
    held_deferred = deferred(on, kinds).values("installment_id")
    held_suspended = suspended(on).values("installment_id")
    return qs.exclude(**{f"{field}__in": held_deferred}).exclude(**{f"{field}__in": held_suspended})

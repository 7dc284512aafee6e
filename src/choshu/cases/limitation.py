"""時効管理 (the limitation batch): the completion date of every unpaid installment, stored.

**Events** (`installment_events`): an installment's limitation events come from three places —
its demand (督促: an active line of a fixed or dispatched demand batch, on the batch's issue date),
its reminders (催告: a line of a dispatched reminder batch, on the dispatch date) and the
`LimitationEvent` rows the case services record (承認, 差押, 交付要求, ...). What each kind does is
data (`LimitationRule`, `limitation_kinds`); the effects are `rules.limitation`.

**The run** (`limitation_run`, `choshu limitation report`): every installment of the actor's
revenues with principal unpaid, in chunks by primary key; for each, `rules.limitation.extinction`
as of the 基準日 (events after it are not known yet; an event in force past it has no end yet).
The run replaces the stored `InstallmentLimitation` rows of its revenues — a fully paid
installment keeps none — and records a `LimitationRun`; a dry run only counts. Set-based: four
queries and one bulk insert per chunk, whatever the number of events; one access-log entry per run.

**Within six months** (6か月以内に完成): the completion date falls from the 基準日 to the day on
which 6 months have elapsed counting from the day after it (民法140条・143条, `limitation_horizon`):
as of 2026-12-01, up to 2027-06-01. **Extinguished** (消滅): extinguished on or before the 基準日.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, QuerySet

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.models import (
    InstallmentLimitation,
    LimitationEvent,
    LimitationRule,
    LimitationRun,
    SuspensionTarget,
)
from choshu.cases.services import case_revenues
from choshu.ledger import bulk
from choshu.ledger.models import Allocation, Channel, Installment
from choshu.notices.models import DemandBatch, DemandLine, ReminderBatch, ReminderLine
from choshu.rules.calendar import month_elapsed_day
from choshu.rules.limitation import Effect, Event, EventKind, extinction
from choshu.rules.revenue import REVENUES
from choshu.staff.models import User

CHUNK_SIZE = 20_000  # installments per chunk
SOON_MONTHS = 6  # 6か月以内に完成
DEMAND = "demand"  # rules.limitation.EventKind codes of the events read from the letters
REMINDER = "reminder"
ACKNOWLEDGEMENT = "acknowledgement"
DEMANDED = (DemandBatch.State.FIXED, DemandBatch.State.DISPATCHED)

Suspension = tuple[date, date | None]  # (started_on, cancelled_on) of a 執行停止


class LimitationError(ValueError):
    """The run cannot compute an installment (an event kind no rule names); the message is shown."""


def limitation_kinds() -> dict[str, EventKind]:
    """The event kinds and their effects as the `LimitationRule` rows say (one query)."""
    return {
        code: EventKind(code, label, Effect(effect), offset_days, first_only)
        for code, label, effect, offset_days, first_only in LimitationRule.objects.values_list(
            "code", "label", "effect", "offset_days", "first_only"
        )
    }


def limitation_horizon(as_of: date, months: int = SOON_MONTHS) -> date:
    """The last day of ``months`` months counted from the day after ``as_of`` (民法140条・143条)."""
    return month_elapsed_day(as_of + timedelta(days=1), months)


def installment_events(installment_ids: Sequence[int], *, as_of: date | None = None) -> dict[int, list[Event]]:
    """The limitation events of the installments, by installment id (four queries, one per source).

    - 督促: an active demand line of a fixed or dispatched batch, on the batch's issue date;
    - 催告: a reminder line of a dispatched reminder batch, on the day it was posted;
    - 承認 by payment: a payment of the person towards the installment (一部納付, DESIGN.md: a
      partial payment acknowledges the debt), on its 納付日 — not money collected on a seizure,
      nor an allocation that was reversed;
    - the `LimitationEvent` rows.

    With ``as_of``, only events on or before it, and an event still in force on it (``until``
    after it) has no end yet.
    """
    return _events({"installment_id__in_array": list(installment_ids)}, as_of)


def _events(
    where: dict[str, object], as_of: date | None, partly_paid: Sequence[int] | None = None
) -> dict[int, list[Event]]:
    """`installment_events` of the installments ``where`` selects (a lookup on ``installment_id``);
    payments are read for ``partly_paid`` only when given (the installments with some principal
    paid: the others have no payment to read, and a key range would scan every paid-off one)."""
    found: dict[int, list[Event]] = defaultdict(list)
    demands = DemandLine.objects.filter(**where, active=True, letter__batch__state__in=DEMANDED)
    reminders = ReminderLine.objects.filter(**where, reminder__batch__state=ReminderBatch.State.DISPATCHED)
    recorded = LimitationEvent.objects.filter(**where)
    paid_where = where if partly_paid is None else {"installment_id__in_array": list(partly_paid)}
    paid = Allocation.objects.filter(
        **paid_where,
        kind=Allocation.Kind.PRINCIPAL,
        reason=Allocation.Reason.ALLOCATE,
        payment__isnull=False,
        reversal__isnull=True,
    ).exclude(payment__channel=Channel.SEIZURE)
    if as_of is not None:
        paid = paid.filter(payment__paid_on__lte=as_of)
        demands = demands.filter(letter__batch__issue_date__lte=as_of)
        reminders = reminders.filter(reminder__batch__dispatched_on__lte=as_of)
        recorded = recorded.filter(on__lte=as_of)
    for pk, issued in demands.values_list("installment_id", "letter__batch__issue_date"):
        found[pk].append(Event(DEMAND, issued))
    for pk, posted in reminders.values_list("installment_id", "reminder__batch__dispatched_on"):
        if posted is not None:  # a dispatched batch has its date
            found[pk].append(Event(REMINDER, posted))
    for pk, paid_on in paid.values_list("installment_id", "payment__paid_on").distinct():
        found[pk].append(Event(ACKNOWLEDGEMENT, paid_on))
    for pk, kind, on, until in recorded.values_list("installment_id", "kind", "on", "until"):
        if as_of is not None and until is not None and until > as_of:
            until = None
        found[pk].append(Event(kind, on, until))
    return dict(found)


def installment_suspensions(
    where: dict[str, object], *, as_of: date
) -> tuple[dict[int, list[Suspension]], dict[int, date]]:
    """The suspensions of enforcement (執行停止, 地方税法15条の7) of the installments ``where``
    selects (a lookup on ``installment_id``), started on or before ``as_of`` — (started_on,
    cancelled_on) with a cancellation after ``as_of`` not yet known — and the day of an immediate
    extinction (第5項) on or before ``as_of`` (one query)."""
    spans: dict[int, list[Suspension]] = defaultdict(list)
    immediate: dict[int, date] = {}
    rows = SuspensionTarget.objects.filter(**where, suspension__started_on__lte=as_of).values_list(
        "installment_id",
        "suspension__started_on",
        "suspension__cancelled_on",
        "suspension__immediate",
        "suspension__extinguished_on",
    )
    for pk, started_on, cancelled_on, at_once, extinguished_on in rows:
        spans[pk].append((started_on, cancelled_on if cancelled_on and cancelled_on <= as_of else None))
        if at_once and extinguished_on is not None and extinguished_on <= as_of:
            immediate[pk] = min(extinguished_on, immediate.get(pk, extinguished_on))
    return dict(spans), immediate


@dataclass
class LimitationSummary:
    """One line of the report: a revenue and fiscal year (amounts: the unpaid principal)."""

    revenue: str
    fiscal_year: int
    installments: int = 0
    amount: int = 0
    within_six_months: int = 0
    within_six_months_amount: int = 0
    extinguished: int = 0
    extinguished_amount: int = 0

    def add(self, other: LimitationSummary) -> None:
        self.installments += other.installments
        self.amount += other.amount
        self.within_six_months += other.within_six_months
        self.within_six_months_amount += other.within_six_months_amount
        self.extinguished += other.extinguished
        self.extinguished_amount += other.extinguished_amount

    def as_dict(self) -> dict[str, object]:
        return {
            "revenue": self.revenue,
            "fiscal_year": self.fiscal_year,
            "installments": self.installments,
            "amount": self.amount,
            "within_six_months": self.within_six_months,
            "within_six_months_amount": self.within_six_months_amount,
            "extinguished": self.extinguished,
            "extinguished_amount": self.extinguished_amount,
        }


@dataclass
class LimitationRunResult:
    as_of: date
    horizon: date  # the last day counted as "within six months"
    dry_run: bool
    revenues: list[str]
    rows: list[LimitationSummary] = field(default_factory=list)  # by revenue (REVENUES order), fiscal year
    run_id: int | None = None

    @property
    def total(self) -> LimitationSummary:
        total = LimitationSummary("", 0)
        for row in self.rows:
            total.add(row)
        return total

    @property
    def installments(self) -> int:
        return self.total.installments

    @property
    def within_six_months(self) -> int:
        return self.total.within_six_months

    @property
    def extinguished(self) -> int:
        return self.total.extinguished

    def as_dict(self) -> dict[str, object]:
        total = self.total.as_dict()
        del total["revenue"], total["fiscal_year"]
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "as_of": self.as_of.isoformat(),
            "horizon": self.horizon.isoformat(),
            "revenues": self.revenues,
            **total,
            "rows": [row.as_dict() for row in self.rows],
        }


_Key = tuple[date, int, tuple[Event, ...], tuple[Suspension, ...], date | None]
_Outcome = tuple[date | None, date | None, str]  # completes_on, extinguished_on (≤ as_of), ground


def _event_order(event: Event) -> tuple[date, str, date]:
    return (event.on, event.kind, event.until or date.max)


def limitation_run(
    *,
    actor: User | None,
    as_of: date,
    dry_run: bool = False,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> LimitationRunResult:
    """時効管理処理 as of ``as_of``: compute, store (unless ``dry_run``) and summarise."""
    revenues = case_revenues(actor)  # can_work_cases; the system: every revenue
    every_revenue = set(revenues) == set(REVENUES)
    horizon = limitation_horizon(as_of)
    result = LimitationRunResult(as_of, horizon, dry_run, revenues)
    summary: dict[tuple[str, int], LimitationSummary] = {}
    outcomes: dict[_Key, _Outcome] = {}  # installments alike (same start, period, events) share one computation
    with transaction.atomic():
        kinds = limitation_kinds()
        unpaid = Installment.objects.filter(paid_principal__lt=F("amount"))
        stored = InstallmentLimitation.objects.all()
        if not every_revenue:
            unpaid = unpaid.filter(levy__revenue__in=revenues)
            stored = stored.filter(installment__levy__revenue__in=revenues)
        if not dry_run:
            stored.delete()  # the run replaces its revenues' rows; a paid-up installment keeps none
        last = 0
        while True:
            chunk = list(
                unpaid.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "legal_due_date", "amount", "paid_principal", "levy__revenue", "levy__fiscal_year")[
                    :chunk_size
                ]
            )
            if not chunk:
                break
            ids = [row[0] for row in chunk]
            # The chunk's key range, not its ids: a range scan of each source's installment index,
            # two parameters instead of a list of 20,000 (events of paid installments between are unused).
            partly_paid = [row[0] for row in chunk if row[3] > 0]
            events = _events({"installment_id__gte": ids[0], "installment_id__lte": ids[-1]}, as_of, partly_paid)
            suspensions, immediate = installment_suspensions(
                {"installment_id__gte": ids[0], "installment_id__lte": ids[-1]}, as_of=as_of
            )
            written: list[tuple[int, date | None, date | None, str, date]] = []
            for pk, legal_due_date, amount, paid, revenue, fiscal_year in chunk:
                years = REVENUES[revenue].limitation_years
                key = (
                    legal_due_date,
                    years,
                    tuple(sorted(events.get(pk, ()), key=_event_order)),
                    tuple(sorted(suspensions.get(pk, ()))),
                    immediate.get(pk),
                )
                outcome = outcomes.get(key)
                if outcome is None:
                    outcome = outcomes[key] = _outcome(pk, key, as_of, kinds)
                completes_on, extinguished_on, ground = outcome
                line = summary.get((revenue, fiscal_year))
                if line is None:
                    line = summary[(revenue, fiscal_year)] = LimitationSummary(revenue, fiscal_year)
                balance = amount - paid
                line.installments += 1
                line.amount += balance
                if extinguished_on is not None:
                    line.extinguished += 1
                    line.extinguished_amount += balance
                elif completes_on is not None and completes_on <= horizon:
                    line.within_six_months += 1
                    line.within_six_months_amount += balance
                written.append((pk, completes_on, extinguished_on, ground, as_of))
            if not dry_run:
                bulk.insert(
                    InstallmentLimitation,
                    ("installment_id", "completes_on", "extinguished_on", "ground", "computed_on"),
                    written,
                )
            if len(chunk) < chunk_size:
                break
            last = ids[-1]
        order = list(REVENUES)
        result.rows = sorted(summary.values(), key=lambda s: (order.index(s.revenue), s.fiscal_year))
        total = result.total
        if dry_run:
            access_log_write(
                actor=actor,
                action=Action.READ,
                subjects=[f"count:installment:{total.installments}"],
                purpose=f"batch:limitation_dry_run:{as_of:%Y%m%d}",
                channel=channel,
                client_address=client_address,
            )
            return result
        run = LimitationRun.objects.create(
            as_of=as_of,
            revenues=sorted(result.revenues),
            installments=total.installments,
            within_six_months=total.within_six_months,
            extinguished=total.extinguished,
            created_by=actor,
        )
        result.run_id = run.pk
        access_log_write(
            actor=actor,
            action=Action.CHANGE,
            subjects=[ref("limitationrun", run.pk), f"count:installment:{total.installments}"],
            purpose=f"batch:limitation:{run.pk}",
            channel=channel,
            client_address=client_address,
        )
    return result


def _outcome(pk: int, key: _Key, as_of: date, kinds: dict[str, EventKind]) -> _Outcome:
    legal_due_date, years, events, suspensions, immediate_on = key
    try:
        gone = extinction(legal_due_date, years, events, suspensions, immediate_on, kinds=kinds)
    except ValueError as exc:
        raise LimitationError(f"期別 #{pk} の時効を計算できません(時効の事由の設定を確認してください): {exc}") from exc
    if gone.on is not None and gone.on <= as_of:
        return gone.limitation.completes_on, gone.on, gone.ground or ""
    return gone.limitation.completes_on, None, ""


def installments_completing(
    *, as_of: date, months: int = SOON_MONTHS, revenues: Collection[str] | None = None
) -> QuerySet[InstallmentLimitation]:
    """The stored limitations of unpaid installments completing from ``as_of`` to the day ``months``
    months have elapsed counting from the day after (`limitation_horizon`), soonest first; with
    ``revenues``, of those revenues only. As the last run computed them (``computed_on``)."""
    rows = InstallmentLimitation.objects.filter(
        completes_on__gte=as_of,
        completes_on__lte=limitation_horizon(as_of, months),
        extinguished_on__isnull=True,
        installment__paid_principal__lt=F("installment__amount"),
    )
    if revenues is not None:
        rows = rows.filter(installment__levy__revenue__in=sorted(revenues))
    return rows.order_by("completes_on", "installment_id")

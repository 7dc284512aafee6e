"""Limitation (消滅時効) and the other ways a debt is extinguished (執行停止, 即時消滅).

Rules (docs/limitation.md; reference/law.md §3, §6):

- the period is 5 years for taxes (地方税法18条1項), 2 years for NHI premiums (国保法110条),
  from the day after the legal due date (法定納期限); a period that runs from the day after X
  completes on the day on which ``12 * years`` months have elapsed (民法143条);
- the effects are code (`Effect`), the mapping event kind → effect is data (`DEFAULT_KINDS`):
  the first demand renews the period after its 10th day (18条の2第1項2号, law.md §3), an
  acknowledgement renews it (民法152条), a seizure or an exchange request postpones completion
  while in force and renews it at its end (民法148条), a reminder postpones completion once by
  6 months (民法150条);
- events apply in date order; an event after the completion date has no effect (a renewal cannot
  revive an extinguished right, 地方税法18条2項);
- a suspension of enforcement (執行停止) that lasts 3 years extinguishes the debt (15条の7第4項);
  the authority may extinguish it at once (第5項); the limitation period keeps running meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from choshu.rules.calendar import month_elapsed_day, wareki

_DAY = timedelta(days=1)
REMINDER_MONTHS = 6  # 民法150条1項: 催告があった時から六箇月を経過するまでの間
SUSPENSION_MONTHS = 36  # 地方税法15条の7第4項: 執行の停止が三年間継続したとき


class Effect(StrEnum):
    """What an event does to the running period."""

    RENEW_AFTER = "renew_after"  # the period runs anew from the day after ``on + offset_days``
    RENEW_AT_END = "renew_at_end"  # no completion while in force [on, until]; anew from the day after ``until``
    POSTPONE_ONCE = "postpone_once"  # 民法150条: not before 6 months have elapsed; not again during it
    NONE = "none"  # recorded, no effect on the period


@dataclass(frozen=True)
class EventKind:
    """A kind of event and its effect on limitation; data a lawyer can correct."""

    code: str
    label: str  # 日本語, used in the explanation
    effect: Effect
    offset_days: int = 0  # RENEW_AFTER: the period runs anew from the day after ``on + offset_days``
    first_only: bool = False  # only the first event of this kind (in date order) has an effect

    def __post_init__(self) -> None:
        if self.offset_days < 0:
            raise ValueError(f"offset_days must not be negative, got {self.offset_days} for {self.code!r}")


def _kinds(*kinds: EventKind) -> dict[str, EventKind]:
    return {k.code: k for k in kinds}


DEFAULT_KINDS: dict[str, EventKind] = _kinds(
    # 18条の2第1項2号: anew after the day on which 10 days have elapsed counting from the issue date
    # (issue + 10, the 指定期限 of the letter). Only the first demand renews (law.md §3).
    EventKind("demand", "督促", Effect.RENEW_AFTER, offset_days=10, first_only=True),
    # 民法152条 via 18条3項: 分納誓約, a partial payment, an application for a deferral.
    EventKind("acknowledgement", "承認", Effect.RENEW_AFTER),
    # 民法148条 via 18条3項: in force from the seizure to its release (or collection).
    EventKind("seizure", "差押", Effect.RENEW_AT_END),
    # law.md §6: suspension while the request is pending, then renewal.
    EventKind("exchange_request", "交付要求", Effect.RENEW_AT_END),
    # 民法150条: 6 months, once; 催告書 have no renewal effect (law.md §3).
    EventKind("reminder", "催告", Effect.POSTPONE_ONCE),
    # 18条の2第1項1号 renews after the deadline named in the notice; for an installment that deadline
    # is the legal due date, which already starts the period.
    EventKind("notice", "納付の告知", Effect.NONE),
)


@dataclass(frozen=True)
class Event:
    """An event on the debt: ``kind`` is a code of the kinds mapping.

    ``until`` is the last day a RENEW_AT_END event is in force (the release of a seizure), None
    while it still is; other effects do not read it.
    """

    kind: str
    on: date
    until: date | None = None


@dataclass(frozen=True)
class Step:
    """One line of the explanation: the start of the period (``event`` None) or one event."""

    event: Event | None
    applied: bool  # the event renewed or postponed the period; False: recorded without effect
    completes_on: date | None  # the completion date after this step; None: no completion
    reason: str  # 日本語


@dataclass(frozen=True)
class Limitation:
    completes_on: date | None  # 時効完成日 (last day of the period); None while an event is in force
    steps: tuple[Step, ...]


Ground = Literal["limitation", "suspension", "immediate"]


@dataclass(frozen=True)
class Extinction:
    on: date | None  # the first day on which the debt no longer exists; None: not extinguished
    ground: Ground | None
    limitation: Limitation


def _period_end(after: date, years: int) -> date:
    """The last day of a period of ``years`` years that runs from the day after ``after``."""
    return month_elapsed_day(after + _DAY, 12 * years)


def _later(current: date | None, candidate: date) -> date | None:
    return None if current is None else max(current, candidate)


def _order_key(event: Event) -> tuple[date, str, bool, date]:
    return (event.on, event.kind, event.until is None, event.until or event.on)


def _check(events: Iterable[Event], kinds: Mapping[str, EventKind]) -> list[Event]:
    ordered = sorted(events, key=_order_key)
    for event in ordered:
        if event.kind not in kinds:
            known = ", ".join(kinds)
            raise ValueError(f"unknown limitation event kind {event.kind!r}; known: {known}")
        if event.until is not None and event.until < event.on:
            raise ValueError(f"event {event.kind!r} on {event.on.isoformat()} ends before it starts")
    return ordered


def limitation(
    legal_due_date: date,
    years: int,
    events: Iterable[Event] = (),
    kinds: Mapping[str, EventKind] = DEFAULT_KINDS,
) -> Limitation:
    """The completion date of the limitation period (時効完成日) and how it was reached.

    ``years`` is the revenue's period (`Revenue.limitation_years`). The right is extinguished on
    the day after ``completes_on``. ``completes_on`` is None while a RENEW_AT_END event (a seizure)
    is still in force. Events may come in any order; an unknown kind raises ValueError.
    """
    if years < 1:
        raise ValueError(f"years must be >= 1, got {years}")
    ordered = _check(events, kinds)
    w = wareki

    end: date | None = _period_end(legal_due_date, years)
    steps = [Step(None, True, end, f"法定納期限({w(legal_due_date)})の翌日から起算({years}年)")]
    seen: set[str] = set()
    reminder_until: date | None = None  # completion postponed by a reminder (民法150条) to this day
    open_head = ""  # the RENEW_AT_END event still in force

    for event in ordered:
        kind = kinds[event.kind]
        head = f"{kind.label}({w(event.on)})"
        first = event.kind not in seen
        seen.add(event.kind)
        applied = False
        was_open = end is None
        if end is not None and event.on > end:
            reason = f"{head}: 時効完成後のため効力なし"
        elif kind.first_only and not first:
            reason = f"{head}: 2回目以降の{kind.label}のため効力なし"
        elif kind.effect is Effect.RENEW_AFTER:
            applied = True
            base = event.on + timedelta(days=kind.offset_days)
            end = _later(end, _period_end(base, years))
            reminder_until = None
            since = f"{w(base)}の翌日" if kind.offset_days else "翌日"
            reason = f"{head}により更新: {since}から新たに{years}年"
        elif kind.effect is Effect.RENEW_AT_END:
            applied = True
            reminder_until = None
            if event.until is None:
                end = None
                if not was_open:
                    open_head = f"{kind.label}({w(event.on)}〜)"
                reason = f"{kind.label}({w(event.on)}〜)により完成猶予: 継続中のため時効は完成しない"
            else:
                end = _later(end, _period_end(event.until, years))
                span = f"{kind.label}({w(event.on)}〜{w(event.until)})"
                reason = f"{span}により完成猶予、終了の翌日から新たに{years}年"
        elif kind.effect is Effect.POSTPONE_ONCE:
            window = month_elapsed_day(event.on + _DAY, REMINDER_MONTHS)
            if end is None:
                reason = f"{head}: 効力なし"
            elif reminder_until is not None and event.on <= reminder_until:
                reason = f"{head}: 催告による完成猶予中のため効力なし(民法150条2項)"
            elif end >= window:
                reason = f"{head}: 時効完成まで6か月以上あるため効力なし"
            else:
                applied = True
                end = reminder_until = window
                reason = f"{head}により完成猶予: 6か月を経過する{w(window)}まで完成しない"
        else:
            reason = f"{head}: 時効への効力なし"
        if was_open:
            reason += f"({open_head}が継続中のため時効は完成しない)"
        steps.append(Step(event, applied, end, reason))
    return Limitation(end, tuple(steps))


def suspension_extinction_date(started_on: date, cancelled_on: date | None = None) -> date | None:
    """The day the debt no longer exists because a suspension (執行停止) lasted 3 years.

    地方税法15条の7第4項: extinguished when the suspension has lasted 3 years. ``started_on`` is the
    day the suspension took effect; as it takes effect during that day, the 3 years run from the
    next day (初日不算入, 民法140条) through the day on which 36 months have elapsed (民法143条),
    and the debt is gone from the day after: started 2021-04-01 → last day 2024-04-01 → extinguished
    2024-04-02. None if the suspension was cancelled (``cancelled_on``, the day the cancellation took
    effect) on or before that last day.
    """
    if cancelled_on is not None and cancelled_on < started_on:
        raise ValueError(f"suspension cancelled on {cancelled_on.isoformat()}, before it started")
    last = month_elapsed_day(started_on + _DAY, SUSPENSION_MONTHS)
    if cancelled_on is not None and cancelled_on <= last:
        return None
    return last + _DAY


_GROUND_ORDER: tuple[Ground, ...] = ("limitation", "suspension", "immediate")


def extinction(
    legal_due_date: date,
    years: int,
    events: Iterable[Event] = (),
    suspensions: Iterable[tuple[date, date | None]] = (),
    immediate_on: date | None = None,
    kinds: Mapping[str, EventKind] = DEFAULT_KINDS,
) -> Extinction:
    """When and why the debt is extinguished: the earliest of its grounds.

    - ``"limitation"``: the day after the limitation period completes (`limitation`); the period
      keeps running during a suspension (law.md §6);
    - ``"suspension"``: a suspension ``(started_on, cancelled_on)`` lasting 3 years
      (`suspension_extinction_date`);
    - ``"immediate"``: extinguished at once on ``immediate_on`` (15条の7第5項), which must fall while
      a suspension is in force (from its start, before its cancellation).

    On the same day the ground listed first wins. ``on`` and ``ground`` are None while no ground
    applies.
    """
    trace = limitation(legal_due_date, years, events, kinds)
    spans = list(suspensions)
    candidates: list[tuple[date, Ground]] = []
    if trace.completes_on is not None:
        candidates.append((trace.completes_on + _DAY, "limitation"))
    for started_on, cancelled_on in spans:
        gone = suspension_extinction_date(started_on, cancelled_on)
        if gone is not None:
            candidates.append((gone, "suspension"))
    if immediate_on is not None:
        if not any(s <= immediate_on and (c is None or immediate_on < c) for s, c in spans):
            raise ValueError(
                f"immediate extinction on {immediate_on.isoformat()} needs a suspension (執行停止) in force"
                " that day (地方税法15条の7第5項)"
            )
        candidates.append((immediate_on, "immediate"))
    if not candidates:
        return Extinction(None, None, trace)
    on, ground = min(candidates, key=lambda c: (c[0], _GROUND_ORDER.index(c[1])))
    return Extinction(on, ground, trace)

"""Refund interest (還付加算金, 地方税法17条の4) on an overpayment (過誤納金).

Interest runs from the day after a start day through an end day, each day at its own calendar
year's refund rate, divisor 365. Base truncated to 1,000 yen (none under 2,000); result truncated
to 100 yen (none under 1,000).

- The start day depends on the kind of overpayment (17条の4第1項各号, law.md §7); the classes are
  data (`INTEREST_STARTS`): each names the event dates it is counted from and takes the earliest of
  its candidate days. The day is never before the payment: interest does not run on money not yet
  paid.
- The end day is the day the refund payment is decided (還付のための支出を決定した日), or for an
  appropriation the day it is made, or the earlier day on which it became possible (充当適状).
- Excluded period (17条の4第2項第1号): when the person was notified of the overpayment and did not
  claim it within 30 days of the notice, the days from the day after the 30th day through the day of
  the claim (or through the end, no claim yet) do not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from choshu.rules.calendar import month_elapsed_day
from choshu.rules.latefee import (
    BASE_UNIT,
    BP,
    DAYS_PER_YEAR,
    FEE_UNIT,
    MIN_FEE,
    MIN_PRINCIPAL,
    RATES,
    YearRates,
    rates_for,
)
from choshu.rules.money import truncate

_DAY = timedelta(days=1)
EXCLUSION_GRACE_DAYS = 30  # 17条の4第2項第1号: the notice's 30 days


class InterestClass(StrEnum):
    """The kinds of overpayment of 17条の4第1項, which fix where refund interest starts."""

    REDUCTION = "reduction"  # 第1号: lowered by 更正・決定・賦課決定
    CORRECTION_REQUEST = "correction_request"  # 第2号: lowered after a request for correction (更正の請求)
    NATIONAL_CORRECTION = "national_correction"  # 第3号: lowered following a national income-tax correction
    ERRONEOUS = "erroneous"  # 第4号: every other overpayment, e.g. paid twice or beyond the amount (誤納)


class Event(StrEnum):
    """The dates a start day is counted from."""

    PAID = "paid_on"  # 納付又は納入があつた日
    REQUESTED = "requested_on"  # 更正の請求があつた日
    CORRECTED = "corrected_on"  # 更正があつた日
    NOTIFIED = "notified_on"  # 所得税の更正の通知がされた日


@dataclass(frozen=True)
class StartRule:
    """A candidate start day: the event's day itself (months 0), or the day on which `months`
    months have elapsed counted from the day after the event (翌日から起算してN月を経過する日)."""

    event: Event
    months: int = 0

    def day(self, on: date) -> date:
        return on if self.months == 0 else month_elapsed_day(on + _DAY, self.months)


@dataclass(frozen=True)
class InterestStart:
    label: str  # shown on the notices
    article: str
    rules: tuple[StartRule, ...]  # the earliest of their days


# law.md §7 [S51c][S12]; the 第4号 rule (one month after the payment) as published by Kawasaki city
# (宮前区, 還付加算金の起算日 (5)) and Aichi-Togo; 第3号 counted from the notice of the income-tax correction.
INTEREST_STARTS: dict[InterestClass, InterestStart] = {
    InterestClass.REDUCTION: InterestStart(
        "更正・決定・賦課決定による減額", "地方税法第17条の4第1項第1号", (StartRule(Event.PAID),)
    ),
    InterestClass.CORRECTION_REQUEST: InterestStart(
        "更正の請求に基づく更正による減額",
        "地方税法第17条の4第1項第2号",
        (StartRule(Event.REQUESTED, 3), StartRule(Event.CORRECTED, 1)),
    ),
    InterestClass.NATIONAL_CORRECTION: InterestStart(
        "所得税の更正に基因する減額", "地方税法第17条の4第1項第3号", (StartRule(Event.NOTIFIED, 1),)
    ),
    InterestClass.ERRONEOUS: InterestStart("誤納", "地方税法第17条の4第1項第4号", (StartRule(Event.PAID, 1),)),
}


class MissingEvent(ValueError):
    """A start rule needs an event date that was not given."""


def interest_start(
    kind: InterestClass | str,
    events: Mapping[str, date],
    starts: Mapping[InterestClass, InterestStart] = INTEREST_STARTS,
) -> date:
    """The day after which refund interest accrues for an overpayment of `kind`.

    `events` maps `Event` values to dates; every event the class's rules name must be given.
    When the payment date is given and later than the day the rules give, it is used instead.
    """
    start = starts[InterestClass(kind)]
    days = []
    for rule in start.rules:
        if rule.event.value not in events:
            raise MissingEvent(f"{start.article} needs {rule.event.value}")
        days.append(rule.day(events[rule.event.value]))
    day = min(days)
    paid_on = events.get(Event.PAID.value)
    return max(day, paid_on) if paid_on is not None else day


def interest_end(*, decided_on: date, appropriable_on: date | None = None) -> date:
    """The last day of interest: the decision, or for an appropriation 充当適状 when earlier."""
    return decided_on if appropriable_on is None else min(decided_on, appropriable_on)


def exclusion(*, notified_on: date | None, claimed_on: date | None, end: date) -> tuple[date, date] | None:
    """The excluded days (first, last) of 17条の4第2項第1号, or None.

    Notified on `notified_on` and not claimed by the day on which 30 days have elapsed
    (`notified_on` + 30): the days after that through `claimed_on` (or `end`, no claim yet).
    """
    if notified_on is None:
        return None
    grace_ends = notified_on + timedelta(days=EXCLUSION_GRACE_DAYS)
    if claimed_on is not None and claimed_on <= grace_ends:
        return None
    first, last = grace_ends + _DAY, min(claimed_on or end, end)
    return (first, last) if first <= last else None


def _days_by_year(first: date, last: date, excluded: tuple[date, date] | None) -> dict[int, int]:
    """Days from `first` through `last` per calendar year, less the excluded days."""
    days: dict[int, int] = {}
    for year in range(first.year, last.year + 1):
        lo, hi = max(first, date(year, 1, 1)), min(last, date(year, 12, 31))
        n = (hi - lo).days + 1
        if excluded is not None:
            out_lo, out_hi = max(lo, excluded[0]), min(hi, excluded[1])
            if out_lo <= out_hi:
                n -= (out_hi - out_lo).days + 1
        if n > 0:
            days[year] = n
    return days


def refund_interest(
    *,
    amount: int,
    start: date,
    end: date,
    rates: Mapping[int, YearRates] = RATES,
    excluded: tuple[date, date] | None = None,
) -> int:
    """Refund interest on `amount` from the day after `start` through `end`, less `excluded` days."""
    if amount < MIN_PRINCIPAL or end <= start:
        return 0
    base = truncate(amount, BASE_UNIT)
    total = 0
    for year, days in _days_by_year(start + _DAY, end, excluded).items():
        total += base * rates_for(year, rates).refund_bp * days // (DAYS_PER_YEAR * BP)
    total = truncate(total, FEE_UNIT)
    return total if total >= MIN_FEE else 0


@dataclass(frozen=True)
class RefundInterest:
    """Refund interest with how it was computed (shown before a refund is decided, and on notices)."""

    amount: int  # the interest
    principal: int  # the amount it is computed on
    base: int  # the principal truncated to 1,000 yen
    kind: InterestClass
    start: date  # interest from the day after
    end: date  # through this day
    days: int  # days counted, excluded days left out
    excluded: tuple[date, date] | None

    @property
    def label(self) -> str:
        return INTEREST_STARTS[self.kind].label

    @property
    def first_day(self) -> date:
        return self.start + _DAY


def compute_refund_interest(
    *,
    amount: int,
    kind: InterestClass | str,
    events: Mapping[str, date],
    decided_on: date,
    appropriable_on: date | None = None,
    notified_on: date | None = None,
    claimed_on: date | None = None,
    rates: Mapping[int, YearRates] = RATES,
    starts: Mapping[InterestClass, InterestStart] = INTEREST_STARTS,
) -> RefundInterest:
    """The refund interest on `amount` of an overpayment of `kind`, decided (refund or appropriation)
    on `decided_on`; `appropriable_on` is the 充当適状 day of an appropriation; `notified_on` and
    `claimed_on` the notice of the overpayment and the person's claim (the 30-day exclusion)."""
    kind = InterestClass(kind)
    start = interest_start(kind, events, starts)
    end = interest_end(decided_on=decided_on, appropriable_on=appropriable_on)
    excluded = exclusion(notified_on=notified_on, claimed_on=claimed_on, end=end) if end > start else None
    days = sum(_days_by_year(start + _DAY, end, excluded).values()) if end > start else 0
    interest = refund_interest(amount=amount, start=start, end=end, rates=rates, excluded=excluded)
    base = truncate(amount, BASE_UNIT) if amount >= MIN_PRINCIPAL else 0
    return RefundInterest(interest, amount, base, kind, start, end, days, excluded)

"""Late fees (延滞金) on local taxes and NHI premiums.

Rules (docs: DESIGN.md "Decisions already taken"; reference/law.md §1, §2):

- the fee runs from the day after the (already shifted) due date to the payment date,
  both ends included;
- each day is charged at the rate of its own calendar year; divisor 365 always
  (昭和45年法律第13号 25条), also in leap years;
- tier 1 (reduced rate) runs through the day on which N months have elapsed (民法143条),
  N = 1 for taxes, 3 for NHI premiums; tier 2 after that;
- base = unpaid principal truncated to 1,000 yen; a payment lowers it from the day after
  its date (国税通則法62条1項 analogue);
- each segment (maximal run of days with the same base, tier, year and waived fraction) is
  truncated to whole yen, then the segments are summed; the total is truncated to 100 yen and
  dropped if under 1,000 yen; an installment whose principal is under 2,000 yen bears no fee
  (地方税法20条の4の2 第2項・第5項);
- waivers (延滞金の免除, law.md §8; docs/decisions.md "Late-fee waivers"): a day inside a waiver
  period is charged only the unwaived fraction (full 1, half 1/2; the larger wins on a day two
  waivers cover). Waiver boundaries split segments too, and each segment charges
  base * rate * days * (1 - waived) / 365 truncated to whole yen, before the rounding above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from choshu.rules.calendar import month_elapsed_day
from choshu.rules.money import format_bp, truncate

DAYS_PER_YEAR = 365  # statutory divisor, leap years included
BP = 10_000  # basis points per unit
BASE_UNIT = 1_000  # principal truncated to 1,000 yen
FEE_UNIT = 100  # fee truncated to 100 yen
MIN_PRINCIPAL = 2_000  # principal under this: no fee
MIN_FEE = 1_000  # fee under this: no fee


@dataclass(frozen=True)
class YearRates:
    """Rates in force for one calendar year, in basis points (2.5% = 250)."""

    year: int
    tier1_bp: int  # 納期限の翌日から1月(国保料は3月)を経過する日まで
    tier2_bp: int  # その後
    refund_bp: int  # 還付加算金
    deferral_bp: int | None  # 猶予特例基準割合 (fee rate during a deferral), None where not known


def _table(*rows: tuple[int, int, int, int, int | None]) -> dict[int, YearRates]:
    return {row[0]: YearRates(*row) for row in rows}


# law.md §1.2. 2010–2013: 特例基準割合 (discount rate + 4%) for tier 1, flat 14.6% after.
# 2014–2020: the deferral rate followed 特例基準割合 but law.md does not confirm the value → None.
RATES: dict[int, YearRates] = _table(
    (2010, 430, 1460, 430, None),
    (2011, 430, 1460, 430, None),
    (2012, 430, 1460, 430, None),
    (2013, 430, 1460, 430, None),
    (2014, 290, 920, 190, None),
    (2015, 280, 910, 180, None),
    (2016, 280, 910, 180, None),
    (2017, 270, 900, 170, None),
    (2018, 260, 890, 160, None),
    (2019, 260, 890, 160, None),
    (2020, 260, 890, 160, None),
    (2021, 250, 880, 100, 100),
    (2022, 240, 870, 90, 90),
    (2023, 240, 870, 90, 90),
    (2024, 240, 870, 90, 90),
    (2025, 240, 870, 90, 90),
    (2026, 280, 910, 130, 130),
)


class RateNotFound(LookupError):
    pass


def rates_for(year: int, rates: Mapping[int, YearRates] = RATES) -> YearRates:
    try:
        return rates[year]
    except KeyError:
        span = f"{min(rates)}–{max(rates)}" if rates else "nothing"
        raise RateNotFound(f"no late-fee rates for {year}; the rate table covers {span}") from None


@dataclass(frozen=True)
class WaiverKind:
    """A kind of late-fee waiver (延滞金の免除) and the fraction of the fee it waives."""

    code: str
    fraction: Fraction  # of each day's fee, 0 < fraction <= 1
    label: str
    basis: str


# law.md §8 (地方税法15条の9, national analogue 国税通則法63条1項).
WAIVER_KINDS: dict[str, WaiverKind] = {
    k.code: k
    for k in (
        WaiverKind(
            "full",
            Fraction(1),
            "全額免除",
            "徴収猶予(15条1項1号・2号、1号・2号に類する5号)、滞納処分の執行停止(15条の7)の期間",
        ),
        WaiverKind(
            "half",
            Fraction(1, 2),
            "2分の1免除",
            "徴収猶予(15条1項3号・4号、3号・4号に類する5号、15条2項)、換価の猶予(15条の5・15条の6)の期間",
        ),
    )
}
WAIVER_FRACTIONS: dict[str, Fraction] = {code: k.fraction for code, k in WAIVER_KINDS.items()}


@dataclass(frozen=True)
class Waiver:
    """A period (both ends included) in which the late fee is waived by `kind` (see WAIVER_KINDS).

    ``end`` None: still in force, i.e. through the last day the fee runs.
    """

    start: date
    end: date | None
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in WAIVER_KINDS:
            raise ValueError(f"unknown waiver kind {self.kind!r}; known: {', '.join(WAIVER_KINDS)}")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"waiver ends {self.end} before it starts {self.start}")

    @property
    def fraction(self) -> Fraction:
        return WAIVER_KINDS[self.kind].fraction


@dataclass(frozen=True)
class Segment:
    """Days charged with the same base, tier, calendar year and waived fraction."""

    start: date
    end: date  # inclusive
    days: int
    base: int  # unpaid principal truncated to 1,000 yen
    rate_bp: int
    amount: int  # base * rate * days * (1 - waived) / 365, truncated to whole yen
    waived: Fraction = Fraction(0)  # fraction of the fee waived on these days (0, 1/2, 1)

    @property
    def rate(self) -> str:
        """The annual rate as a percent string, e.g. "2.5"."""
        return format_bp(self.rate_bp)


@dataclass(frozen=True)
class LateFee:
    amount: int  # the fee: truncated to 100 yen, 0 if under 1,000
    fixed: bool  # 確定: principal fully paid
    segments: tuple[Segment, ...]
    unrounded: int  # sum of the segment amounts before the 100-yen truncation


_DAY = timedelta(days=1)


def compute_late_fee(
    *,
    principal: int,
    due_date: date,
    payments: Sequence[tuple[date, int]] = (),
    as_of: date | None = None,
    first_tier_months: int = 1,
    rates: Mapping[int, YearRates] = RATES,
    waivers: Sequence[Waiver] = (),
) -> LateFee:
    """The late fee of one installment (期別).

    ``due_date`` is the effective due date (already moved past closed days).
    ``payments`` are principal payments ``(paid_on, amount)``; a reversal is a negative amount.
    If the payments (up to ``as_of`` when given) clear the principal, the fee is fixed and
    runs to the day it was cleared. Otherwise ``as_of`` is required and the fee is the one
    due if the rest were paid on ``as_of`` (that day counts); later payments are ignored.
    """
    if principal < 0:
        raise ValueError(f"principal must not be negative, got {principal}")
    # Net paid per day, in date order; only payments up to as_of count.
    net: dict[date, int] = {}
    for paid_on, amount in payments:
        if as_of is None or paid_on <= as_of:
            net[paid_on] = net.get(paid_on, 0) + amount
    days = sorted(net)

    # The day the principal was cleared for good (a later reversal reopens it).
    balance = principal
    cleared_on: date | None = due_date if principal == 0 else None
    for d in days:
        balance -= net[d]
        if balance <= 0:
            cleared_on = cleared_on or d
        else:
            cleared_on = None
    fixed = cleared_on is not None
    if cleared_on is not None:
        end = cleared_on
    elif as_of is not None:
        end = as_of
    else:
        raise ValueError("as_of is required while the principal is not fully paid")

    start = due_date + _DAY
    if principal < MIN_PRINCIPAL or end < start:
        return LateFee(0, fixed, (), 0)
    tier1_end = month_elapsed_day(start, first_tier_months)

    # Waiver periods clipped to the fee's days; an open end runs through `end`.
    covers = [(max(w.start, start), min(w.end or end, end), w.fraction) for w in waivers]
    covers = [(a, b, f) for a, b, f in covers if a <= b]

    # Days on which base, tier, year or waiver may change; [points[i], points[i+1]) is uniform.
    breaks = {start, end + _DAY, tier1_end + _DAY}
    breaks.update(date(y, 1, 1) for y in range(start.year + 1, end.year + 1))
    breaks.update(d + _DAY for d in days)
    for a, b, _f in covers:
        breaks.update((a, b + _DAY))
    points = sorted(p for p in breaks if start <= p <= end + _DAY)

    runs: list[tuple[date, date, int, int, int, Fraction]] = []  # (start, end, base, tier, year, waived)
    balance = principal
    i = 0
    for first, after in zip(points, points[1:], strict=False):
        while i < len(days) and days[i] < first:
            balance -= net[days[i]]
            i += 1
        base = truncate(max(balance, 0), BASE_UNIT)
        tier = 1 if first <= tier1_end else 2
        waived = max((f for a, b, f in covers if a <= first <= b), default=Fraction(0))
        last = after - _DAY
        if runs and runs[-1][2:] == (base, tier, first.year, waived):
            runs[-1] = (runs[-1][0], last, base, tier, first.year, waived)
        else:
            runs.append((first, last, base, tier, first.year, waived))

    segments: list[Segment] = []
    for seg_start, seg_end, base, tier, year, waived in runs:
        if base == 0:
            continue
        year_rates = rates_for(year, rates)
        rate_bp = year_rates.tier1_bp if tier == 1 else year_rates.tier2_bp
        n = (seg_end - seg_start).days + 1
        # One truncation of the exact charged amount; for a half waiver it equals halving the
        # segment's truncated full fee, since floor(floor(x) / 2) == floor(x / 2).
        charged = 1 - waived
        amount = base * rate_bp * n * charged.numerator // (DAYS_PER_YEAR * BP * charged.denominator)
        segments.append(Segment(seg_start, seg_end, n, base, rate_bp, amount, waived))

    unrounded = sum(s.amount for s in segments)
    total = truncate(unrounded, FEE_UNIT)
    if total < MIN_FEE:
        total = 0
    return LateFee(total, fixed, tuple(segments), unrounded)

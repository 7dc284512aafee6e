"""Refund interest (還付加算金, 地方税法17条の4) on an overpayment.

Interest runs from the day after `start` through `end` (the day the refund is decided or the
appropriation takes effect), each day at its own calendar year's refund rate, divisor 365.
Base truncated to 1,000 yen (none under 2,000); result truncated to 100 yen (none under 1,000).
Which `start` applies depends on the kind of overpayment (law.md §7); callers choose it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

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


def refund_interest(*, amount: int, start: date, end: date, rates: Mapping[int, YearRates] = RATES) -> int:
    if amount < MIN_PRINCIPAL or end <= start:
        return 0
    base = truncate(amount, BASE_UNIT)
    first = start + timedelta(days=1)
    total = 0
    for year in range(first.year, end.year + 1):
        days = (min(end, date(year, 12, 31)) - max(first, date(year, 1, 1))).days + 1
        total += base * rates_for(year, rates).refund_bp * days // (DAYS_PER_YEAR * BP)
    total = truncate(total, FEE_UNIT)
    return total if total >= MIN_FEE else 0

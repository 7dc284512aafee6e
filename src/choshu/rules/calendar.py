"""Calendar rules: closed days, due-date shift, 民法143 month periods, 和暦, fiscal year."""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta

import jpholiday


def is_closed_day(d: date) -> bool:
    """True on days a due date cannot fall on (地方税法20条の5第2項, 民法142条).

    Saturday, Sunday, national holidays (祝日, incl. 振替休日 and 国民の休日),
    29–31 December and 1–3 January (年末年始).
    """
    if d.weekday() >= 5:
        return True
    if (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3):
        return True
    return bool(jpholiday.is_holiday(d))


def shift_due_date(nominal: date) -> date:
    """The effective due date (納期限): the nominal date, or the next open day if it is closed."""
    d = nominal
    while is_closed_day(d):
        d += timedelta(days=1)
    return d


def month_elapsed_day(start: date, months: int) -> date:
    """The day on which ``months`` months have elapsed (N月を経過する日, 民法143条).

    ``start`` is the first day of the period (起算日, e.g. the day after the due date).
    The period ends on the day before the day with the same number ``months`` months
    later; if that month has no such day, on the last day of that month.
    Start 6/1 → 6/30; start 2/1 → end of February; start 5/31 → 6/30; start 1/31 → end of February.
    """
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    index = start.year * 12 + start.month - 1 + months
    year, month0 = divmod(index, 12)
    last = _cal.monthrange(year, month0 + 1)[1]
    if start.day > last:
        return date(year, month0 + 1, last)
    return date(year, month0 + 1, start.day) - timedelta(days=1)


# (first day, name, short letter), newest first.
_ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
)


def _era(d: date) -> tuple[str, str, int]:
    for first, name, letter in _ERAS:
        if d >= first:
            return name, letter, d.year - first.year + 1
    raise ValueError(f"no supported era (和暦) for {d.isoformat()}")


def wareki(d: date) -> str:
    """Japanese era date, e.g. "令和8年11月25日"; the first year is written "元年"."""
    name, _, year = _era(d)
    year_text = "元" if year == 1 else str(year)
    return f"{name}{year_text}年{d.month}月{d.day}日"


def wareki_short(d: date) -> str:
    """Short era date, e.g. "R8.11.25" (first year as 1: "R1.5.1")."""
    _, letter, year = _era(d)
    return f"{letter}{year}.{d.month}.{d.day}"


def fiscal_year_of(d: date) -> int:
    """Fiscal year (年度), April–March: 2026-03-31 → 2025, 2026-04-01 → 2026."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_label(year: int) -> str:
    """年度 in 和暦: 2025 → "令和7年度"; 2019 → "令和元年度" (the era in force for most of the year)."""
    return wareki(date(year, 5, 1)).split("年", 1)[0] + "年度"

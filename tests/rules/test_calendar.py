from datetime import date, timedelta

import pytest

from choshu.rules.calendar import (
    fiscal_year_of,
    is_closed_day,
    month_elapsed_day,
    shift_due_date,
    wareki,
    wareki_short,
)


def _nominal_dates(year: int) -> list[date]:
    out = []
    for month in range(1, 13):
        out.append(date(year, month, 10))
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        out.append(nxt - timedelta(days=1))
    return out


@pytest.mark.parametrize("year", range(2014, 2027))
def test_shift_due_date_every_month_end_and_10th(year: int) -> None:
    for nominal in _nominal_dates(year):
        shifted = shift_due_date(nominal)
        assert shifted >= nominal
        assert not is_closed_day(shifted), (nominal, shifted)
        d = nominal
        while d < shifted:
            assert is_closed_day(d), (nominal, d)
            d += timedelta(days=1)


@pytest.mark.parametrize(
    ("nominal", "expected"),
    [
        (date(2026, 1, 31), date(2026, 2, 2)),  # Saturday → Monday (V2)
        (date(2025, 12, 31), date(2026, 1, 5)),  # 年末年始 + weekend
        (date(2025, 12, 28), date(2026, 1, 5)),  # Sunday, then 12/29–1/3, then weekend
        (date(2026, 5, 1), date(2026, 5, 1)),  # Friday, open
        (date(2026, 5, 2), date(2026, 5, 7)),  # golden week incl. 振替休日 5/6
        (date(2025, 5, 3), date(2025, 5, 7)),  # 5/6/2025 振替休日
        (date(2019, 4, 30), date(2019, 5, 7)),  # 2019 ten-day holiday (即位の日)
        (date(2026, 9, 21), date(2026, 9, 24)),  # 敬老の日, 国民の休日, 秋分の日
        (date(2025, 6, 30), date(2025, 6, 30)),  # Monday
        (date(2025, 8, 31), date(2025, 9, 1)),  # Sunday (V3)
        (date(2024, 3, 20), date(2024, 3, 21)),  # 春分の日
        (date(2026, 1, 10), date(2026, 1, 13)),  # Sat, Sun, 成人の日
    ],
)
def test_shift_due_date_known_cases(nominal: date, expected: date) -> None:
    assert shift_due_date(nominal) == expected


def test_is_closed_day() -> None:
    assert is_closed_day(date(2025, 12, 29))  # Monday, 年末
    assert is_closed_day(date(2026, 1, 2))  # Friday, 年始
    assert is_closed_day(date(2026, 2, 23))  # 天皇誕生日
    assert not is_closed_day(date(2025, 12, 26))  # Friday
    assert not is_closed_day(date(2026, 1, 5))  # Monday


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2021, 6, 1), 1, date(2021, 6, 30)),  # V1
        (date(2026, 2, 3), 1, date(2026, 3, 2)),  # V2
        (date(2025, 9, 2), 1, date(2025, 10, 1)),  # V3
        (date(2024, 2, 1), 1, date(2024, 2, 29)),  # V4, leap year
        (date(2025, 2, 1), 1, date(2025, 2, 28)),
        (date(2025, 7, 1), 1, date(2025, 7, 31)),  # V5, V7
        # V6: across the year; V6 itself is paid 1/24, inside tier 1
        (date(2025, 12, 26), 1, date(2026, 1, 25)),
        (date(2025, 7, 1), 3, date(2025, 9, 30)),  # V9
        (date(2025, 5, 31), 1, date(2025, 6, 30)),  # no 6/31 → end of June
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
        (date(2025, 1, 29), 1, date(2025, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
    ],
)
def test_month_elapsed_day(start: date, months: int, expected: date) -> None:
    assert month_elapsed_day(start, months) == expected


@pytest.mark.parametrize(
    ("d", "long", "short"),
    [
        (date(2026, 11, 25), "令和8年11月25日", "R8.11.25"),
        (date(2019, 5, 1), "令和元年5月1日", "R1.5.1"),
        (date(2019, 4, 30), "平成31年4月30日", "H31.4.30"),
        (date(1989, 1, 8), "平成元年1月8日", "H1.1.8"),
        (date(1989, 1, 7), "昭和64年1月7日", "S64.1.7"),
        (date(1926, 12, 25), "昭和元年12月25日", "S1.12.25"),
        (date(2020, 1, 1), "令和2年1月1日", "R2.1.1"),
    ],
)
def test_wareki(d: date, long: str, short: str) -> None:
    assert wareki(d) == long
    assert wareki_short(d) == short


def test_wareki_before_showa() -> None:
    with pytest.raises(ValueError):
        wareki(date(1926, 12, 24))


def test_fiscal_year_of() -> None:
    assert fiscal_year_of(date(2026, 3, 31)) == 2025
    assert fiscal_year_of(date(2026, 4, 1)) == 2026
    assert fiscal_year_of(date(2025, 12, 31)) == 2025

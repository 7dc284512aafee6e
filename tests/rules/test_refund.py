from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from choshu.rules.refund import refund_interest


def test_refund_interest_one_year_2025():
    # 1,000,000 × 0.9% × 365/365 = 9,000
    assert refund_interest(amount=1_000_500, start=date(2024, 12, 31), end=date(2025, 12, 31)) == 9_000


def test_refund_interest_splits_calendar_years():
    # 2025-12-01..12-31: 31 days at 0.9% → 7,643; 2026-01-01..01-31: 31 days at 1.3% → 11,041
    assert refund_interest(amount=10_000_000, start=date(2025, 11, 30), end=date(2026, 1, 31)) == 18_600


def test_refund_interest_thresholds():
    assert refund_interest(amount=1_999, start=date(2020, 1, 1), end=date(2025, 1, 1)) == 0
    assert refund_interest(amount=50_000, start=date(2025, 1, 1), end=date(2025, 3, 1)) == 0  # under 1,000


@given(st.integers(0, 10**8), st.dates(date(2014, 1, 1), date(2026, 6, 30)), st.integers(0, 180))
def test_refund_interest_is_rounded_and_monotone(amount, start, days):
    end = date.fromordinal(start.toordinal() + days)
    value = refund_interest(amount=amount, start=start, end=end)
    assert value >= 0 and value % 100 == 0 and (value == 0 or value >= 1000)
    assert refund_interest(amount=amount + 1000, start=start, end=end) >= value

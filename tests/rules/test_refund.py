from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.rules.refund import (
    INTEREST_STARTS,
    Event,
    InterestClass,
    InterestStart,
    MissingEvent,
    StartRule,
    compute_refund_interest,
    exclusion,
    interest_end,
    interest_start,
    refund_interest,
)


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


# ---- start day by class, end day, 30-day exclusion (law.md §7) ------------------------------------

PAID = date(2025, 6, 30)


def test_reduction_starts_the_day_after_payment():
    # 第1号: from 2025-07-01 through 2026-06-30 = 184 days of 2025 @0.9% + 181 days of 2026 @1.3%
    # 1,000,000 × 0.9% × 184/365 = 4,536.98 → 4,536; 1,000,000 × 1.3% × 181/365 = 6,446.57 → 6,446
    # 10,982 → truncated to 100 yen: 10,900
    result = compute_refund_interest(
        amount=1_000_500, kind=InterestClass.REDUCTION, events={"paid_on": PAID}, decided_on=date(2026, 6, 30)
    )
    assert (result.start, result.first_day, result.days, result.base, result.amount) == (
        PAID,
        date(2025, 7, 1),
        365,
        1_000_000,
        10_900,
    )


def test_erroneous_payment_starts_one_month_after_payment():
    # 第4号: one month counted from 2025-07-01 has elapsed on 2025-07-31; interest from 2025-08-01:
    # 153 days of 2025 → 3,772 (3,772.6); 181 days of 2026 → 6,446; 10,218 → 10,200
    result = compute_refund_interest(
        amount=1_000_500, kind="erroneous", events={"paid_on": PAID}, decided_on=date(2026, 6, 30)
    )
    assert (result.start, result.days, result.amount) == (date(2025, 7, 31), 334, 10_200)
    assert result.label == "誤納"


def test_correction_request_takes_the_earlier_of_three_months_and_one_month():
    events = {"paid_on": date(2025, 3, 15), "requested_on": date(2025, 4, 10), "corrected_on": date(2025, 8, 20)}
    # 3 months from 2025-04-11 → 2025-07-10; 1 month from 2025-08-21 → 2025-09-20; the earlier: 07-10
    assert interest_start(InterestClass.CORRECTION_REQUEST, events) == date(2025, 7, 10)
    # 2025-07-11..12-31 = 174 days: 1,000,000 × 0.9% × 174/365 = 4,290.4 → 4,200
    result = compute_refund_interest(
        amount=1_000_000, kind=InterestClass.CORRECTION_REQUEST, events=events, decided_on=date(2025, 12, 31)
    )
    assert (result.days, result.amount) == (174, 4_200)
    # corrected quickly: one month after the correction comes first
    quick = {**events, "corrected_on": date(2025, 5, 1)}
    assert interest_start(InterestClass.CORRECTION_REQUEST, quick) == date(2025, 6, 1)


def test_national_correction_starts_one_month_after_the_notice():
    events = {"paid_on": date(2025, 1, 31), "notified_on": date(2025, 5, 20)}
    # from 2025-06-21 through 12-31: 194 days; 2,000,000 × 0.9% × 194/365 = 9,567 → 9,500
    result = compute_refund_interest(
        amount=2_000_000, kind=InterestClass.NATIONAL_CORRECTION, events=events, decided_on=date(2025, 12, 31)
    )
    assert (result.start, result.days, result.amount) == (date(2025, 6, 20), 194, 9_500)


def test_the_start_is_never_before_the_payment():
    events = {"paid_on": date(2025, 9, 1), "requested_on": date(2025, 1, 10), "corrected_on": date(2025, 2, 1)}
    assert interest_start(InterestClass.CORRECTION_REQUEST, events) == date(2025, 9, 1)


def test_a_missing_event_is_named():
    with pytest.raises(MissingEvent, match="第2号 needs requested_on"):
        interest_start(InterestClass.CORRECTION_REQUEST, {"paid_on": PAID})


def test_the_classes_are_data():
    custom = {InterestClass.ERRONEOUS: InterestStart("誤納", "test", (StartRule(Event.PAID),))}
    assert interest_start(InterestClass.ERRONEOUS, {"paid_on": PAID}, custom) == PAID
    assert set(INTEREST_STARTS) == set(InterestClass)


def test_an_appropriation_ends_at_the_day_it_became_possible():
    assert interest_end(decided_on=date(2025, 12, 1)) == date(2025, 12, 1)
    assert interest_end(decided_on=date(2025, 12, 1), appropriable_on=date(2025, 9, 1)) == date(2025, 9, 1)
    assert interest_end(decided_on=date(2025, 12, 1), appropriable_on=date(2026, 1, 5)) == date(2025, 12, 1)
    # 第1号, paid 2025-06-30, appropriable 2025-09-01: 2025-07-01..09-01 = 63 days;
    # 1,000,000 × 0.9% × 63/365 = 1,553.4 → 1,500
    result = compute_refund_interest(
        amount=1_000_000,
        kind=InterestClass.REDUCTION,
        events={"paid_on": PAID},
        decided_on=date(2025, 12, 1),
        appropriable_on=date(2025, 9, 1),
    )
    assert (result.end, result.days, result.amount) == (date(2025, 9, 1), 63, 1_500)
    # appropriable before interest started: nothing
    none = compute_refund_interest(
        amount=1_000_000,
        kind=InterestClass.ERRONEOUS,
        events={"paid_on": PAID},
        decided_on=date(2025, 12, 1),
        appropriable_on=PAID,
    )
    assert (none.days, none.amount) == (0, 0)


def test_the_thirty_day_exclusion():
    # notified 2025-09-01; 30 days have elapsed on 2025-10-01; claimed 2025-11-30:
    # 2025-10-02..11-30 (60 days) do not count
    assert exclusion(notified_on=date(2025, 9, 1), claimed_on=date(2025, 11, 30), end=date(2025, 12, 31)) == (
        date(2025, 10, 2),
        date(2025, 11, 30),
    )
    assert exclusion(notified_on=date(2025, 9, 1), claimed_on=date(2025, 10, 1), end=date(2025, 12, 31)) is None
    assert exclusion(notified_on=date(2025, 9, 1), claimed_on=None, end=date(2025, 12, 31)) == (
        date(2025, 10, 2),
        date(2025, 12, 31),
    )
    assert exclusion(notified_on=None, claimed_on=None, end=date(2025, 12, 31)) is None
    # paid 2025-01-31, 第1号: 2025-02-01..12-31 = 334 days, less 60 = 274;
    # 1,000,000 × 0.9% × 274/365 = 6,756 → 6,700 (without the exclusion 8,235 → 8,200)
    kwargs = {"amount": 1_000_000, "kind": "reduction", "events": {"paid_on": date(2025, 1, 31)}}
    result = compute_refund_interest(
        **kwargs, decided_on=date(2025, 12, 31), notified_on=date(2025, 9, 1), claimed_on=date(2025, 11, 30)
    )
    assert (result.days, result.amount) == (274, 6_700)
    assert compute_refund_interest(**kwargs, decided_on=date(2025, 12, 31)).amount == 8_200


def test_the_exclusion_across_a_year_end_uses_each_years_rate():
    # 2025-12-01..2026-01-31 less 2025-12-20..2026-01-10: 19 days @0.9% + 21 days @1.3%
    # 10,000,000 × 0.9% × 19/365 = 4,684.9 → 4,684; 10,000,000 × 1.3% × 21/365 = 7,479.4 → 7,479; → 12,100
    assert (
        refund_interest(
            amount=10_000_000,
            start=date(2025, 11, 30),
            end=date(2026, 1, 31),
            excluded=(date(2025, 12, 20), date(2026, 1, 10)),
        )
        == 12_100
    )


def test_rounding_of_the_base_and_the_interest():
    # base 2,999 → 2,000: 2,000 × 0.9% × 365/365 = 18 → under 1,000: none
    small = compute_refund_interest(
        amount=2_999, kind="reduction", events={"paid_on": date(2024, 12, 31)}, decided_on=date(2025, 12, 31)
    )
    assert (small.base, small.amount) == (2_000, 0)
    under = compute_refund_interest(
        amount=1_999, kind="reduction", events={"paid_on": date(2024, 12, 31)}, decided_on=date(2025, 12, 31)
    )
    assert (under.base, under.amount) == (0, 0)
    # 111,999 → base 111,000 × 0.9% = 999 → under 1,000: none; 112,000 × 0.9% = 1,008 → 1,000
    assert refund_interest(amount=111_999, start=date(2024, 12, 31), end=date(2025, 12, 31)) == 0
    assert refund_interest(amount=112_000, start=date(2024, 12, 31), end=date(2025, 12, 31)) == 1_000


@given(
    st.integers(0, 10**8),
    st.dates(date(2014, 1, 1), date(2026, 6, 30)),
    st.integers(0, 180),
    st.integers(0, 200),
    st.integers(0, 60),
)
def test_an_exclusion_never_adds_interest(amount, start, days, notice_after, claim_after):
    end = date.fromordinal(start.toordinal() + days)
    notified = date.fromordinal(start.toordinal() + notice_after)
    claimed = date.fromordinal(notified.toordinal() + claim_after)
    excluded = exclusion(notified_on=notified, claimed_on=claimed, end=end)
    value = refund_interest(amount=amount, start=start, end=end, excluded=excluded)
    assert value % 100 == 0 and (value == 0 or value >= 1000)
    assert value <= refund_interest(amount=amount, start=start, end=end)

import random
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.rules.latefee import (
    RATES,
    WAIVER_FRACTIONS,
    WAIVER_KINDS,
    LateFee,
    RateNotFound,
    Segment,
    Waiver,
    compute_late_fee,
    rates_for,
)

D = date


def _seg(segments: tuple[Segment, ...]) -> list[tuple[date, date, int, int, str, int]]:
    return [(s.start, s.end, s.days, s.base, s.rate, s.amount) for s in segments]


# --- law.md §1.4 and §2 vectors -------------------------------------------------


def test_v1_toyohashi() -> None:
    fee = compute_late_fee(principal=65_000, due_date=D(2021, 5, 31), payments=[(D(2022, 1, 31), 65_000)])
    assert fee.fixed
    assert _seg(fee.segments) == [
        (D(2021, 6, 1), D(2021, 6, 30), 30, 65_000, "2.5", 133),
        (D(2021, 7, 1), D(2021, 12, 31), 184, 65_000, "8.8", 2_883),
        (D(2022, 1, 1), D(2022, 1, 31), 31, 65_000, "8.7", 480),
    ]
    assert fee.unrounded == 3_496
    assert fee.amount == 3_400


def test_v1_as_of_is_the_same_but_not_fixed() -> None:
    fee = compute_late_fee(principal=65_000, due_date=D(2021, 5, 31), as_of=D(2022, 1, 31))
    assert not fee.fixed
    assert fee.amount == 3_400


def test_v2_chuo_yamanashi() -> None:
    fee = compute_late_fee(principal=56_400, due_date=D(2026, 2, 2), payments=[(D(2026, 5, 29), 56_400)])
    assert _seg(fee.segments) == [
        (D(2026, 2, 3), D(2026, 3, 2), 28, 56_000, "2.8", 120),
        (D(2026, 3, 3), D(2026, 5, 29), 88, 56_000, "9.1", 1_228),
    ]
    assert fee.unrounded == 1_348
    assert fee.amount == 1_300


def test_v3_fukuoka() -> None:
    fee = compute_late_fee(principal=152_500, due_date=D(2025, 9, 1), payments=[(D(2026, 2, 5), 152_500)])
    assert _seg(fee.segments) == [
        (D(2025, 9, 2), D(2025, 10, 1), 30, 152_000, "2.4", 299),
        (D(2025, 10, 2), D(2025, 12, 31), 91, 152_000, "8.7", 3_296),
        (D(2026, 1, 1), D(2026, 2, 5), 36, 152_000, "9.1", 1_364),
    ]
    assert fee.unrounded == 4_959
    assert fee.amount == 4_900


def test_v4_leap_year_divisor_365() -> None:
    fee = compute_late_fee(principal=500_000, due_date=D(2024, 1, 31), payments=[(D(2024, 3, 31), 500_000)])
    assert _seg(fee.segments) == [
        (D(2024, 2, 1), D(2024, 2, 29), 29, 500_000, "2.4", 953),
        (D(2024, 3, 1), D(2024, 3, 31), 31, 500_000, "8.7", 3_694),
    ]
    assert fee.amount == 4_600


def test_v5_under_1000_is_zero() -> None:
    fee = compute_late_fee(principal=30_000, due_date=D(2025, 6, 30), payments=[(D(2025, 9, 30), 30_000)])
    assert [(s.days, s.amount) for s in fee.segments] == [(31, 61), (61, 436)]
    assert fee.unrounded == 497
    assert fee.amount == 0
    assert fee.fixed


def test_v6_year_boundary_inside_tier_1() -> None:
    fee = compute_late_fee(principal=1_000_000, due_date=D(2025, 12, 25), payments=[(D(2026, 1, 24), 1_000_000)])
    assert _seg(fee.segments) == [
        (D(2025, 12, 26), D(2025, 12, 31), 6, 1_000_000, "2.4", 394),
        (D(2026, 1, 1), D(2026, 1, 24), 24, 1_000_000, "2.8", 1_841),
    ]
    assert fee.amount == 2_200


def test_v7_partial_payments() -> None:
    fee = compute_late_fee(
        principal=300_000,
        due_date=D(2025, 6, 30),
        payments=[(D(2025, 11, 28), 200_000), (D(2025, 8, 29), 100_000)],  # any order
    )
    assert fee.fixed
    assert _seg(fee.segments) == [
        (D(2025, 7, 1), D(2025, 7, 31), 31, 300_000, "2.4", 611),
        (D(2025, 8, 1), D(2025, 8, 29), 29, 300_000, "8.7", 2_073),
        (D(2025, 8, 30), D(2025, 11, 28), 91, 200_000, "8.7", 4_338),
    ]
    assert fee.unrounded == 7_022
    assert fee.amount == 7_000


def test_v7_as_of_before_clearing_is_not_fixed() -> None:
    payments = [(D(2025, 8, 29), 100_000), (D(2025, 11, 28), 200_000)]
    fee = compute_late_fee(principal=300_000, due_date=D(2025, 6, 30), payments=payments, as_of=D(2025, 11, 27))
    assert not fee.fixed
    assert fee.segments[-1].end == D(2025, 11, 27)
    fixed = compute_late_fee(principal=300_000, due_date=D(2025, 6, 30), payments=payments, as_of=D(2026, 3, 1))
    assert fixed.fixed and fixed.amount == 7_000


def test_v8_principal_under_2000() -> None:
    fee = compute_late_fee(principal=1_999, due_date=D(2021, 5, 31), as_of=D(2026, 12, 31))
    assert fee.amount == 0
    assert fee.segments == ()


def test_threshold_looks_at_installment_not_remainder() -> None:
    # 2,500 with 1,000 paid early: the remainder 1,500 still bears a fee (base 1,000).
    fee = compute_late_fee(
        principal=2_500, due_date=D(2014, 1, 31), payments=[(D(2014, 1, 10), 1_000)], as_of=D(2026, 12, 31)
    )
    assert {s.base for s in fee.segments} == {1_000}
    assert fee.amount > 0


def test_v9_nhi_three_month_tier() -> None:
    fee = compute_late_fee(
        principal=50_000, due_date=D(2025, 6, 30), payments=[(D(2025, 12, 26), 50_000)], first_tier_months=3
    )
    assert _seg(fee.segments) == [
        (D(2025, 7, 1), D(2025, 9, 30), 92, 50_000, "2.4", 302),
        (D(2025, 10, 1), D(2025, 12, 26), 87, 50_000, "8.7", 1_036),
    ]
    assert fee.unrounded == 1_338
    assert fee.amount == 1_300


def test_v9_with_one_month_tier() -> None:
    fee = compute_late_fee(principal=50_000, due_date=D(2025, 6, 30), payments=[(D(2025, 12, 26), 50_000)])
    assert fee.unrounded == 1_864
    assert fee.amount == 1_800


# --- edges ------------------------------------------------------------------------


def test_as_of_required_while_unpaid() -> None:
    with pytest.raises(ValueError, match="as_of"):
        compute_late_fee(principal=50_000, due_date=D(2025, 6, 30))
    with pytest.raises(ValueError, match="as_of"):
        compute_late_fee(principal=50_000, due_date=D(2025, 6, 30), payments=[(D(2025, 7, 1), 49_999)])


def test_as_of_on_or_before_due_date() -> None:
    for as_of in (D(2025, 6, 30), D(2025, 6, 1)):
        fee = compute_late_fee(principal=50_000, due_date=D(2025, 6, 30), as_of=as_of)
        assert fee.amount == 0 and not fee.fixed


def test_paid_on_or_before_due_date() -> None:
    fee = compute_late_fee(principal=50_000, due_date=D(2025, 6, 30), payments=[(D(2025, 6, 30), 50_000)])
    assert fee.fixed and fee.amount == 0 and fee.segments == ()


def test_payments_after_as_of_are_ignored() -> None:
    a = compute_late_fee(principal=500_000, due_date=D(2025, 6, 30), as_of=D(2025, 12, 1))
    b = compute_late_fee(
        principal=500_000, due_date=D(2025, 6, 30), payments=[(D(2025, 12, 2), 500_000)], as_of=D(2025, 12, 1)
    )
    assert a == b


def test_reversal_reopens() -> None:
    payments = [(D(2025, 7, 10), 500_000), (D(2025, 7, 10), -500_000)]
    with pytest.raises(ValueError):
        compute_late_fee(principal=500_000, due_date=D(2025, 6, 30), payments=payments)
    # A later reversal (e.g. a bounced payment) reopens; the next payment clears.
    payments = [(D(2025, 7, 10), 500_000), (D(2025, 7, 20), -500_000), (D(2025, 8, 5), 500_000)]
    fee = compute_late_fee(principal=500_000, due_date=D(2025, 6, 30), payments=payments)
    assert fee.fixed and fee.segments[-1].end == D(2025, 8, 5)
    assert [(s.start, s.end, s.base) for s in fee.segments] == [
        (D(2025, 7, 1), D(2025, 7, 10), 500_000),
        (D(2025, 7, 21), D(2025, 7, 31), 500_000),
        (D(2025, 8, 1), D(2025, 8, 5), 500_000),
    ]


def test_rate_table_bounds() -> None:
    assert min(RATES) == 2010 and max(RATES) == 2026
    assert rates_for(2026).tier1_bp == 280
    with pytest.raises(RateNotFound, match="2027"):
        rates_for(2027)
    with pytest.raises(RateNotFound):
        compute_late_fee(principal=50_000, due_date=D(2026, 12, 1), as_of=D(2027, 1, 5))


def test_pre_2014_rates() -> None:
    fee = compute_late_fee(principal=100_000, due_date=D(2012, 4, 30), as_of=D(2012, 6, 30))
    assert [(s.rate, s.days) for s in fee.segments] == [("4.3", 31), ("14.6", 30)]


# --- properties -------------------------------------------------------------------

FIRST_DUE = D(2014, 1, 1)
LAST_DAY = D(2026, 12, 31)
dues = st.dates(min_value=FIRST_DUE, max_value=D(2026, 6, 30))
principals = st.integers(min_value=0, max_value=5_000_000)
tiers = st.sampled_from([1, 3])


def _as_of(due: date, days: int) -> date:
    return min(due + timedelta(days=days), LAST_DAY)


@given(principals, dues, st.integers(0, 2_000), tiers)
def test_amount_shape(principal: int, due: date, days: int, tier: int) -> None:
    fee = compute_late_fee(principal=principal, due_date=due, as_of=_as_of(due, days), first_tier_months=tier)
    assert fee.amount >= 0
    assert fee.amount % 100 == 0
    assert fee.amount == 0 or fee.amount >= 1_000
    assert fee.amount <= fee.unrounded < fee.amount + 1_000
    if principal < 2_000:
        assert fee.amount == 0
    # Without payments the segments are contiguous from the day after the due date.
    assert sum(s.days for s in fee.segments) == max(0, (_as_of(due, days) - due).days) or principal < 2_000


@given(principals, dues, st.integers(0, 2_000), st.integers(0, 2_000), tiers)
def test_monotone_in_as_of(principal: int, due: date, d1: int, d2: int, tier: int) -> None:
    lo, hi = sorted((d1, d2))
    a = compute_late_fee(principal=principal, due_date=due, as_of=_as_of(due, lo), first_tier_months=tier)
    b = compute_late_fee(principal=principal, due_date=due, as_of=_as_of(due, hi), first_tier_months=tier)
    assert a.amount <= b.amount
    assert a.unrounded <= b.unrounded


@given(principals, principals, dues, st.integers(0, 2_000), tiers)
def test_monotone_in_principal(p1: int, p2: int, due: date, days: int, tier: int) -> None:
    lo, hi = sorted((p1, p2))
    as_of = _as_of(due, days)
    a = compute_late_fee(principal=lo, due_date=due, as_of=as_of, first_tier_months=tier)
    b = compute_late_fee(principal=hi, due_date=due, as_of=as_of, first_tier_months=tier)
    assert a.amount <= b.amount


@given(st.integers(0, 1_999), dues, st.integers(0, 5_000))
def test_principal_under_2000_is_free(principal: int, due: date, days: int) -> None:
    assert compute_late_fee(principal=principal, due_date=due, as_of=_as_of(due, days)).amount == 0


payment_lists = st.lists(st.tuples(st.integers(-30, 800), st.integers(0, 2_000_000)), max_size=4)


@given(principals, dues, st.integers(0, 800), payment_lists, st.integers(-30, 800), st.integers(1, 2_000_000))
def test_payment_plus_reversal_changes_nothing(
    principal: int, due: date, days: int, others: list[tuple[int, int]], offset: int, amount: int
) -> None:
    as_of = _as_of(due, days)
    payments = [(due + timedelta(days=o), a) for o, a in others]
    paid_on = due + timedelta(days=offset)
    a = compute_late_fee(principal=principal, due_date=due, payments=payments, as_of=as_of)
    b = compute_late_fee(
        principal=principal,
        due_date=due,
        payments=[*payments, (paid_on, amount), (paid_on, -amount)],
        as_of=as_of,
    )
    assert a == b


def _exact(fee: LateFee) -> Fraction:
    """The fee before any truncation: sum of base * rate * days / 365."""
    return sum((Fraction(s.base * s.rate_bp * s.days, 365 * 10_000) for s in fee.segments), Fraction(0))


@given(principals, dues, st.integers(0, 800), st.integers(0, 800), st.integers(0, 800), st.integers(1, 5_000_000))
def test_paying_earlier_never_costs_more(principal: int, due: date, d1: int, d2: int, days: int, amount: int) -> None:
    early, late = sorted((d1, d2))
    as_of = _as_of(due, days)
    a = compute_late_fee(
        principal=principal, due_date=due, payments=[(due + timedelta(days=early), amount)], as_of=as_of
    )
    b = compute_late_fee(
        principal=principal, due_date=due, payments=[(due + timedelta(days=late), amount)], as_of=as_of
    )
    assert _exact(a) <= _exact(b)
    # Per-segment truncation can cost at most (segments - 1) yen more before the 100-yen rounding.
    assert a.unrounded <= b.unrounded + max(len(b.segments) - 1, 0)


def test_paying_earlier_can_cost_100_more_with_per_segment_truncation() -> None:
    # Found by search: the price of per-segment truncation (decided in DESIGN.md, matching V1/V2).
    def fee(paid_on: date) -> LateFee:
        return compute_late_fee(
            principal=79_287, due_date=D(2017, 2, 21), payments=[(paid_on, 1_000)], as_of=D(2018, 10, 5)
        )

    earlier, later = fee(D(2017, 12, 26)), fee(D(2017, 12, 27))
    assert _exact(earlier) < _exact(later)
    assert (earlier.unrounded, later.unrounded) == (11_000, 10_999)
    assert (earlier.amount, later.amount) == (11_000, 10_900)


@given(principals, dues, payment_lists, st.one_of(st.none(), st.integers(0, 800)), tiers)
def test_with_payments_shape(
    principal: int, due: date, raw: list[tuple[int, int]], days: int | None, tier: int
) -> None:
    payments = [(due + timedelta(days=o), a) for o, a in raw]
    as_of = None if days is None else _as_of(due, days)
    considered = [(d, a) for d, a in payments if as_of is None or d <= as_of]
    cleared = sum(a for _, a in considered) >= principal
    if as_of is None and not cleared:
        with pytest.raises(ValueError):
            compute_late_fee(principal=principal, due_date=due, payments=payments, first_tier_months=tier)
        return
    if max((d for d, _ in payments), default=due) > LAST_DAY:
        return
    fee = compute_late_fee(principal=principal, due_date=due, payments=payments, as_of=as_of, first_tier_months=tier)
    assert fee.fixed == cleared
    assert fee.amount >= 0 and fee.amount % 100 == 0
    assert fee.amount == 0 or fee.amount >= 1_000
    for seg in fee.segments:
        assert seg.start > due and seg.days == (seg.end - seg.start).days + 1
        assert 0 < seg.base <= principal and seg.base % 1_000 == 0
        assert seg.start.year == seg.end.year
        if as_of is not None:
            assert seg.end <= as_of
    for prev, nxt in zip(fee.segments, fee.segments[1:], strict=False):
        assert prev.end < nxt.start


# --- waivers (延滞金の免除, law.md §8) ------------------------------------------------
# Hand-computed on V1 (Toyohashi): 65,000 yen due 2021-05-31, paid 2022-01-31. Without a waiver:
# 6/1–6/30 30 days @2.5% → 133; 7/1–12/31 184 days @8.8% → 2,883; 2022-1/1–1/31 31 days @8.7%
# → 480; sum 3,496 → 3,400. A segment charges floor(65,000 × rate × days × (1 − waived) / 365).

V1_DUE, V1_PAID = D(2021, 5, 31), D(2022, 1, 31)
HALF, FULL = Fraction(1, 2), Fraction(1)


def _v1(*waivers: Waiver, as_of: date | None = None) -> LateFee:
    payments = [] if as_of else [(V1_PAID, 65_000)]
    return compute_late_fee(principal=65_000, due_date=V1_DUE, payments=payments, as_of=as_of, waivers=waivers)


def _wseg(segments: tuple[Segment, ...]) -> list[tuple[date, date, int, str, Fraction, int]]:
    return [(s.start, s.end, s.days, s.rate, s.waived, s.amount) for s in segments]


def test_waiver_kinds_are_data() -> None:
    assert WAIVER_FRACTIONS == {"full": Fraction(1), "half": Fraction(1, 2)}
    assert [k.label for k in WAIVER_KINDS.values()] == ["全額免除", "2分の1免除"]
    assert Waiver(D(2021, 9, 1), None, "half").fraction == HALF
    with pytest.raises(ValueError, match="unknown waiver kind"):
        Waiver(D(2021, 9, 1), None, "third")
    with pytest.raises(ValueError, match="before it starts"):
        Waiver(D(2021, 9, 1), D(2021, 8, 31), "full")


def test_full_waiver_over_part_of_the_period() -> None:
    # A suspension (執行停止) 9/1–10/31 splits the 8.8% run into three.
    # 7/1–8/31: 65,000 × 8.8% × 62 / 365 = 971.6 → 971; 9/1–10/31: waived → 0;
    # 11/1–12/31: 65,000 × 8.8% × 61 / 365 = 955.9 → 955. Sum 133 + 971 + 0 + 955 + 480 = 2,539 → 2,500.
    fee = _v1(Waiver(D(2021, 9, 1), D(2021, 10, 31), "full"))
    assert _wseg(fee.segments) == [
        (D(2021, 6, 1), D(2021, 6, 30), 30, "2.5", 0, 133),
        (D(2021, 7, 1), D(2021, 8, 31), 62, "8.8", 0, 971),
        (D(2021, 9, 1), D(2021, 10, 31), 61, "8.8", FULL, 0),
        (D(2021, 11, 1), D(2021, 12, 31), 61, "8.8", 0, 955),
        (D(2022, 1, 1), D(2022, 1, 31), 31, "8.7", 0, 480),
    ]
    assert (fee.unrounded, fee.amount, fee.fixed) == (2_539, 2_500, True)


def test_half_waiver_truncates_once_per_segment() -> None:
    # A 換価の猶予 7/1–12/31: 65,000 × 8.8% × 184 / 365 / 2 = 1,441.75 → 1,441 (= 2,883 // 2).
    # Sum 133 + 1,441 + 480 = 2,054 → 2,000.
    fee = _v1(Waiver(D(2021, 7, 1), D(2021, 12, 31), "half"))
    assert _wseg(fee.segments) == [
        (D(2021, 6, 1), D(2021, 6, 30), 30, "2.5", 0, 133),
        (D(2021, 7, 1), D(2021, 12, 31), 184, "8.8", HALF, 1_441),
        (D(2022, 1, 1), D(2022, 1, 31), 31, "8.7", 0, 480),
    ]
    assert (fee.unrounded, fee.amount) == (2_054, 2_000)


def test_half_waiver_across_tier_and_year() -> None:
    # 6/16–2022-1/15 half. 6/1–6/15: 65,000 × 2.5% × 15 / 365 = 66.8 → 66; 6/16–6/30 half: 33.4 → 33;
    # 7/1–12/31 half → 1,441; 2022-1/1–1/15 half: 65,000 × 8.7% × 15 / 365 / 2 = 116.2 → 116;
    # 1/16–1/31: 65,000 × 8.7% × 16 / 365 = 247.9 → 247. Sum 1,903 → 1,900.
    fee = _v1(Waiver(D(2021, 6, 16), D(2022, 1, 15), "half"))
    assert _wseg(fee.segments) == [
        (D(2021, 6, 1), D(2021, 6, 15), 15, "2.5", 0, 66),
        (D(2021, 6, 16), D(2021, 6, 30), 15, "2.5", HALF, 33),
        (D(2021, 7, 1), D(2021, 12, 31), 184, "8.8", HALF, 1_441),
        (D(2022, 1, 1), D(2022, 1, 15), 15, "8.7", HALF, 116),
        (D(2022, 1, 16), D(2022, 1, 31), 16, "8.7", 0, 247),
    ]
    assert (fee.unrounded, fee.amount) == (1_903, 1_900)


def test_overlapping_waivers_the_larger_fraction_wins() -> None:
    # Half 7/1–12/31 with a full 9/1–10/31 inside. 7/1–8/31 half: 971.6 / 2 = 485.8 → 485;
    # 9/1–10/31 full → 0; 11/1–12/31 half: 955.9 / 2 = 477.97 → 477. Sum 133 + 485 + 477 + 480 = 1,575 → 1,500.
    half = Waiver(D(2021, 7, 1), D(2021, 12, 31), "half")
    full = Waiver(D(2021, 9, 1), D(2021, 10, 31), "full")
    fee = _v1(half, full)
    assert _wseg(fee.segments) == [
        (D(2021, 6, 1), D(2021, 6, 30), 30, "2.5", 0, 133),
        (D(2021, 7, 1), D(2021, 8, 31), 62, "8.8", HALF, 485),
        (D(2021, 9, 1), D(2021, 10, 31), 61, "8.8", FULL, 0),
        (D(2021, 11, 1), D(2021, 12, 31), 61, "8.8", HALF, 477),
        (D(2022, 1, 1), D(2022, 1, 31), 31, "8.7", 0, 480),
    ]
    assert (fee.unrounded, fee.amount) == (1_575, 1_500)
    assert _v1(full, half) == fee
    # Two half waivers that overlap are still half, not full.
    assert _v1(half, Waiver(D(2021, 9, 1), D(2021, 10, 31), "half")) == _v1(half)


def test_waiver_over_the_whole_period_is_zero() -> None:
    fee = _v1(Waiver(D(2021, 5, 1), D(2022, 3, 31), "full"))
    assert (fee.amount, fee.unrounded, fee.fixed) == (0, 0, True)
    assert {s.waived for s in fee.segments} == {FULL}
    assert sum(s.days for s in fee.segments) == 245


def test_waiver_outside_the_period_does_nothing() -> None:
    plain = _v1()
    assert _v1(Waiver(D(2021, 4, 1), D(2021, 5, 31), "full")) == plain  # up to the due date
    assert _v1(Waiver(D(2022, 2, 1), None, "full")) == plain  # after payment, open-ended
    assert _v1(Waiver(D(2021, 5, 31), D(2021, 5, 31), "half"), as_of=D(2022, 1, 31)) == _v1(as_of=D(2022, 1, 31))


def test_open_ended_waiver_runs_through_as_of() -> None:
    # A suspension from 11/1 still in force on 2022-01-31: 7/1–10/31 123 days @8.8% → 1,927.6 → 1,927;
    # 133 + 1,927 = 2,060 → 2,000.
    fee = _v1(Waiver(D(2021, 11, 1), None, "full"), as_of=V1_PAID)
    assert not fee.fixed
    assert [(s.start, s.end, s.waived, s.amount) for s in fee.segments] == [
        (D(2021, 6, 1), D(2021, 6, 30), 0, 133),
        (D(2021, 7, 1), D(2021, 10, 31), 0, 1_927),
        (D(2021, 11, 1), D(2021, 12, 31), FULL, 0),
        (D(2022, 1, 1), D(2022, 1, 31), FULL, 0),
    ]
    assert (fee.unrounded, fee.amount) == (2_060, 2_000)


def test_waiver_with_partial_payments() -> None:
    # V7 with a half waiver 8/15–9/15: the base changes on 8/30 inside it.
    # 7/1–7/31 → 611; 8/1–8/14 300,000 × 8.7% × 14 / 365 = 1,001.1 → 1,001; 8/15–8/29 half: 15 days → 536.3 → 536;
    # 8/30–9/15 base 200,000 half: 17 days → 405.2 → 405; 9/16–11/28 74 days → 3,527.6 → 3,527. Sum 6,080 → 6,000.
    fee = compute_late_fee(
        principal=300_000,
        due_date=D(2025, 6, 30),
        payments=[(D(2025, 8, 29), 100_000), (D(2025, 11, 28), 200_000)],
        waivers=[Waiver(D(2025, 8, 15), D(2025, 9, 15), "half")],
    )
    assert [(s.start, s.days, s.base, s.waived, s.amount) for s in fee.segments] == [
        (D(2025, 7, 1), 31, 300_000, 0, 611),
        (D(2025, 8, 1), 14, 300_000, 0, 1_001),
        (D(2025, 8, 15), 15, 300_000, HALF, 536),
        (D(2025, 8, 30), 17, 200_000, HALF, 405),
        (D(2025, 9, 16), 74, 200_000, 0, 3_527),
    ]
    assert (fee.unrounded, fee.amount) == (6_080, 6_000)


waiver_lists = st.lists(
    st.tuples(st.integers(-60, 900), st.one_of(st.none(), st.integers(0, 400)), st.sampled_from(sorted(WAIVER_KINDS))),
    max_size=4,
)


def _waivers(due: date, raw: list[tuple[int, int | None, str]]) -> list[Waiver]:
    out = []
    for offset, length, kind in raw:
        start = due + timedelta(days=offset)
        out.append(Waiver(start, None if length is None else start + timedelta(days=length), kind))
    return out


@given(principals, dues, st.integers(0, 800), payment_lists, waiver_lists, waiver_lists, tiers)
def test_adding_a_waiver_never_raises_the_fee(
    principal: int,
    due: date,
    days: int,
    raw_payments: list[tuple[int, int]],
    raw: list[tuple[int, int | None, str]],
    more: list[tuple[int, int | None, str]],
    tier: int,
) -> None:
    as_of = _as_of(due, days)
    payments = [(due + timedelta(days=o), a) for o, a in raw_payments]
    base = _waivers(due, raw)

    def fee(ws: list[Waiver]) -> LateFee:
        return compute_late_fee(
            principal=principal, due_date=due, payments=payments, as_of=as_of, first_tier_months=tier, waivers=ws
        )

    a, b = fee(base), fee([*base, *_waivers(due, more)])
    assert b.unrounded <= a.unrounded and b.amount <= a.amount
    assert b.fixed == a.fixed
    assert sum(s.days for s in b.segments) == sum(s.days for s in a.segments)
    assert a.amount <= fee([]).amount


@given(principals, dues, st.integers(1, 800), payment_lists, st.sampled_from([None, 0, 30]))
def test_full_waiver_over_the_whole_period_gives_zero(
    principal: int, due: date, days: int, raw_payments: list[tuple[int, int]], beyond: int | None
) -> None:
    as_of = _as_of(due, days)
    payments = [(due + timedelta(days=o), a) for o, a in raw_payments]
    end = None if beyond is None else as_of + timedelta(days=beyond)
    fee = compute_late_fee(
        principal=principal,
        due_date=due,
        payments=payments,
        as_of=as_of,
        waivers=[Waiver(due + timedelta(days=1), end, "full")],
    )
    assert fee.amount == 0 and fee.unrounded == 0
    assert all(s.waived == 1 for s in fee.segments)


@given(principals, dues, st.integers(0, 800), payment_lists, waiver_lists, st.randoms(use_true_random=False))
def test_waivers_commute(
    principal: int,
    due: date,
    days: int,
    raw_payments: list[tuple[int, int]],
    raw: list[tuple[int, int | None, str]],
    rnd: random.Random,
) -> None:
    as_of = _as_of(due, days)
    payments = [(due + timedelta(days=o), a) for o, a in raw_payments]
    waivers = _waivers(due, raw)
    shuffled = waivers[:]
    rnd.shuffle(shuffled)
    a = compute_late_fee(principal=principal, due_date=due, payments=payments, as_of=as_of, waivers=waivers)
    b = compute_late_fee(principal=principal, due_date=due, payments=payments, as_of=as_of, waivers=shuffled)
    assert a == b


@given(principals, dues, st.integers(0, 800), payment_lists, tiers)
def test_half_waiver_halves_each_truncated_segment(
    principal: int, due: date, days: int, raw_payments: list[tuple[int, int]], tier: int
) -> None:
    as_of = _as_of(due, days)
    payments = [(due + timedelta(days=o), a) for o, a in raw_payments]
    kwargs = dict(principal=principal, due_date=due, payments=payments, as_of=as_of, first_tier_months=tier)
    plain = compute_late_fee(**kwargs)  # type: ignore[arg-type]
    half = compute_late_fee(**kwargs, waivers=[Waiver(due, None, "half")])  # type: ignore[arg-type]
    assert [(s.start, s.end, s.base) for s in half.segments] == [(s.start, s.end, s.base) for s in plain.segments]
    assert [s.amount for s in half.segments] == [s.amount // 2 for s in plain.segments]

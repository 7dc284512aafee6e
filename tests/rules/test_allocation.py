from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from choshu.rules.allocation import ORDER, Due, plan


def test_principal_first_then_late_fee_oldest_first() -> None:
    dues = [
        Due("b", date(2025, 8, 31), (2025, 2), principal=10_000, late_fee=0),
        Due("a", date(2025, 6, 30), (2025, 1), principal=5_000, late_fee=1_200),
        Due("c", date(2025, 6, 30), (2025, 0), principal=0, late_fee=1_000),
    ]
    lines, rest = plan(17_000, dues)
    assert lines == [
        ("a", "principal", 5_000),
        ("b", "principal", 10_000),
        ("c", "late_fee", 1_000),
        ("a", "late_fee", 1_000),
    ]
    assert rest == 0
    lines, rest = plan(20_000, dues)
    assert lines[-1] == ("a", "late_fee", 1_200)
    assert rest == 20_000 - 17_200


def test_order_is_data() -> None:
    assert ORDER == ("principal", "late_fee")
    lines, _ = plan(100, [Due("x", date(2025, 6, 30), principal=100, late_fee=100)], order=("late_fee",))
    assert lines == [("x", "late_fee", 100)]


def test_rejects_negative() -> None:
    with pytest.raises(ValueError):
        plan(-1, [])
    with pytest.raises(ValueError):
        plan(1, [Due("x", date(2025, 6, 30), principal=-1)])


dues_strategy = st.lists(
    st.builds(
        Due,
        key=st.integers(0, 10**6),
        due_date=st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)),
        sort=st.tuples(st.integers(0, 5)),
        principal=st.integers(0, 500_000),
        late_fee=st.integers(0, 50_000),
    ),
    max_size=8,
    unique_by=lambda d: d.key,
)


@given(st.integers(0, 3_000_000), dues_strategy)
def test_plan_properties(amount: int, dues: list[Due]) -> None:
    lines, rest = plan(amount, dues)
    by_key = {d.key: d for d in dues}
    # conservation
    assert rest >= 0
    assert sum(a for _, _, a in lines) + rest == amount
    # no over-allocation, no empty lines
    for key, kind, a in lines:
        due = by_key[key]
        assert 0 < a <= (due.principal if kind == "principal" else due.late_fee)
    assert len({(k, kind) for k, kind, _ in lines}) == len(lines)
    # a remainder only when everything is paid
    if rest:
        assert sum(a for _, _, a in lines) == sum(d.principal + d.late_fee for d in dues)
    # principal before late fee
    kinds = [kind for _, kind, _ in lines]
    assert kinds == sorted(kinds, key=lambda k: k != "principal")
    if "late_fee" in kinds:
        assert sum(a for _, kind, a in lines if kind == "principal") == sum(d.principal for d in dues)
    # oldest first within a pass; only the last line of a pass may be partial
    for kind in ("principal", "late_fee"):
        got = [(by_key[k], a) for k, kd, a in lines if kd == kind]
        order = [(d.due_date, d.sort) for d, _ in got]
        assert order == sorted(order)
        for due, a in got[:-1]:
            assert a == (due.principal if kind == "principal" else due.late_fee)
        # nothing older was skipped
        if got:
            last = (got[-1][0].due_date, got[-1][0].sort)
            paid = {d.key for d, _ in got}
            for d in dues:
                owed = d.principal if kind == "principal" else d.late_fee
                if owed and (d.due_date, d.sort) < last:
                    assert d.key in paid


def test_plan_with_timedelta_sorting_stable() -> None:
    base = date(2025, 6, 30)
    dues = [Due(i, base + timedelta(days=60 * (3 - i)), principal=1_000) for i in range(4)]
    lines, rest = plan(2_500, dues)
    assert lines == [(3, "principal", 1_000), (2, "principal", 1_000), (1, "principal", 500)]
    assert rest == 0

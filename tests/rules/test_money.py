import pytest

from choshu.rules.money import format_bp, format_yen, truncate


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (0, 1000, 0),
        (999, 1000, 0),
        (1000, 1000, 1000),
        (65_999, 1000, 65_000),
        (3_496, 100, 3_400),
        (56_400, 1000, 56_000),
        (-1_500, 1000, -1_000),
    ],
)
def test_truncate(amount: int, unit: int, expected: int) -> None:
    assert truncate(amount, unit) == expected


def test_truncate_rejects_bad_unit() -> None:
    with pytest.raises(ValueError):
        truncate(100, 0)


def test_format_yen() -> None:
    assert format_yen(12_345) == "12,345"
    assert format_yen(0) == "0"
    assert format_yen(1_234_567) == "1,234,567"
    assert format_yen(-5_000) == "-5,000"


@pytest.mark.parametrize(
    ("bp", "text"), [(250, "2.5"), (1460, "14.6"), (730, "7.3"), (90, "0.9"), (125, "1.25"), (300, "3.0")]
)
def test_format_bp(bp: int, text: str) -> None:
    assert format_bp(bp) == text

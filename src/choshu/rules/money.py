"""Money helpers. Money is integer yen (円), never float."""

from __future__ import annotations


def truncate(amount: int, unit: int) -> int:
    """Truncate toward zero to a multiple of ``unit`` (端数切捨て).

    ``truncate(12_345, 1_000) == 12_000``; ``truncate(-1_500, 1_000) == -1_000``.
    """
    if unit <= 0:
        raise ValueError(f"unit must be positive, got {unit}")
    if amount >= 0:
        return amount - amount % unit
    return -((-amount) - (-amount) % unit)


def format_yen(amount: int) -> str:
    """Thousands separators, no unit: ``format_yen(12345) == "12,345"``."""
    return f"{amount:,}"


def format_bp(bp: int) -> str:
    """A rate in basis points as a percent string without the sign: 250 → "2.5", 1460 → "14.6"."""
    sign = "-" if bp < 0 else ""
    whole, frac = divmod(abs(bp), 100)
    text = f"{whole}.{frac:02d}".rstrip("0")
    if text.endswith("."):
        text += "0"
    return sign + text

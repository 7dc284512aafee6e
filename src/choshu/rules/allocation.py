"""Allocation order (消込・充当の順序) of a payment over a person's outstanding dues.

Principal before late fee (本税優先; 地方税法17条の2第3項 for appropriations, national
国税通則法62条2項): a first pass pays principal, oldest installment first; a second pass
pays fixed late fees, oldest first.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Kind = Literal["principal", "late_fee"]

ORDER: tuple[Kind, ...] = ("principal", "late_fee")


@dataclass(frozen=True)
class Due:
    """What one installment (期別) still owes."""

    key: Hashable
    due_date: date
    # tie-break after due_date, e.g. (fiscal_year, levy_id, installment_no)
    sort: tuple[object, ...] = field(default=())
    principal: int = 0  # outstanding principal (本税)
    late_fee: int = 0  # outstanding fixed late fee (確定延滞金)


def _outstanding(due: Due, kind: Kind) -> int:
    return due.principal if kind == "principal" else due.late_fee


def plan(
    amount: int,
    dues: Sequence[Due],
    order: Sequence[Kind] = ORDER,
) -> tuple[list[tuple[Hashable, Kind, int]], int]:
    """Allocate ``amount`` over ``dues``; return (lines, remainder).

    Each line is (key, kind, amount). Never more than outstanding is allocated; the
    remainder (overpayment, 過誤納金) is what is left. sum(lines) + remainder == amount.
    """
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    for due in dues:
        if due.principal < 0 or due.late_fee < 0:
            raise ValueError(f"negative outstanding on {due.key!r}")
    ordered = sorted(dues, key=lambda d: (d.due_date, d.sort))
    lines: list[tuple[Hashable, Kind, int]] = []
    left = amount
    for kind in order:
        for due in ordered:
            if left == 0:
                return lines, 0
            take = min(left, _outstanding(due, kind))
            if take > 0:
                lines.append((due.key, kind, take))
                left -= take
    return lines, left

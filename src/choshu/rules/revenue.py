"""The revenues (税目・科目) collected by choshu, as data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Revenue:
    code: str
    label: str  # 日本語 label shown to users
    is_tax: bool  # 税 (地方税法) vs 料 (国民健康保険料, a 公課)
    first_tier_months: int  # 延滞金 first (reduced-rate) tier: 1 month for taxes, 3 for NHI premiums
    limitation_years: int  # 消滅時効: 5 for taxes (地方税法18条), 2 for NHI premiums (国保法110条)


REVENUES: dict[str, Revenue] = {
    r.code: r
    for r in (
        Revenue("resident_ordinary", "個人住民税(普通徴収)", True, 1, 5),
        Revenue("resident_special", "個人住民税(特別徴収)", True, 1, 5),
        Revenue("light_vehicle", "軽自動車税(種別割)", True, 1, 5),
        # 3-month tier: Tokyo wards' NHI ordinances (Setagaya, Sumida); Shinjuku's own is unverified.
        Revenue("nhi", "国民健康保険料", False, 3, 2),
    )
}


class UnknownRevenue(LookupError):
    pass


def revenue(code: str) -> Revenue:
    """Look up a revenue by code; raises ``UnknownRevenue`` naming the known codes."""
    try:
        return REVENUES[code]
    except KeyError:
        known = ", ".join(REVENUES)
        raise UnknownRevenue(f"unknown revenue {code!r}; known: {known}") from None

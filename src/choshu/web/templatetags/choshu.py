"""Template filters of the Japanese UI: yen amounts, 和暦 dates, revenue and status labels.

{% load choshu %}
{{ line.amount|yen }}            → 12,345
{{ line.due_date|wareki }}       → <time datetime="2025-06-30" title="2025-06-30">令和7年6月30日</time>
{{ line.due_date|wareki_short }} → the same with R7.6.30
{{ line.revenue|revenue_label }} → 個人住民税(普通徴収)
{{ line.status|status_label }}   → 未納
"""

from datetime import date

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from choshu.rules.calendar import fiscal_year_label
from choshu.rules.calendar import wareki as rules_wareki
from choshu.rules.calendar import wareki_short as rules_wareki_short
from choshu.rules.money import format_yen
from choshu.rules.revenue import REVENUES

register = template.Library()

STATUS_LABELS = {
    "paid": "完納",
    "late_fee_due": "延滞金未納",
    "not_due": "納期未到来",
    "partial": "一部納付",
    "unpaid": "未納",
}

# Eras older than the ones choshu.rules.calendar knows (birth dates of the oldest taxpayers).
_OLD_ERAS = ((date(1912, 7, 30), "大正", "T"), (date(1868, 1, 25), "明治", "M"))


def _old_era(d: date, short: bool) -> str:
    for first, name, letter in _OLD_ERAS:
        if d >= first:
            year = d.year - first.year + 1
            if short:
                return f"{letter}{year}.{d.month}.{d.day}"
            return f"{name}{'元' if year == 1 else year}年{d.month}月{d.day}日"
    return d.isoformat()


def wareki_text(d: date, short: bool = False) -> str:
    """和暦 as plain text (also used by PDFs)."""
    try:
        return rules_wareki_short(d) if short else rules_wareki(d)
    except ValueError:
        return _old_era(d, short)


def _time(d: date | None, short: bool) -> SafeString | str:
    if d is None:
        return ""
    iso = d.isoformat()
    return format_html('<time datetime="{}" title="{}">{}</time>', iso, iso, wareki_text(d, short))


@register.filter
def wareki(d: date | None) -> SafeString | str:
    """和暦 (令和7年6月30日) with the 西暦 date in the title (shown on hover)."""
    return _time(d, short=False)


@register.filter
def wareki_short(d: date | None) -> SafeString | str:
    """Short 和暦 (R7.6.30) for dense tables, with the 西暦 date in the title."""
    return _time(d, short=True)


@register.filter
def yen(amount: int | None) -> str:
    """Integer yen with thousands separators, no unit: 12345 → "12,345"."""
    if amount is None or amount == "":
        return ""
    return format_yen(int(amount))


@register.filter
def revenue_label(code: str) -> str:
    r = REVENUES.get(code)
    return r.label if r else code


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


register.filter("fiscal_year_label", fiscal_year_label)

"""Template helpers of 委託・外部結合.

{% load governance %}
{{ entry.occurred_at|moment }}  → <time datetime="…" title="2025-11-25 13:05">R7.11.25 13:05</time>
{% governance_alerts %}         → the dashboard box: media overdue, certificates missing, audits due
                                   (for the roles that manage contracts; nothing for anyone else)
"""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from choshu.governance import permissions
from choshu.governance.catalogue import label_of
from choshu.governance.selectors import overdue_report
from choshu.web.templatetags.choshu import wareki_text

register = template.Library()


@register.filter
def moment(value: datetime | None) -> SafeString | str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{} {}</time>',
        local.isoformat(),
        f"{local:%Y-%m-%d %H:%M}",
        wareki_text(local.date(), short=True),
        f"{local:%H:%M}",
    )


@register.filter
def item_label(code: str) -> str:
    return label_of(code)


@register.inclusion_tag("governance/_alerts.html", takes_context=True)
def governance_alerts(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not permissions.can_manage_contracts(user):
        return {"report": None}
    return {"report": overdue_report(as_of=timezone.localdate())}

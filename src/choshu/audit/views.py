"""Screens of the auditor (監査): the access-log search and the periodic analysis report.

Only the auditor role reaches them (403 for everyone else, the administrator included: the log
holds subject ids and search texts). Every page shown is itself logged (action read, subjects
["accesslog"], purpose "audit", the filter as the query).
"""

from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from choshu.audit.forms import AccessLogFilterForm, ReportForm
from choshu.audit.models import Action
from choshu.audit.selectors import LogFilter, access_log_page, access_log_report
from choshu.audit.services import access_log_request
from choshu.staff.models import Role, User

PAGE_SIZE = 100
AUDIT = "audit"
ACCESS_LOG = "accesslog"

View = Callable[..., HttpResponse]


def is_auditor(user: object) -> bool:
    return isinstance(user, User) and user.is_active and user.role == Role.AUDITOR


def auditor_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not is_auditor(request.user):
            raise PermissionDenied("監査担当のみが利用できます。")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _log_url(**params: object) -> str:
    query = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items() if v not in (None, "")}
    return reverse("audit_log") + "?" + urlencode(query)


@require_GET
@auditor_required
def access_log(request: HttpRequest) -> HttpResponse:
    """アクセスログ検索: filters, newest first, 100 per page (keyset on seq)."""
    form = AccessLogFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/log.html", {"form": form, "entries": [], "page_size": PAGE_SIZE})
    log_filter = form.log_filter() if form.is_bound else LogFilter()
    before = form.cleaned_data["before"] if form.is_bound else None
    entries = access_log_page(log_filter, before=before, size=PAGE_SIZE)
    next_url = ""
    if len(entries) == PAGE_SIZE:
        params = request.GET.copy()
        params["before"] = str(entries[-1].seq)
        next_url = "?" + params.urlencode()
    first_url = ""
    if before is not None:
        params = request.GET.copy()
        params.pop("before", None)
        first_url = "?" + params.urlencode()
    response = render(
        request,
        "audit/log.html",
        {"form": form, "entries": entries, "next_url": next_url, "first_url": first_url, "page_size": PAGE_SIZE},
    )
    access_log_request(request, action=Action.READ, subjects=[ACCESS_LOG], purpose=AUDIT, query=log_filter.describe())
    return response


def _with_links(report: dict[str, Any]) -> dict[str, Any]:
    """Drill-down links (to the log search) for every finding of the report."""
    start, end = date.fromisoformat(report["from"]), date.fromisoformat(report["to"])
    for u in report["no_purpose"]["by_user"]:
        u["link"] = _log_url(user=u["user"], date_from=start, date_to=end, no_purpose=1)
    for u in report["off_hours"]["by_user"]:
        u["link"] = _log_url(user=u["user"], date_from=start, date_to=end, off_hours=1)
    for o in report["volume_outliers"]["items"]:
        o["link"] = _log_url(user=o["user"], date_from=o["date"], date_to=o["date"])
    for r in report["repeated_searches"]["items"]:
        r["link"] = _log_url(user=r["user"], date_from=r["date"], date_to=r["date"], action="search", query=r["query"])
    for e in report["exports"]["items"]:
        e["link"] = _log_url(seq_from=e["seq"], seq_to=e["seq"])
    return report


@require_GET
@auditor_required
def access_report(request: HttpRequest) -> HttpResponse:
    """アクセスログ分析: the periodic report of a period, with drill-down to the entries."""
    today = timezone.localdate()
    initial = {"date_from": today.replace(day=1) if today.day > 1 else today - timedelta(days=30), "date_to": today}
    form = ReportForm(request.GET or None, initial=initial)
    if not form.is_bound:
        start, end = initial["date_from"], initial["date_to"]
    elif form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    else:
        return render(request, "audit/report.html", {"form": form, "report": None})
    report = _with_links(access_log_report(date_from=start, date_to=end))
    response = render(request, "audit/report.html", {"form": form, "report": report})
    access_log_request(
        request, action=Action.READ, subjects=[ACCESS_LOG], purpose=AUDIT, query=f"report {start}..{end}"
    )
    return response

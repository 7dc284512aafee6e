"""Screens of 現地調査 (field survey, seed 000; docs/field-survey.md): the candidates, with a link
that opens the export form filled in, and the import of a package's results.

For the case roles (`cases_required`: 滞納整理担当・国保担当・係長). A package that is not a
field-survey export, or was made for revenues outside the user's scope, is not found (404).
Access log: each page that shows persons writes one read entry naming them; the import is logged
by its service.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_request, ref, request_client_address
from choshu.cases.services import CaseError
from choshu.cases.survey import (
    HANDED_OVER_STATES,
    NO_CONTACT,
    RECENT_SURVEY_DAYS,
    RETURNED,
    SURVEY_KIND,
    SURVEY_LIMIT,
    SurveyImportError,
    candidate_counts,
    package_results,
    survey_candidates,
    survey_results_import,
)
from choshu.formats.survey_result import COLUMNS, LAYOUT
from choshu.governance.exports import FIELD_SURVEY
from choshu.governance.models import ExportPackage
from choshu.staff.models import User
from choshu.web.permissions import cases_required, staff_user

EXPORT_PURPOSE = "現地調査"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # 800 rows of at most 200 characters each are well under 1 MB
RECENT_PACKAGES = 20


def export_link(atena_nos: list[str]) -> str:
    """The export form with kind, the 宛名番号 (one per line) and the purpose filled in."""
    query = urlencode({"kind": SURVEY_KIND, "keys": "\n".join(atena_nos), "purpose": EXPORT_PURPOSE})
    return f"{reverse('governance_export_new')}?{query}"


def _packages(user: User) -> Sequence[ExportPackage]:
    """The latest field-survey exports made within the user's scope, with their imported count."""
    scope = user.scopes()
    packages = (
        ExportPackage.objects.filter(kind=SURVEY_KIND)
        .select_related("contract")
        .annotate(imported=Count("survey_results"))
        .order_by("-pk")[: RECENT_PACKAGES * 4]
    )
    return [p for p in packages if set(p.revenues) <= scope][:RECENT_PACKAGES]


@require_GET
@cases_required
def survey(request: HttpRequest) -> HttpResponse:
    """現地調査候補: whom to survey today, largest amount first, and the recent survey exports."""
    user = staff_user(request)
    today = timezone.localdate()
    candidates = survey_candidates(actor=user, as_of=today)
    context: dict[str, Any] = {
        "today": today,
        "candidates": candidates,
        "counts": candidate_counts(candidates),
        "export_url": export_link([c.atena_no for c in candidates]) if candidates else "",
        "packages": _packages(user),
        "handed_over_states": list(HANDED_OVER_STATES),
        "limit": SURVEY_LIMIT,
        "recent_days": RECENT_SURVEY_DAYS,
        "returned": RETURNED,
        "no_contact": NO_CONTACT,
        "kind": FIELD_SURVEY,
    }
    response = render(request, "cases/survey.html", context)
    if candidates:
        access_log_request(
            request,
            action=Action.READ,
            subjects=[ref("person", c.person_id) for c in candidates],
            purpose="cases:survey",
        )
    return response


class SurveyUploadForm(forms.Form):
    file = forms.FileField(
        label="調査結果ファイル(CSV)",
        error_messages={
            "required": "ファイルを選んでください。",
            "empty": "ファイルが空です。",
            "invalid": "ファイルを読み取れません。",
        },
    )


class _InMemoryUpload(MemoryFileUploadHandler):
    """Keeps the uploaded file in memory (never a temporary file on disk), up to MAX_UPLOAD_BYTES."""

    too_large = False

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > MAX_UPLOAD_BYTES:
            self.too_large = True
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


def _package_for(user: User, package_id: int) -> ExportPackage:
    package = get_object_or_404(
        ExportPackage.objects.select_related("contract", "contract__contractor"), pk=package_id, kind=SURVEY_KIND
    )
    if set(package.revenues) - user.scopes():
        raise Http404("担当外の税目のデータです。")  # out of scope: not shown, as if it did not exist
    return package


@require_http_methods(["GET", "POST"])
@csrf_exempt  # the upload handler is set before the body is read; CSRF is checked by _survey_import
@cases_required
def survey_import(request: HttpRequest, package_id: int) -> HttpResponse:
    """調査結果の取込: upload the contractor's file for a handed-over package; its results so far."""
    request.upload_handlers = [_InMemoryUpload(request)]
    return _survey_import(request, package_id)


@csrf_protect
def _survey_import(request: HttpRequest, package_id: int) -> HttpResponse:
    user = staff_user(request)
    package = _package_for(user, package_id)
    can_import = package.state in HANDED_OVER_STATES
    form = SurveyUploadForm()
    problems: list[str] = []
    rejected_file = ""
    if request.method == "POST":
        form = SurveyUploadForm(request.POST, request.FILES)
        valid = form.is_valid()
        if any(getattr(h, "too_large", False) for h in request.upload_handlers):
            form.errors["file"] = form.error_class([f"ファイルが大きすぎます({MAX_UPLOAD_BYTES // 2**20} MB まで)。"])
            valid = False
        if valid:
            upload = form.cleaned_data["file"]
            try:
                summary = survey_results_import(
                    actor=user,
                    package=package,
                    text_or_bytes=upload.read(),
                    file_name=upload.name or "",
                    channel=AccessChannel.WEB,
                    client_address=request_client_address(request),
                )
            except SurveyImportError as exc:
                problems, rejected_file = exc.lines(), exc.file_name
            except CaseError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"{summary.file_name} から {summary.imported:,}件を取り込みました"
                    f"(案件の交渉経過に記録 {summary.with_case:,}件)。",
                )
                return redirect("cases_survey_import", package_id=package.pk)
            finally:
                upload.close()
    results = package_results(package)
    context: dict[str, Any] = {
        "package": package,
        "form": form,
        "can_import": can_import,
        "problems": problems,
        "rejected_file": rejected_file,
        "results": results,
        "remaining": max(len(package.selection) - len(results), 0),
        "columns": COLUMNS,
        "layout": LAYOUT,
        "max_mb": MAX_UPLOAD_BYTES // 2**20,
    }
    response = render(request, "cases/survey_import.html", context)
    if results:
        access_log_request(
            request,
            action=Action.READ,
            subjects=[ref("exportpackage", package.pk), *(ref("person", r.person_id) for r in results)],
            purpose=f"batch:survey:{package.pk}",
        )
    return response

"""Screens of 委託・外部結合 (thin): contracts, exports and their lifecycle, the handover ledger.

Every view checks its permission first (governance.permissions); writes go through
governance.services. No screen here shows a person's data: an export shows its counts, never
its selection; the package and the password notice are the only personal data that leave, and
the package is read through `export_package_content` (logged).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from choshu.audit.services import request_client_address
from choshu.governance import permissions, services
from choshu.governance.catalogue import CATALOGUE, label_of
from choshu.governance.exports import EXPORT_KINDS, ExportError, clean_keys
from choshu.governance.forms import (
    AuditForm,
    CancelForm,
    ContractForm,
    ContractorForm,
    ErasureForm,
    ExportPrepareForm,
    HandlerForm,
    HandOverForm,
    IncidentCloseForm,
    IncidentForm,
    LedgerFilterForm,
    NoticeForm,
    ReturnForm,
)
from choshu.governance.models import Contract, ExportPackage, Incident, Media, RetentionRun
from choshu.governance.pdf import handover_ledger_pdf, password_notice_pdf
from choshu.governance.retention import RETENTION_RULES
from choshu.governance.selectors import handover_ledger, overdue_report
from choshu.staff.models import User
from choshu.web.permissions import staff_user

View = Callable[..., HttpResponse]
State = ExportPackage.State


def allowed(predicate: Callable[[User], bool]) -> Callable[[View], View]:
    """login required + `predicate(user)`, else 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not predicate(staff_user(request)):
                raise PermissionDenied("この画面を利用する権限がありません。")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate


def _errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


# ---- contracts --------------------------------------------------------------------------------


@require_GET
@allowed(permissions.can_view)
def contract_list(request: HttpRequest) -> HttpResponse:
    """委託・外部結合: contracts, contractors, and what is overdue."""
    today = timezone.localdate()
    contracts = (
        Contract.objects.select_related("contractor", "parent")
        .annotate(
            open_incidents=Count("incidents", filter=Q(incidents__closed_on__isnull=True), distinct=True),
            packages_out=Count("packages", filter=Q(packages__state=State.HANDED_OVER), distinct=True),
        )
        .order_by("-ends_on", "contract_no")
    )
    user = staff_user(request)
    return render(
        request,
        "governance/contracts.html",
        {
            "contracts": contracts,
            "today": today,
            "report": overdue_report(as_of=today),
            "can_manage": permissions.can_manage_contracts(user),
            "contractor_form": ContractorForm(),
        },
    )


@require_POST
@allowed(permissions.can_manage_contracts)
def contractor_new(request: HttpRequest) -> HttpResponse:
    form = ContractorForm(request.POST)
    if form.is_valid():
        try:
            contractor = services.contractor_create(actor=staff_user(request), **form.cleaned_data)
        except ExportError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"委託先「{contractor.name}」を登録しました。")
    else:
        _errors(request, form)
    return redirect("governance_contracts")


@require_http_methods(["GET", "POST"])
@allowed(permissions.can_manage_contracts)
def contract_new(request: HttpRequest) -> HttpResponse:
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["media"] = data.pop("media_kinds")
        try:
            contract = services.contract_create(actor=staff_user(request), **data)
        except ExportError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"契約 {contract.contract_no} を登録しました。")
            return redirect("governance_contract", contract_id=contract.pk)
    return render(request, "governance/contract_form.html", {"form": form})


@require_GET
@allowed(permissions.can_view)
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_object_or_404(Contract.objects.select_related("contractor", "parent", "created_by"), pk=contract_id)
    user = staff_user(request)
    return render(
        request,
        "governance/contract_detail.html",
        {
            "contract": contract,
            "today": timezone.localdate(),
            "active": contract.is_active(timezone.localdate()),
            "items": [
                (code, label_of(code), CATALOGUE[code].group if code in CATALOGUE else "")
                for code in contract.approved_items
            ],
            "media": [Media(m).label for m in contract.media if m in Media.values],
            "handlers": contract.handlers.all(),
            "audits": contract.audits.all(),
            "incidents": contract.incidents.all(),
            "packages": contract.packages.select_related("prepared_by", "approved_by")[:50],
            "certificates": contract.certificates.select_related("package", "retention_run"),
            "subcontracts": contract.subcontracts.select_related("contractor"),
            "can_manage": permissions.can_manage_contracts(user),
            "handler_form": HandlerForm(),
            "audit_form": AuditForm(),
            "incident_form": IncidentForm(),
            "close_form": IncidentCloseForm(),
        },
    )


def _contract_post(
    request: HttpRequest, contract_id: int, form_class: type, call: Callable[..., object], done: str
) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=contract_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(actor=staff_user(request), contract=contract, **form.cleaned_data)
        except ExportError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
    else:
        _errors(request, form)
    return redirect("governance_contract", contract_id=contract.pk)


@require_POST
@allowed(permissions.can_manage_contracts)
def contract_handler(request: HttpRequest, contract_id: int) -> HttpResponse:
    return _contract_post(request, contract_id, HandlerForm, services.contract_handler_add, "取扱者を登録しました。")


@require_POST
@allowed(permissions.can_manage_contracts)
def contract_audit(request: HttpRequest, contract_id: int) -> HttpResponse:
    return _contract_post(request, contract_id, AuditForm, services.onsite_audit_record, "立入調査を記録しました。")


@require_POST
@allowed(permissions.can_manage_contracts)
def contract_incident(request: HttpRequest, contract_id: int) -> HttpResponse:
    return _contract_post(request, contract_id, IncidentForm, services.incident_record, "事故を記録しました。")


@require_POST
@allowed(permissions.can_manage_contracts)
def incident_close(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=incident_id)
    form = IncidentCloseForm(request.POST)
    if form.is_valid():
        try:
            services.incident_close(actor=staff_user(request), incident=incident, **form.cleaned_data)
        except ExportError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "事故の対応を完了しました。")
    else:
        _errors(request, form)
    return redirect("governance_contract", contract_id=incident.contract_id)


# ---- exports ----------------------------------------------------------------------------------


@require_GET
@allowed(permissions.can_view)
def export_list(request: HttpRequest) -> HttpResponse:
    packages = ExportPackage.objects.select_related("contract", "contract__contractor", "prepared_by", "approved_by")
    state = request.GET.get("state", "")
    if state in State.values:
        packages = packages.filter(state=state)
    return render(
        request,
        "governance/exports.html",
        {
            "packages": packages[:200],
            "state": state,
            "states": State.choices,
            "kinds": EXPORT_KINDS,
            "can_prepare": permissions.can_prepare_exports(staff_user(request)),
            "report": overdue_report(as_of=timezone.localdate()),
        },
    )


@require_http_methods(["GET", "POST"])
@allowed(permissions.can_prepare_exports)
def export_new(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = ExportPrepareForm(request.POST or None, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            package = services.export_prepare(
                actor=staff_user(request),
                kind_code=form.cleaned_data["kind"],
                contract=form.cleaned_data["contract"],
                keys=clean_keys(form.cleaned_data["keys"]),
                purpose=form.cleaned_data["purpose"],
                client_address=request_client_address(request),
            )
        except ExportError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"出力番号 {package.pk} を作成しました。別の係長の承認を受けてください。")
            return redirect("governance_export", package_id=package.pk)
    return render(request, "governance/export_form.html", {"form": form, "kinds": EXPORT_KINDS.values()})


def _package(package_id: int) -> ExportPackage:
    return get_object_or_404(
        ExportPackage.objects.select_related("contract", "contract__contractor", "prepared_by", "approved_by"),
        pk=package_id,
    )


@require_GET
@allowed(permissions.can_view)
def export_detail(request: HttpRequest, package_id: int) -> HttpResponse:
    package = _package(package_id)
    user = staff_user(request)
    kind = EXPORT_KINDS.get(package.kind)
    in_scope = permissions.can_prepare_exports(user) and set(package.revenues) <= user.scopes()
    contract = package.contract
    context: dict[str, object] = {
        "package": package,
        "kind": kind,
        "fields": [(code, label_of(code)) for code in package.fields],
        "entries": package.entries.select_related("our_handler", "contractor_handler"),
        "certificate": getattr(package, "certificate", None),
        "can_approve": permissions.can_approve_exports(user)
        and in_scope
        and package.state == State.PREPARED
        and package.prepared_by_id != user.pk,
        "can_act": in_scope,
        "can_cancel": in_scope
        and package.state in (State.PREPARED, State.APPROVED)
        and (package.prepared_by_id == user.pk or permissions.can_approve_exports(user)),
    }
    if in_scope:
        context.update(
            handover_form=HandOverForm(contract=contract),
            notice_form=NoticeForm(contract=contract),
            return_form=ReturnForm(contract=contract, initial={"media_id": package.media_id}),
            erasure_form=ErasureForm(contract=contract),
            cancel_form=CancelForm(),
        )
    return render(request, "governance/export_detail.html", context)


@require_POST
@allowed(permissions.can_approve_exports)
def export_approve(request: HttpRequest, package_id: int) -> HttpResponse:
    """承認: builds the package; the response carries the password notice once (never stored)."""
    package = _package_in_scope(request, package_id)
    try:
        package, password = services.export_approve(
            actor=staff_user(request), package=package, client_address=request_client_address(request)
        )
    except ExportError as error:
        messages.error(request, str(error))
        return redirect("governance_export", package_id=package_id)
    notice = password_notice_pdf(package=package, password=password, issued_on=timezone.localdate())
    response = render(
        request,
        "governance/export_approved.html",
        {
            "package": package,
            "notice_href": "data:application/pdf;base64," + base64.b64encode(notice).decode("ascii"),
            "notice_name": f"password-notice-{package.pk}.pdf",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@allowed(permissions.can_prepare_exports)
def export_package(request: HttpRequest, package_id: int) -> HttpResponse:
    """The encrypted package, to write onto the medium (logged as an export)."""
    package = _package_in_scope(request, package_id)
    try:
        content = services.export_package_content(
            actor=staff_user(request), package=package, client_address=request_client_address(request)
        )
    except ExportError as error:
        messages.error(request, str(error))
        return redirect("governance_export", package_id=package_id)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package.file_name}"'
    return response


def _package_in_scope(request: HttpRequest, package_id: int) -> ExportPackage:
    package = _package(package_id)
    if not set(package.revenues) <= staff_user(request).scopes():
        raise PermissionDenied("担当外の税目のデータです。")
    return package


def _step(
    request: HttpRequest, package_id: int, form_class: type, call: Callable[..., object], done: str
) -> HttpResponse:
    package = _package_in_scope(request, package_id)
    if form_class is CancelForm:
        form = form_class(request.POST)
    else:
        form = form_class(request.POST, contract=package.contract)
    if form.is_valid():
        try:
            call(actor=staff_user(request), package=package, **form.cleaned_data)
        except ExportError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
    else:
        _errors(request, form)
    return redirect("governance_export", package_id=package.pk)


@require_POST
@allowed(permissions.can_prepare_exports)
def export_handover(request: HttpRequest, package_id: int) -> HttpResponse:
    return _step(request, package_id, HandOverForm, services.export_hand_over, "媒体の受渡しを記録しました。")


@require_POST
@allowed(permissions.can_prepare_exports)
def export_notice(request: HttpRequest, package_id: int) -> HttpResponse:
    return _step(
        request, package_id, NoticeForm, services.export_notice_hand_over, "パスワード通知書の受渡しを記録しました。"
    )


@require_POST
@allowed(permissions.can_prepare_exports)
def export_return(request: HttpRequest, package_id: int) -> HttpResponse:
    return _step(request, package_id, ReturnForm, services.export_return, "媒体の返却を記録しました。")


@require_POST
@allowed(permissions.can_prepare_exports)
def export_erasure(request: HttpRequest, package_id: int) -> HttpResponse:
    return _step(request, package_id, ErasureForm, services.export_erasure_record, "消去証明書を受領しました。")


@require_POST
@allowed(permissions.can_prepare_exports)
def export_cancel(request: HttpRequest, package_id: int) -> HttpResponse:
    return _step(request, package_id, CancelForm, services.export_cancel, "取り消しました。")


# ---- handover ledger, retention ---------------------------------------------------------------


def _ledger(request: HttpRequest) -> tuple[LedgerFilterForm, Any, str]:
    form = LedgerFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    title = "全契約"
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
        if filters.get("contract"):
            title = str(filters["contract"])
    return form, handover_ledger(**filters), title


@require_GET
@allowed(permissions.can_view)
def ledger(request: HttpRequest) -> HttpResponse:
    """管理簿."""
    form, entries, _ = _ledger(request)
    query = request.GET.urlencode()
    return render(request, "governance/ledger.html", {"form": form, "entries": entries[:1000], "query": query})


@require_GET
@allowed(permissions.can_view)
def ledger_pdf(request: HttpRequest) -> HttpResponse:
    _, entries, title = _ledger(request)
    pdf = handover_ledger_pdf(entries=entries.iterator(), title=title, printed_at=timezone.now())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="handover-ledger.pdf"'
    return response


@require_GET
@allowed(permissions.can_view)
def retention(request: HttpRequest) -> HttpResponse:
    """保存期間: the rules and the runs (what was purged, when, by whom)."""
    runs = RetentionRun.objects.select_related("actor")[:200]
    rules = sorted(RETENTION_RULES.values(), key=lambda r: r.code)
    return render(request, "governance/retention.html", {"runs": runs, "rules": rules})

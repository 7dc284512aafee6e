"""Screens of 委託・外部結合 (thin): contracts, exports and their lifecycle, the handover ledger.

Every view checks its permission first (governance.permissions); writes go through
governance.services. No screen here shows a person's data: an export shows its counts, never
its selection; the package and the password notice are the only personal data that leave, and
the package is read through `export_package_content` (logged).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import partial, wraps
from typing import Any, TypeVar

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
    HandoverForm,
    HandoverReturnForm,
    IncidentCloseForm,
    IncidentForm,
    LedgerFilterForm,
    NoticeForm,
    ReturnForm,
)
from choshu.governance.models import Contract, ExportPackage, Handover, Incident, Media, RetentionRun
from choshu.governance.pdf import handover_ledger_pdf, password_notice_pdf
from choshu.governance.retention import RETENTION_RULES
from choshu.governance.selectors import handover_ledger, overdue_report
from choshu.staff.models import User
from choshu.web.permissions import staff_user

View = Callable[..., HttpResponse]
State = ExportPackage.State
R = TypeVar("R")


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


def _post(
    request: HttpRequest, form: Any, call: Callable[..., object], done: str | Callable[[Any], str], then: HttpResponse
) -> HttpResponse:
    """The POST of a small form on a page: the service with the form's data (and the actor), a
    message either way, then back to the page (`then`)."""
    if not form.is_valid():
        _errors(request, form)
        return then
    try:
        result = call(actor=staff_user(request), **form.cleaned_data)
    except ExportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return then


# What a POST-only step acts on, from the URL: (the service's keyword arguments, the form's
# keyword arguments, where to go back to).
Target = tuple[dict[str, Any], dict[str, Any], HttpResponse]


def _post_view(
    predicate: Callable[[User], bool],
    target: Callable[[HttpRequest, int], Target],
    form_class: type,
    call: Callable[..., object],
    done: str,
) -> View:
    """A POST-only screen: `predicate` (else 403), the record of the URL, the form, the service
    (`_post`), back to the record's page. Every small form of 委託・外部結合 is one of these."""

    @require_POST
    @allowed(predicate)
    def view(request: HttpRequest, **kwargs: int) -> HttpResponse:
        (pk,) = kwargs.values()
        arguments, form_arguments, back = target(request, pk)
        form = form_class(request.POST, **form_arguments)
        return _post(request, form, partial(call, **arguments), done, back)

    view.__name__ = view.__qualname__ = getattr(call, "__name__", "step")
    return view


def _created(request: HttpRequest, form: Any, create: Callable[[User, dict[str, Any]], R]) -> R | None:
    """A page's own form on POST: the service's result, or None with the refusal on the form."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return create(staff_user(request), dict(form.cleaned_data))
    except ExportError as error:
        form.add_error(None, str(error))
        return None


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
    return _post(
        request,
        ContractorForm(request.POST),
        services.contractor_create,
        lambda contractor: f"委託先「{contractor.name}」を登録しました。",
        redirect("governance_contracts"),
    )


@require_http_methods(["GET", "POST"])
@allowed(permissions.can_manage_contracts)
def contract_new(request: HttpRequest) -> HttpResponse:
    form = ContractForm(request.POST or None)

    def create(user: User, data: dict[str, Any]) -> Contract:
        data["media"] = data.pop("media_kinds")
        return services.contract_create(actor=user, **data)

    contract = _created(request, form, create)
    if contract is not None:
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
            "certificates": contract.certificates.select_related("package", "handover", "retention_run"),
            "subcontracts": contract.subcontracts.select_related("contractor"),
            "handovers": contract.document_handovers.select_related("contract")[:50],
            "can_manage": permissions.can_manage_contracts(user),
            "can_record": permissions.can_record_handovers(user),
            "handler_form": HandlerForm(),
            "audit_form": AuditForm(),
            "incident_form": IncidentForm(),
            "close_form": IncidentCloseForm(),
        },
    )


def _at_contract(request: HttpRequest, contract_id: int) -> Target:
    contract = get_object_or_404(Contract, pk=contract_id)
    return {"contract": contract}, {}, redirect("governance_contract", contract_id=contract.pk)


def _at_incident(request: HttpRequest, incident_id: int) -> Target:
    incident = get_object_or_404(Incident, pk=incident_id)
    return {"incident": incident}, {}, redirect("governance_contract", contract_id=incident.contract_id)


contract_handler = _post_view(
    permissions.can_manage_contracts, _at_contract, HandlerForm, services.contract_handler_add, "取扱者を登録しました。"
)
contract_audit = _post_view(
    permissions.can_manage_contracts, _at_contract, AuditForm, services.onsite_audit_record, "立入調査を記録しました。"
)
contract_incident = _post_view(
    permissions.can_manage_contracts, _at_contract, IncidentForm, services.incident_record, "事故を記録しました。"
)
incident_close = _post_view(
    permissions.can_manage_contracts,
    _at_incident,
    IncidentCloseForm,
    services.incident_close,
    "事故の対応を完了しました。",
)


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
    # A screen that produces data for a kind links here with kind, keys and purpose filled in.
    initial = {name: request.GET[name] for name in ("kind", "keys", "purpose") if name in request.GET}
    form = ExportPrepareForm(request.POST or None, today=today, initial=initial)
    package = _created(
        request,
        form,
        lambda user, data: services.export_prepare(
            actor=user,
            kind_code=data["kind"],
            contract=data["contract"],
            keys=clean_keys(data["keys"]),
            purpose=data["purpose"],
            client_address=request_client_address(request),
        ),
    )
    if package is not None:
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


def _at_package(request: HttpRequest, package_id: int) -> Target:
    package = _package_in_scope(request, package_id)
    return {"package": package}, {"contract": package.contract}, redirect("governance_export", package_id=package.pk)


export_handover = _post_view(
    permissions.can_prepare_exports,
    _at_package,
    HandOverForm,
    services.export_hand_over,
    "媒体の受渡しを記録しました。",
)
export_notice = _post_view(
    permissions.can_prepare_exports,
    _at_package,
    NoticeForm,
    services.export_notice_hand_over,
    "パスワード通知書の受渡しを記録しました。",
)
export_return = _post_view(
    permissions.can_prepare_exports, _at_package, ReturnForm, services.export_return, "媒体の返却を記録しました。"
)
export_erasure = _post_view(
    permissions.can_prepare_exports,
    _at_package,
    ErasureForm,
    services.export_erasure_record,
    "消去証明書を受領しました。",
)
export_cancel = _post_view(
    permissions.can_prepare_exports, _at_package, CancelForm, services.export_cancel, "取り消しました。"
)


# ---- handovers that are not export packages (paper documents, printed matter) ------------------


@require_GET
@allowed(permissions.can_view)
def handover_list(request: HttpRequest) -> HttpResponse:
    """紙・印刷物の受渡し: every handover that is not an export package, and what is overdue."""
    handovers = Handover.objects.select_related("contract", "contract__contractor")[:200]
    context = {
        "handovers": handovers,
        "report": overdue_report(as_of=timezone.localdate()),
        "can_record": permissions.can_record_handovers(staff_user(request)),
    }
    return render(request, "governance/handovers.html", context)


@require_http_methods(["GET", "POST"])
@allowed(permissions.can_record_handovers)
def handover_new(request: HttpRequest, contract_id: int) -> HttpResponse:
    """受渡しを記録: paper documents to the contractor, or printed matter it delivers."""
    contract = get_object_or_404(Contract.objects.select_related("contractor"), pk=contract_id)
    form = HandoverForm(request.POST or None, contract=contract)
    address = request_client_address(request)

    def record(user: User, data: dict[str, Any]) -> Handover:
        data["media"] = data.pop("media_kind")
        return services.handover_record(actor=user, contract=contract, client_address=address, **data)

    handover = _created(request, form, record)
    if handover is not None:
        messages.success(request, f"受渡番号 {handover.pk} を記録しました。")
        return redirect("governance_handover", handover_id=handover.pk)
    return render(request, "governance/handover_form.html", {"form": form, "contract": contract})


@require_GET
@allowed(permissions.can_view)
def handover_detail(request: HttpRequest, handover_id: int) -> HttpResponse:
    handover = get_object_or_404(
        Handover.objects.select_related("contract", "contract__contractor", "created_by"), pk=handover_id
    )
    can_record = permissions.can_record_handovers(staff_user(request))
    awaiting = Handover.State.RETURNED if handover.return_required else Handover.State.HANDED_OVER
    contract = handover.contract
    context: dict[str, object] = {
        "handover": handover,
        "entries": handover.entries.select_related("our_handler", "contractor_handler"),
        "certificate": getattr(handover, "certificate", None),
    }
    if can_record and handover.return_required and handover.state == Handover.State.HANDED_OVER:
        initial = {"media_id": handover.media_id, "pieces": handover.pieces}
        context["return_form"] = HandoverReturnForm(contract=contract, initial=initial)
    if can_record and handover.certificate_required and handover.state == awaiting:
        context["erasure_form"] = ErasureForm(contract=contract)
    return render(request, "governance/handover_detail.html", context)


def _at_handover(request: HttpRequest, handover_id: int) -> Target:
    handover = get_object_or_404(Handover.objects.select_related("contract"), pk=handover_id)
    arguments = {"handover": handover, "client_address": request_client_address(request)}
    return arguments, {"contract": handover.contract}, redirect("governance_handover", handover_id=handover.pk)


handover_return = _post_view(
    permissions.can_record_handovers, _at_handover, HandoverReturnForm, services.handover_return, "返却を記録しました。"
)
handover_erasure = _post_view(
    permissions.can_record_handovers,
    _at_handover,
    ErasureForm,
    services.handover_erasure_record,
    "消去証明書を受領しました。",
)


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

"""Screens of 収納データ (thin): channel-file imports and their records, 未確認入金, 速報未確報,
過誤納金 (appropriation, refund and their notices).

All of them are for the collection roles (`User.can_post_payments`: 収納担当, 係長); anyone else
gets 403. A user sees persons of their revenue scope only: a record or 速報 whose installment is of
another revenue is not listed (the counts of a file are totals and are shown whole).

Access log (audit.services): the import detail, the 速報未確報 list and the suspense screen with a
person looked up, the overpayment list and page write one read entry after rendering, a notice
one print entry; a suspense resolution, appropriation or refund writes its change entry in the
transaction of the change; the import itself is logged by `channel_file_import`.

An uploaded channel file is read in memory (`InMemoryUploadHandler`) and never written to disk,
not even as a temporary file (seed 002: data does not linger on the terminal); choshu keeps its
name, SHA-256, counts and parsed records, never the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_request, ref, request_client_address
from choshu.ledger.models import Appropriation, Overpayment, Refund, Suspense
from choshu.ledger.overpayments import (
    appropriation_notice,
    balance_of,
    open_overpayments,
    owed_lines,
    refund_interest_of,
    refund_preview,
    targets_of,
    visible_overpayments,
)
from choshu.ledger.selectors import InstallmentLine, PersonLedger, person_ledger
from choshu.ledger.services import LedgerError, overpayment_appropriate, overpayment_refund, suspense_resolve
from choshu.notices.overpayment_pdf import appropriation_notice_pdf, refund_notice_pdf
from choshu.payments.forms import ChannelImportForm, OverpaymentDecisionForm, SuspenseResolveForm, format_label
from choshu.payments.models import ChannelImport, ChannelRecord
from choshu.payments.selectors import installment_scope, open_suspense, recent_imports, unconfirmed_preliminaries
from choshu.payments.services import channel_file_import
from choshu.people.models import Person
from choshu.staff.models import User
from choshu.web.permissions import collection_required, staff_user

View = Callable[..., HttpResponse]
Outcome = ChannelRecord.Outcome

PAGE_SIZE = 100
PURPOSE = "payments"  # collection work (収納事務): the purpose of these screens' access-log entries
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a channel file of 100,000 records × 120 bytes is 12 MB


def _today() -> date:
    return timezone.localdate()


def _page(request: HttpRequest, rows: QuerySet[Any]) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _in_scope(user: User) -> Q:
    """Rows whose installment is of the user's revenues, or that name no installment."""
    return installment_scope(user.scopes())


def _persons(records: Iterable[ChannelRecord]) -> list[str]:
    return [ref("person", r.installment.levy.person_id) for r in records if r.installment is not None]


# ---- 収納データ取込 -----------------------------------------------------------------------------


class InMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps an uploaded file in memory whatever its size up to MAX_UPLOAD_BYTES: no temporary file.

    Django's default handlers spool a file above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file on
    disk; a channel file must not touch the disk. A larger file is skipped and `too_large` set.
    """

    too_large = False

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > MAX_UPLOAD_BYTES:
            self.too_large = True
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


@require_http_methods(["GET", "POST"])
@csrf_exempt  # the upload handlers are set before the body is read; CSRF is checked by _imports
@collection_required
def imports(request: HttpRequest) -> HttpResponse:
    """収納データ取込: the recent imports and the upload form."""
    request.upload_handlers = [InMemoryUploadHandler(request)]
    return _imports(request)


@csrf_protect
def _imports(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    today = _today()
    if request.method == "POST":
        form = ChannelImportForm(request.POST, request.FILES, today=today)
        valid = form.is_valid()
        if any(getattr(h, "too_large", False) for h in request.upload_handlers):
            form.errors["file"] = form.error_class(
                [f"ファイルが大きすぎます({MAX_UPLOAD_BYTES // 2**20} MB まで)。分割して取り込んでください。"]
            )
            valid = False
        if valid and not user.can_import():
            form.add_error(
                None, "収納データは全税目を担当する収納担当・係長が取り込みます(ファイルは全税目を含むため)。"
            )
            valid = False
        if valid:
            upload = form.cleaned_data["file"]
            result = channel_file_import(
                actor=user,
                format=form.cleaned_data["format"],
                file_name=upload.name or "",
                data=upload.read(),
                received_on=form.cleaned_data["received_on"],
                channel=AccessChannel.WEB,
                client_address=request_client_address(request),
            )
            upload.close()
            if result.ok:
                messages.success(
                    request, f"{result.file_name} を取り込みました({result.records:,}件、{result.amount:,}円)。"
                )
            else:
                messages.error(
                    request,
                    f"{result.file_name} は取り込めませんでした(エラー {len(result.errors):,}件)。"
                    "ファイル全体を受け付けていません。訂正したファイルを取り込んでください。",
                )
            return redirect("payments_import", import_id=result.run_id)
    else:
        form = ChannelImportForm(today=today)
    runs = list(recent_imports())
    for run in runs:
        run.format_label = format_label(run.format)  # type: ignore[attr-defined]
        run.started_on = timezone.localtime(run.started_at).date()  # type: ignore[attr-defined]
    return render(
        request,
        "payments/imports.html",
        {"form": form, "runs": runs, "today": today, "max_mb": MAX_UPLOAD_BYTES // 2**20},
    )


def _error_text(line: int, column: str, reason: str) -> str:
    where = "ファイル全体" if line == 0 else f"{line}行目"
    return f"{where} {column}: {reason}"


@require_GET
@collection_required
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """取込結果: counts per outcome; the errors of a rejected file, or the records of an accepted one."""
    user = staff_user(request)
    run = get_object_or_404(ChannelImport.objects.select_related("actor"), pk=import_id)
    purpose = f"batch:payments:{run.pk}"
    outcome = request.GET.get("outcome", "")
    if outcome not in Outcome.values:
        outcome = ""
    context: dict[str, Any] = {
        "run": run,
        "format_label": format_label(run.format),
        "outcome": outcome,
        "outcome_query": f"outcome={outcome}" if outcome else "",
        "purpose": purpose,
        "started_on": timezone.localtime(run.started_at).date(),
        "errors": [_error_text(*e) for e in run.errors],
        "errors_not_kept": max(run.error_count - len(run.errors), 0),
    }
    records: list[ChannelRecord] = []
    if run.ok:
        counts = dict(
            ChannelRecord.objects.filter(channel_import=run)
            .values_list("outcome")
            .annotate(n=Count("pk"))
            .values_list("outcome", "n")
        )
        rows = ChannelRecord.objects.filter(_in_scope(user), channel_import=run)
        if outcome:
            rows = rows.filter(outcome=outcome)
        page = _page(request, rows.select_related("installment__levy__person").order_by("pk"))
        records = list(page.object_list)
        context.update(
            counts=[(value, label, counts.get(value, 0)) for value, label in Outcome.choices],
            page=page,
            records=records,
            scoped=not user.holds_every_revenue(),
        )
    template = "payments/_records.html" if request.htmx and run.ok else "payments/import_detail.html"  # type: ignore[attr-defined]
    response = render(request, template, context)
    access_log_request(
        request, action=Action.READ, subjects=[ref("channelimport", run.pk), *_persons(records)], purpose=purpose
    )
    return response


# ---- 未確認入金 --------------------------------------------------------------------------------


@require_GET
@collection_required
def suspense_list(request: HttpRequest) -> HttpResponse:
    """未確認入金: money held because it matched nothing, oldest first."""
    page = _page(request, open_suspense().prefetch_related("payment__channel_records"))
    items = list(page.object_list)
    for item in items:
        item.record = next(iter(item.payment.channel_records.all()), None)  # type: ignore[attr-defined]
    return render(request, "payments/suspense.html", {"page": page, "items": items})


def _lookup(atena_no: str, user: User) -> tuple[PersonLedger | None, str]:
    """The person's ledger within the user's revenues, or why there is none."""
    person = Person.objects.filter(atena_no=atena_no).first()
    ledger = person_ledger(person=person, as_of=_today(), revenues=user.scopes()) if person else None
    if ledger is None or not ledger.installments:
        return None, f"宛名番号 {atena_no} の担当税目の調定は見つかりません。"
    return ledger, ""


def _open_lines(ledger: PersonLedger | None) -> list[InstallmentLine]:
    if ledger is None:
        return []
    return [line for line in ledger.installments if line.balance > 0 or line.late_fee_balance > 0]


def _remaining(item: Suspense) -> int:
    return item.amount + sum(item.resolutions.values_list("amount", flat=True))


@require_http_methods(["GET", "POST"])
@collection_required
def suspense_item(request: HttpRequest, suspense_id: int) -> HttpResponse:
    """未確認入金の消込: look up a person by 宛名番号, tick their installments, 消込."""
    user = staff_user(request)
    item = get_object_or_404(
        Suspense.objects.select_related("payment", "created_by"), pk=suspense_id, resolves__isnull=True, amount__gt=0
    )
    params = request.POST if request.method == "POST" else request.GET
    atena_no = params.get("atena_no", "").strip()
    remaining = _remaining(item)
    ledger, lookup_error = _lookup(atena_no, user) if atena_no and remaining > 0 else (None, "")
    lines = _open_lines(ledger)
    choices = [(line.installment_id, f"{line.levy_no}-{line.installment_no}") for line in lines]
    if request.method == "POST":
        form = SuspenseResolveForm(request.POST, choices=choices)
        valid = form.is_valid()
        if remaining <= 0:
            form.add_error(None, "この未確認入金は処理済みです。")
        elif ledger is None:
            lookup_error = lookup_error or "宛名番号を入力してください。"
        elif valid:
            try:
                with transaction.atomic():
                    applied = suspense_resolve(
                        actor=user,
                        suspense=item,
                        person=ledger.person,
                        installment_ids=form.cleaned_data["installment_ids"],
                    )
                    access_log_request(
                        request,
                        action=Action.CHANGE,
                        subjects=[
                            ref("person", ledger.person.pk),
                            ref("suspense", item.pk),
                            ref("payment", item.payment_id),
                        ],
                    )
            except LedgerError as error:
                form.add_error(None, f"{error} 他の職員が先に処理した可能性があります。一覧を確認してください。")
                remaining = _remaining(item)
            else:
                excess = remaining - applied
                messages.success(
                    request,
                    f"未確認入金 {item.pk} を宛名番号 {ledger.person.atena_no} の期別に消込しました"
                    f"(消込 {applied:,}円" + (f"、過誤納金 {excess:,}円" if excess else "") + ")。",
                )
                return redirect("payments_suspense")
    else:
        form = SuspenseResolveForm(initial={"atena_no": atena_no}, choices=choices)
    resolutions = list(item.resolutions.select_related("created_by").order_by("pk"))
    for row in resolutions:
        row.created_on = timezone.localtime(row.created_at).date()  # type: ignore[attr-defined]
    context = {
        "item": item,
        "remaining": remaining,
        "record": item.payment.channel_records.select_related("channel_import").first(),
        "resolutions": resolutions,
        "atena_no": atena_no,
        "ledger": ledger if remaining > 0 else None,
        "lines": lines,
        "lookup_error": lookup_error,
        "form": form,
        "selected": {int(v) for v in form["installment_ids"].value() or [] if str(v).isdigit()},
    }
    template = "payments/_suspense_person.html" if request.htmx else "payments/suspense_item.html"  # type: ignore[attr-defined]
    response = render(request, template, context)
    if ledger is not None and remaining > 0:
        access_log_request(
            request,
            action=Action.READ,
            subjects=[ref("person", ledger.person.pk), ref("suspense", item.pk)],
            purpose=PURPOSE,
            query=atena_no,
        )
    return response


# ---- 速報未確報 --------------------------------------------------------------------------------


@require_GET
@collection_required
def unconfirmed(request: HttpRequest) -> HttpResponse:
    """速報未確報: 速報 with no 確報 or 取消 after PRELIMINARY_FOLLOW_UP_DAYS days (follow-up list)."""
    user = staff_user(request)
    today = _today()
    days = settings.PRELIMINARY_FOLLOW_UP_DAYS
    page = _page(request, unconfirmed_preliminaries(as_of=today, days=days).filter(_in_scope(user)))
    records = list(page.object_list)
    for r in records:
        r.elapsed = (today - r.paid_on).days  # type: ignore[attr-defined]
    response = render(
        request,
        "payments/unconfirmed.html",
        {"page": page, "records": records, "days": days, "today": today, "scoped": not user.holds_every_revenue()},
    )
    persons = _persons(records)
    if persons:
        access_log_request(request, action=Action.READ, subjects=persons, purpose=PURPOSE)
    return response


# ---- 過誤納金 (充当・還付) ------------------------------------------------------------------------


@require_GET
@collection_required
def overpayments(request: HttpRequest) -> HttpResponse:
    """過誤納金: what is left of overpayments in the user's revenues, oldest first."""
    user = staff_user(request)
    page = _page(request, open_overpayments(user.scopes()).select_related("person", "payment"))
    items = list(page.object_list)
    response = render(request, "payments/overpayments.html", {"page": page, "items": items})
    persons = sorted({ref("person", o.person_id) for o in items if o.person_id is not None})
    if persons:
        access_log_request(request, action=Action.READ, subjects=persons, purpose=PURPOSE)
    return response


def _overpayment_for(user: User, overpayment_id: int) -> Overpayment:
    """An overpayment the user's revenues cover (404 otherwise, as for a person out of scope)."""
    return get_object_or_404(visible_overpayments(user.scopes()).select_related("person", "payment"), pk=overpayment_id)


@require_http_methods(["GET", "POST"])
@collection_required
def overpayment_detail(request: HttpRequest, overpayment_id: int) -> HttpResponse:
    """過誤納金の処理: appropriate (充当) to what the person owes, or, when nothing is owed, a
    supervisor decides the refund (還付) with its interest; the notices of both."""
    user = staff_user(request)
    overpayment = _overpayment_for(user, overpayment_id)
    today = _today()
    form = OverpaymentDecisionForm(request.POST or None, today=today)
    if request.method == "POST" and form.is_valid():
        decided_on = form.cleaned_data["decided_on"]
        action = request.POST.get("action")
        try:
            with transaction.atomic():
                if action == "refund":
                    refund = overpayment_refund(actor=user, overpayment=overpayment, decided_on=decided_on)
                    subjects = [ref("person", overpayment.person_id), ref("refund", refund.pk)]
                    done = f"還付を決定しました(還付金 {refund.amount:,}円、還付加算金 {refund.interest:,}円)。"
                else:
                    appropriation = overpayment_appropriate(actor=user, overpayment=overpayment, decided_on=decided_on)
                    if appropriation is None:
                        raise LedgerError("充当できる未納がありません。")
                    subjects = [ref("person", overpayment.person_id), ref("appropriation", appropriation.pk)]
                    done = "充当しました。充当通知書を印刷してください。"
                access_log_request(request, action=Action.CHANGE, subjects=subjects, purpose=PURPOSE)
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect("payments_overpayment", overpayment_id=overpayment.pk)
    balance = balance_of(overpayment)
    owed: list[InstallmentLine] = []
    preview = None
    if overpayment.person_id is not None and balance > 0:
        owed = owed_lines(
            person_id=overpayment.person_id, revenues=targets_of(overpayment) & user.scopes(), as_of=today
        )
        preview = refund_preview(overpayment=overpayment, balance=balance, decided_on=today)
    context = {
        "overpayment": overpayment,
        "balance": balance,
        "owed": owed,
        "preview": preview,
        "form": form,
        "today": today,
        "can_refund": user.can_decide_refunds(),
        "appropriations": list(overpayment.appropriations.select_related("created_by").order_by("pk")),
        "refunds": list(overpayment.refunds.select_related("created_by").order_by("pk")),
    }
    response = render(request, "payments/overpayment.html", context)
    if request.method == "GET" and overpayment.person_id is not None:
        access_log_request(
            request,
            action=Action.READ,
            subjects=[ref("person", overpayment.person_id), ref("overpayment", overpayment.pk)],
            purpose=PURPOSE,
        )
    return response


def _pdf(request: HttpRequest, data: bytes, name: str, subjects: list[str]) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    access_log_request(request, action=Action.PRINT, subjects=subjects, purpose=PURPOSE)
    return response


@require_GET
@collection_required
def appropriation_notice_download(request: HttpRequest, appropriation_id: int) -> HttpResponse:
    """充当通知書 (PDF)."""
    user = staff_user(request)
    appropriation = get_object_or_404(
        Appropriation.objects.select_related("overpayment__person", "overpayment__payment"),
        pk=appropriation_id,
        overpayment__in=visible_overpayments(user.scopes()),
    )
    data = appropriation_notice_pdf(appropriation_notice(appropriation), issued_on=_today())
    subjects = [ref("person", appropriation.overpayment.person_id), ref("appropriation", appropriation.pk)]
    return _pdf(request, data, f"appropriation-{appropriation.pk}.pdf", subjects)


@require_GET
@collection_required
def refund_notice_download(request: HttpRequest, refund_id: int) -> HttpResponse:
    """還付通知書 (PDF)."""
    user = staff_user(request)
    refund = get_object_or_404(
        Refund.objects.select_related("overpayment__person", "overpayment__payment"),
        pk=refund_id,
        overpayment__in=visible_overpayments(user.scopes()),
    )
    data = refund_notice_pdf(refund, refund_interest_of(refund), issued_on=_today())
    return _pdf(
        request,
        data,
        f"refund-{refund.pk}.pdf",
        [ref("person", refund.overpayment.person_id), ref("refund", refund.pk)],
    )

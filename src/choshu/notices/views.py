"""Screens of 督促 (thin): demand batches (prepare, preview, fix, cancel, dispatch), a letter's PDF,
reminder batches (確認, 作成, 発送済, 取消) and a reminder's PDF, 返戻 and 納品検査.

For the collection roles (`collection_required`: 収納担当・係長). A batch is shown to a user whose
revenue scope covers the batch's revenues; anyone else gets 404 for it. Access log: the batch page
writes one read entry naming the persons it lists, a letter PDF one print entry; each step is
logged by its service (notices/demands.py, notices/reminders.py, notices/delivery.py) in its own transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_request, ref, request_client_address
from choshu.governance.exports import EXPORT_KINDS, ExportKind
from choshu.governance.models import ExportPackage
from choshu.ledger.models import Installment
from choshu.notices import delivery
from choshu.notices.demand_pdf import demand_letters_pdf, letter_number, letters_for_print
from choshu.notices.demands import (
    DEMAND_WITHIN_DAYS,
    DemandError,
    demand_cancel,
    demand_dispatch,
    demand_dry_run,
    demand_fix,
    demand_prepare,
    undemanded,
)
from choshu.notices.forms import (
    CancelForm,
    DemandRunForm,
    DispatchForm,
    InspectionForm,
    ReminderRunForm,
    ReturnedMailForm,
)
from choshu.notices.models import DemandBatch, DemandLetter, Reminder, ReminderBatch, ReminderLevel, ReturnedMail
from choshu.notices.print_data import DEMANDS, PRINT_KINDS, LetterScope
from choshu.notices.reminder_pdf import reminder_letters_pdf, reminder_number, reminders_for_print
from choshu.notices.reminders import reminder_cancel, reminder_dispatch, reminder_generate
from choshu.staff.models import User
from choshu.web.permissions import collection_required, staff_user

PAGE_SIZE = 100
WEB = AccessChannel.WEB
AWAITING_DAYS = 60  # due dates shown as awaiting a demand: the last 60 days


Batch = TypeVar("Batch", DemandBatch, ReminderBatch)


def _in_scope(model: type[Batch], user: User) -> QuerySet[Batch]:
    """The demand or reminder batches whose revenues are all in the user's scope."""
    scopes = user.scopes()
    ids = [pk for pk, revenues in model._default_manager.values_list("pk", "revenues") if set(revenues) <= scopes]
    return model._default_manager.filter(pk__in=ids).select_related("created_by")


def _awaiting(user: User) -> list[dict[str, object]]:
    """Due dates of the last 60 days with installments still unpaid and not yet demanded."""
    today = timezone.localdate()
    rows = (
        undemanded(
            Installment.objects.filter(
                due_date__gte=today - timedelta(days=AWAITING_DAYS),
                due_date__lt=today,
                levy__revenue__in=sorted(user.scopes()),
            )
        )
        .values("due_date")
        .annotate(count=Count("pk"))
        .order_by("-due_date")
    )
    return [
        {**row, "late": (today - row["due_date"]).days > DEMAND_WITHIN_DAYS}  # type: ignore[operator]
        for row in rows
    ]


@require_http_methods(["GET", "POST"])
@collection_required
def demands(request: HttpRequest) -> HttpResponse:
    """督促処理: the batches, the due dates awaiting one, the dry run (確認) and prepare (作成)."""
    user = staff_user(request)
    today = timezone.localdate()
    initial = {"issue_date": today, "due_on": request.GET.get("due_on") or None}
    form = DemandRunForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        address = request_client_address(request)
        due_on, issue_date = form.cleaned_data["due_on"], form.cleaned_data["issue_date"]
        try:
            if request.POST.get("action") == "prepare":
                result = demand_prepare(
                    actor=user, due_on=due_on, issue_date=issue_date, channel=WEB, client_address=address
                )
                if result.batch_id is None:
                    messages.info(request, "督促の対象となる期別はありません。")
                    return redirect("notices_demands")
                for warning in result.warnings:
                    messages.warning(request, warning)
                messages.success(
                    request, f"督促処理 #{result.batch_id} を作成しました。内容を確認して確定してください。"
                )
                return redirect("notices_demand_batch", batch_id=result.batch_id)
            preview = demand_dry_run(
                actor=user, due_on=due_on, issue_date=issue_date, channel=WEB, client_address=address
            )
        except DemandError as error:
            form.add_error(None, str(error))
    page = Paginator(_in_scope(DemandBatch, user).order_by("-pk"), 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "preview": preview,
        "page": page,
        "awaiting": _awaiting(user),
        "awaiting_days": AWAITING_DAYS,
        "today": today,
    }
    return render(request, "notices/demands.html", context)


def _batch_for(user: User, batch_id: int) -> DemandBatch:
    return get_object_or_404(_in_scope(DemandBatch, user), pk=batch_id)


def _print_kinds(batch: DemandBatch | ReminderBatch) -> dict[str, tuple[ExportKind, LetterScope]]:
    """The print kinds of the batch's letter type (demands or reminders)."""
    return {code: entry for code, entry in PRINT_KINDS.items() if isinstance(batch, entry[1].type.batch)}


def _print_context(user: User, batch: DemandBatch | ReminderBatch) -> dict[str, object]:
    """The batch's print exports, and the kinds it has letters for (to make an export)."""
    kinds = _print_kinds(batch)
    packages = ExportPackage.objects.filter(kind__in=list(kinds)).order_by("-pk")
    revenues = frozenset(user.scopes())
    return {
        "exports": [p for p in packages if str(batch.pk) in p.keys],
        "print_kinds": [kind for kind, scope in kinds.values() if scope.lines([batch.pk], revenues).exists()],
        "export_url": reverse("governance_export_new"),
    }


@require_http_methods(["GET", "POST"])
@collection_required
def demand_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One batch: its counts and letters; 確定, 取消, 発送済; the print exports made from it."""
    user = staff_user(request)
    batch = _batch_for(user, batch_id)
    cancel_form = CancelForm(request.POST if request.POST.get("action") == "cancel" else None)
    dispatch_form = DispatchForm(
        request.POST if request.POST.get("action") == "dispatch" else None, initial={"dispatched_on": batch.issue_date}
    )
    if request.method == "POST":
        address = request_client_address(request)
        action = request.POST.get("action")
        try:
            if action == "fix":
                result = demand_fix(actor=user, batch=batch, channel=WEB, client_address=address)
                messages.success(
                    request, f"確定しました({len(result.letters):,}通)。確定時に除いた期別: {result.dropped:,}件。"
                )
                return redirect("notices_demand_batch", batch_id=batch.pk)
            if action == "cancel" and cancel_form.is_valid():
                demand_cancel(
                    actor=user,
                    batch=batch,
                    reason=cancel_form.cleaned_data["reason"],
                    channel=WEB,
                    client_address=address,
                )
                messages.success(request, "取り消しました。対象の期別は次の督促処理で選ばれます。")
                return redirect("notices_demand_batch", batch_id=batch.pk)
            if action == "dispatch" and dispatch_form.is_valid():
                demand_dispatch(
                    actor=user,
                    batch=batch,
                    dispatched_on=dispatch_form.cleaned_data["dispatched_on"],
                    channel=WEB,
                    client_address=address,
                )
                messages.success(request, "発送済にしました。")
                return redirect("notices_demand_batch", batch_id=batch.pk)
        except DemandError as error:
            messages.error(request, str(error))
    letters = (
        DemandLetter.objects.filter(batch=batch, amount__gt=0)
        .select_related("person")
        .annotate(line_count=Count("demand_lines", filter=Q(demand_lines__active=True)))
        .order_by("person__atena_no", "form")
    )
    page = Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page"))
    dropped = (
        batch.demand_letters.filter(demand_lines__active=False)
        .values("person__atena_no", "person__name", "demand_lines__dropped_reason")
        .order_by("person__atena_no")[:PAGE_SIZE]
        if batch.dropped
        else []
    )
    context = {
        "batch": batch,
        "page": page,
        "dropped": dropped,
        "cancel_form": cancel_form,
        "dispatch_form": dispatch_form,
        **_print_context(user, batch),
        "rows": [(letter, letter_number(letter)) for letter in page],
    }
    response = render(request, "notices/demand_batch.html", context)
    if request.method == "GET":
        subjects = [ref("demandbatch", batch.pk)] + [ref("person", letter.person_id) for letter in page]
        access_log_request(request, action=Action.READ, subjects=subjects, purpose=f"batch:demand:{batch.pk}")
    return response


@require_GET
@collection_required
def demand_letter_pdf(request: HttpRequest, batch_id: int, letter_id: int) -> HttpResponse:
    """One letter as printed in house (A4, with its enclosed slip): the preview before printing."""
    batch = _batch_for(staff_user(request), batch_id)
    try:
        letters = letters_for_print(batch, letter_ids=[letter_id])
    except DemandError:  # not fixed yet, or cancelled
        return HttpResponse(status=404)
    if not letters:
        return HttpResponse(status=404)
    data = demand_letters_pdf(letters)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="demand-{batch.pk}-{letter_id}.pdf"'
    access_log_request(
        request,
        action=Action.PRINT,
        subjects=[ref("person", letters[0].person_id), ref("demandletter", letter_id)],
        purpose=f"batch:demand:{batch.pk}",
    )
    return response


@require_http_methods(["GET", "POST"])
@collection_required
def returned_mail(request: HttpRequest) -> HttpResponse:
    """返戻の記録: by the 整理番号 printed on the letter; the latest returns below."""
    user = staff_user(request)
    form = ReturnedMailForm(request.POST or None, initial={"returned_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            returned = delivery.returned_mail_record(
                actor=user,
                document=form.cleaned_data["document"],
                letter_no=form.cleaned_data["letter_no"],
                returned_on=form.cleaned_data["returned_on"],
                reason=form.cleaned_data["reason"],
                client_address=request_client_address(request),
            )
        except delivery.DeliveryError as error:
            form.add_error("letter_no", str(error))
        else:
            messages.success(request, f"整理番号 {returned.document_no} の返戻を記録しました。宛先不明として扱います。")
            return redirect("notices_returned_mail")
    recent = list(
        ReturnedMail.objects.filter(recorded_by=user)
        .select_related("person", "letter__batch", "reminder__batch")
        .order_by("-pk")[:20]
    )
    response = render(request, "notices/returned_mail.html", {"form": form, "recent": recent})
    if request.method == "GET" and recent:
        subjects = [ref("person", r.person_id) for r in recent]
        access_log_request(request, action=Action.READ, subjects=subjects, purpose="returned_mail")
    return response


@require_http_methods(["GET", "POST"])
@collection_required
def inspection(request: HttpRequest, package_id: int) -> HttpResponse:
    """納品検査 of a print export: the contractor's piece list against the export's letters."""
    user = staff_user(request)
    package = get_object_or_404(ExportPackage, pk=package_id, kind__in=list(PRINT_KINDS))
    if set(package.revenues) - user.scopes():
        return HttpResponse(status=404)
    letters = PRINT_KINDS[package.kind][1].type
    form = InspectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = delivery.delivery_inspect(
                actor=user,
                package=package,
                pieces=delivery.piece_numbers(form.cleaned_data["pieces"]),
                note=form.cleaned_data["note"],
                client_address=request_client_address(request),
            )
        except delivery.DeliveryError as error:
            form.add_error(None, str(error))
        else:
            if result.passed:
                messages.success(request, f"納品検査: 合格({result.delivered:,}通)。")
            else:
                messages.error(request, "納品検査: 不一致があります。委託先に確認してください。")
            return redirect("notices_inspection", package_id=package.pk)
    context = {
        "package": package,
        "kind": EXPORT_KINDS[package.kind],
        "form": form,
        "inspections": [(i, delivery.describe(i)) for i in package.delivery_inspections.select_related("inspected_by")],
        "batches": letters.batch._default_manager.filter(pk__in=[int(k) for k in package.keys if k.isdigit()]),
        "batch_label": f"{letters.name}処理",
        "batch_url": "notices_demand_batch" if letters is DEMANDS else "notices_reminder_batch",
    }
    return render(request, "notices/inspection.html", context)


# ---- 催告 (reminders) ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@collection_required
def reminders(request: HttpRequest) -> HttpResponse:
    """催告処理: the levels, the batches, the dry run (確認) and generate (作成)."""
    user = staff_user(request)
    today = timezone.localdate()
    form = ReminderRunForm(request.POST or None, initial={"as_of": today, "issue_date": today})
    preview = None
    if request.method == "POST" and form.is_valid():
        dry_run = request.POST.get("action") != "generate"
        try:
            result = reminder_generate(
                actor=user,
                as_of=form.cleaned_data["as_of"],
                issue_date=form.cleaned_data["issue_date"],
                dry_run=dry_run,
                channel=WEB,
                client_address=request_client_address(request),
            )
        except DemandError as error:
            form.add_error(None, str(error))
        else:
            if dry_run:
                preview = result.as_dict()
            elif result.batch_id is None:
                messages.info(request, "催告の対象となる方はいません。")
                return redirect("notices_reminders")
            else:
                messages.success(request, f"催告処理 #{result.batch_id} を作成しました({len(result.drafts):,}通)。")
                return redirect("notices_reminder_batch", batch_id=result.batch_id)
    page = Paginator(_in_scope(ReminderBatch, user).order_by("-pk"), 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "preview": preview,
        "page": page,
        "levels": ReminderLevel.objects.select_related("next_level"),
        "today": today,
    }
    return render(request, "notices/reminders.html", context)


@require_http_methods(["GET", "POST"])
@collection_required
def reminder_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One reminder batch: its reminders by level; 発送済, 取消; the print exports made from it."""
    user = staff_user(request)
    batch = get_object_or_404(_in_scope(ReminderBatch, user), pk=batch_id)
    action = request.POST.get("action")
    cancel_form = CancelForm(request.POST if action == "cancel" else None)
    dispatch_form = DispatchForm(
        request.POST if action == "dispatch" else None, initial={"dispatched_on": batch.issue_date}
    )
    if request.method == "POST":
        address = request_client_address(request)
        try:
            if action == "cancel" and cancel_form.is_valid():
                reminder_cancel(
                    actor=user,
                    batch=batch,
                    reason=cancel_form.cleaned_data["reason"],
                    channel=WEB,
                    client_address=address,
                )
                messages.success(request, "取り消しました。対象の方は次の催告処理で選ばれます。")
                return redirect("notices_reminder_batch", batch_id=batch.pk)
            if action == "dispatch" and dispatch_form.is_valid():
                reminder_dispatch(
                    actor=user,
                    batch=batch,
                    dispatched_on=dispatch_form.cleaned_data["dispatched_on"],
                    channel=WEB,
                    client_address=address,
                )
                messages.success(request, "発送済にしました。次の段階はこの発送日から数えます。")
                return redirect("notices_reminder_batch", batch_id=batch.pk)
        except DemandError as error:
            messages.error(request, str(error))
    reminders = (
        Reminder.objects.filter(batch=batch)
        .select_related("person", "level")
        .annotate(line_count=Count("lines"))
        .order_by("person__atena_no", "form")
    )
    page = Paginator(reminders, PAGE_SIZE).get_page(request.GET.get("page"))
    levels = (
        Reminder.objects.filter(batch=batch)
        .values("level__order", "level__name")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by("level__order")
    )
    context = {
        "batch": batch,
        "page": page,
        "levels": levels,
        "cancel_form": cancel_form,
        "dispatch_form": dispatch_form,
        **_print_context(user, batch),
        "rows": [(reminder, reminder_number(reminder)) for reminder in page],
    }
    response = render(request, "notices/reminder_batch.html", context)
    if request.method == "GET":
        subjects = [ref("reminderbatch", batch.pk)] + [ref("person", r.person_id) for r in page]
        access_log_request(request, action=Action.READ, subjects=subjects, purpose=f"batch:reminder:{batch.pk}")
    return response


@require_GET
@collection_required
def reminder_pdf(request: HttpRequest, batch_id: int, reminder_id: int) -> HttpResponse:
    """One reminder as printed in house (A4, with its enclosed slips)."""
    batch = get_object_or_404(_in_scope(ReminderBatch, staff_user(request)), pk=batch_id)
    try:
        reminders = reminders_for_print(batch, reminder_ids=[reminder_id])
    except DemandError:
        return HttpResponse(status=404)
    if not reminders:
        return HttpResponse(status=404)
    response = HttpResponse(reminder_letters_pdf(reminders), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reminder-{batch.pk}-{reminder_id}.pdf"'
    access_log_request(
        request,
        action=Action.PRINT,
        subjects=[ref("person", reminders[0].person_id), ref("reminder", reminder_id)],
        purpose=f"batch:reminder:{batch.pk}",
    )
    return response

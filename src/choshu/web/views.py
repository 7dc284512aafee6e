"""Screens (thin): they read through selectors, write through services, and check roles first.

Every view that shows a person's data is wrapped in `personal_data_required`; what a user sees
of the ledger is limited to `user.scopes()` (担当税目). Every view that shows or changes personal
data writes one access-log entry (audit.services.access_log_request) before its response leaves:
a read after rendering, a change in the transaction of the change. The `purpose` parameter
(counter, case:<id>, batch:<kind>:<id>) is carried along the links and recorded.
"""

import time
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from choshu.audit.models import Action
from choshu.audit.services import access_log_request, ref, request_purpose
from choshu.cases.selectors import queue_cases
from choshu.ledger.models import Channel, Payment
from choshu.ledger.receipt import Receipt, receipt_of, receipt_pdf
from choshu.ledger.selectors import InstallmentLine, PersonLedger, person_ledger
from choshu.ledger.services import LedgerError, counter_payment_post, payment_reverse
from choshu.payments.selectors import pending_among
from choshu.people.models import Person
from choshu.people.selectors import person_in_scope, person_search
from choshu.staff.models import User
from choshu.web.forms import CounterPaymentForm, ReversalForm
from choshu.web.permissions import personal_data_required, staff_user

SEARCH_LIMIT = 50
COUNTER = "counter"  # the purpose of counter work (窓口収納)


def _today() -> date:
    return timezone.localdate()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    context: dict[str, object] = {"today": _today()}
    if user.sees_personal_data():
        context["my_counter_payments"] = _counter_payments_today(user).count()
    if user.can_work_cases():
        context["cases_today"] = queue_cases(user, "today", today=_today(), mine=True).count()
    return render(request, "web/home.html", context)


def _search(
    request: HttpRequest, template: str, mode: str, purpose: str, shown: list[str], **extra: object
) -> HttpResponse:
    """The search box with its results; an htmx request gets the results table only.

    Logged as a search (with its query and the persons listed) when there is a query, else as a
    read of what else the page `shown` (subject references), if anything.
    """
    query = request.GET.get("q", "").strip()
    started = time.perf_counter()
    revenues = staff_user(request).scopes()
    persons = person_search(query=query, revenues=revenues, limit=SEARCH_LIMIT + 1) if query else []
    elapsed_ms = (time.perf_counter() - started) * 1000
    context = {
        "query": query,
        "persons": persons[:SEARCH_LIMIT],
        "more": len(persons) > SEARCH_LIMIT,
        "limit": SEARCH_LIMIT,
        "elapsed_ms": elapsed_ms,
        "mode": mode,
        "purpose": purpose,
        "today": _today(),
    }
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "web/_search_results.html", context)
        shown = []
    else:
        response = render(request, template, {**context, **extra})
    subjects = [ref("person", p.pk) for p in persons[:SEARCH_LIMIT]] + shown
    if query:
        access_log_request(request, action=Action.SEARCH, subjects=subjects, purpose=purpose, query=query)
    elif subjects:
        access_log_request(request, action=Action.READ, subjects=subjects, purpose=purpose)
    return response


@require_GET
@personal_data_required
def search(request: HttpRequest) -> HttpResponse:
    """宛名検索."""
    return _search(request, "web/search.html", mode="ledger", purpose=request_purpose(request), shown=[])


def _counter_payments_today(user: User) -> QuerySet[Payment]:
    return Payment.objects.filter(channel=Channel.COUNTER, accounted_on=_today(), created_by=user)


@require_GET
@personal_data_required
def counter(request: HttpRequest) -> HttpResponse:
    """収納 (窓口収納): find the person, and today's counter payments of this user."""
    user = staff_user(request)
    if not user.can_post_payments():
        raise PermissionDenied("窓口収納の権限がありません。")
    payments = list(_counter_payments_today(user).select_related("person").order_by("-id")[:100])
    shown = [r for p in payments for r in (ref("person", p.person_id), ref("payment", p.pk))]
    return _search(request, "web/counter.html", mode="counter", purpose=COUNTER, shown=shown, payments=payments)


def _ledger_for(request: HttpRequest, atena_no: str) -> PersonLedger:
    """The person's ledger within the user's revenues; 404 for a person outside them (as the search)."""
    person = get_object_or_404(Person, atena_no=atena_no)
    revenues = staff_user(request).scopes()
    if not person_in_scope(person=person, revenues=revenues):
        raise Http404("担当税目の範囲外の宛名です。")
    return person_ledger(person=person, as_of=_today(), revenues=revenues)


@require_GET
@personal_data_required
def ledger(request: HttpRequest, atena_no: str) -> HttpResponse:
    """個人収納状況: every revenue in the user's scope, balances, late fee as of today, payments."""
    ledger = _ledger_for(request, atena_no)
    purpose = request_purpose(request)
    pending = pending_among([line.installment_id for line in ledger.installments if line.balance > 0])
    context = {"ledger": ledger, "today": _today(), "purpose": purpose, "pending": pending}
    response = render(request, "web/ledger.html", context)
    access_log_request(request, action=Action.READ, subjects=[ref("person", ledger.person.pk)], purpose=purpose)
    return response


def _open_lines(ledger: PersonLedger) -> list[InstallmentLine]:
    return [line for line in ledger.installments if line.balance > 0 or line.late_fee_balance > 0]


def _choices(lines: list[InstallmentLine]) -> list[tuple[int, str]]:
    return [(line.installment_id, f"{line.levy_no}-{line.installment_no}") for line in lines]


def _ids(values: list[str]) -> set[int]:
    return {int(v) for v in values if v.isdigit()}


def _selected_total(lines: list[InstallmentLine], ids: set[int]) -> int:
    return sum(line.balance + line.late_fee_balance for line in lines if line.installment_id in ids)


@require_http_methods(["GET", "POST"])
@personal_data_required
def counter_payment(request: HttpRequest, atena_no: str) -> HttpResponse:
    """窓口収納の入力: choose installments, enter the amount received, post, go to the receipt."""
    user = staff_user(request)
    if not user.can_post_payments():
        raise PermissionDenied("窓口収納の権限がありません。")
    ledger = _ledger_for(request, atena_no)
    lines = _open_lines(ledger)
    today = _today()
    if request.method == "POST":
        selected = _ids(request.POST.getlist("installment_ids"))
        form = CounterPaymentForm(request.POST, choices=_choices(lines), today=today)
        if form.is_valid():
            try:
                with transaction.atomic():
                    payment = counter_payment_post(
                        actor=user,
                        person=ledger.person,
                        installment_ids=form.cleaned_data["installment_ids"],
                        amount=form.cleaned_data["amount"],
                        paid_on=form.cleaned_data["paid_on"],
                        note=form.cleaned_data["note"],
                    )
                    access_log_request(
                        request,
                        action=Action.CHANGE,
                        subjects=[ref("person", ledger.person.pk), ref("payment", payment.pk)],
                        purpose=COUNTER,
                    )
            except LedgerError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"収納しました(領収番号 {payment.pk})。")
                return redirect(reverse("payment_detail", kwargs={"payment_id": payment.pk}) + f"?purpose={COUNTER}")
    else:
        overdue = {"unpaid", "partial", "late_fee_due"}
        selected = {line.installment_id for line in lines if line.status in overdue} or {
            line.installment_id for line in lines[:1]
        }
        form = CounterPaymentForm(
            initial={
                "installment_ids": sorted(selected),
                "amount": _selected_total(lines, selected) or None,
                "paid_on": today,
            },
            choices=_choices(lines),
            today=today,
        )
    response = render(
        request,
        "web/counter_payment.html",
        {
            "ledger": ledger,
            "lines": lines,
            "form": form,
            "selected": selected,
            "due_total": _selected_total(lines, selected),
        },
    )
    access_log_request(request, action=Action.READ, subjects=[ref("person", ledger.person.pk)], purpose=COUNTER)
    return response


@require_GET
@personal_data_required
def counter_payment_total(request: HttpRequest, atena_no: str) -> HttpResponse:
    """htmx: the amount due for the ticked installments (principal + late fee as of today)."""
    if not staff_user(request).can_post_payments():
        raise PermissionDenied
    ledger = _ledger_for(request, atena_no)
    ids = _ids(request.GET.getlist("installment_ids"))
    total = _selected_total(_open_lines(ledger), ids)
    response = render(request, "web/_counter_total.html", {"total": total, "oob": True})
    access_log_request(request, action=Action.READ, subjects=[ref("person", ledger.person.pk)], purpose=COUNTER)
    return response


def _receipt_for(request: HttpRequest, payment_id: int) -> Receipt:
    payment = get_object_or_404(
        Payment.objects.select_related("person", "created_by", "reverses"), pk=payment_id, person__isnull=False
    )
    receipt = receipt_of(payment=payment)
    if not receipt.revenues <= staff_user(request).scopes():
        raise PermissionDenied("担当外の税目を含む収納です。")
    return receipt


def _payment_subjects(payment: Payment, *others: Payment) -> list[str]:
    return [ref("person", payment.person_id), *(ref("payment", p.pk) for p in (payment, *others))]


@require_GET
@personal_data_required
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    """収納の詳細・領収証書: the allocations, the receipt PDF, and the reversal (係長のみ)."""
    receipt = _receipt_for(request, payment_id)
    payment = receipt.payment
    reversal = Payment.objects.filter(reverses=payment).first()
    user = staff_user(request)
    can_reverse = (
        user.can_reverse_payments() and reversal is None and payment.reverses_id is None and payment.amount > 0
    )
    purpose = request_purpose(request)
    response = render(
        request,
        "web/payment_detail.html",
        {
            "receipt": receipt,
            "payment": payment,
            "reversal": reversal,
            "can_reverse": can_reverse,
            "form": ReversalForm() if can_reverse else None,
            "purpose": purpose,
        },
    )
    access_log_request(request, action=Action.READ, subjects=_payment_subjects(payment), purpose=purpose)
    return response


@require_GET
@personal_data_required
def receipt_download(request: HttpRequest, payment_id: int) -> HttpResponse:
    """領収証書 PDF."""
    receipt = _receipt_for(request, payment_id)
    response = HttpResponse(receipt_pdf(receipt, issued_on=_today()), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{receipt.receipt_no}.pdf"'
    access_log_request(
        request, action=Action.PRINT, subjects=_payment_subjects(receipt.payment), purpose=request_purpose(request)
    )
    return response


@require_POST
@personal_data_required
def payment_reversal(request: HttpRequest, payment_id: int) -> HttpResponse:
    """収納の取消: supervisor (係長) only; everyone else gets 403."""
    user = staff_user(request)
    if not user.can_reverse_payments():
        raise PermissionDenied("収納の取消は係長のみが行えます。")
    receipt = _receipt_for(request, payment_id)
    purpose = request_purpose(request)
    detail = reverse("payment_detail", kwargs={"payment_id": payment_id}) + (f"?purpose={purpose}" if purpose else "")
    form = ReversalForm(request.POST)
    if not form.is_valid():
        messages.error(request, "取消理由を入力してください。")
        return redirect(detail)
    try:
        with transaction.atomic():
            reversal = payment_reverse(actor=user, payment=receipt.payment, reason=form.cleaned_data["reason"])
            access_log_request(
                request, action=Action.CHANGE, subjects=_payment_subjects(receipt.payment, reversal), purpose=purpose
            )
    except LedgerError as error:
        messages.error(request, str(error))
        return redirect(detail)
    messages.success(request, f"収納を取り消しました(取消番号 {reversal.pk})。")
    return redirect(detail)

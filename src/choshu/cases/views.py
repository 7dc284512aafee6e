"""Screens of 滞納整理 (thin): the work queues, a case page with its timeline, recording an
activity, assigning an officer, making a payment plan, and the deferrals, seizures and
suspensions of a case with their steps.

For the case roles (`cases_required`: 滞納整理担当・国保担当・係長) within their revenue scope: a
case holding none of the user's revenues is not found (404). Access log: the queue and the case
page write one read entry naming the persons shown; each change is logged by its service.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from choshu.audit.models import Action
from choshu.audit.services import access_log_request, ref, request_client_address
from choshu.cases import deferrals, plans, seizures, suspensions
from choshu.cases.forms import (
    ActivityForm,
    AmountOnForm,
    AssignForm,
    DeferralForm,
    EndForm,
    PlanForm,
    SeizureForm,
    SuspensionForm,
    monthly_schedule,
)
from choshu.cases.models import Case, Deferral, PaymentPlan, Seizure, Suspension
from choshu.cases.plan_pdf import pledge_pdf
from choshu.cases.selectors import QUEUES, case_page, queue_cases, queue_counts, visible_cases
from choshu.cases.services import CaseError, activity_record, case_assign, delinquent
from choshu.ledger.services import LedgerError
from choshu.staff.models import CASE_ROLES, Role, User
from choshu.web.permissions import cases_required, staff_user

PAGE_SIZE = 50
M = TypeVar("M", Deferral, Seizure, Suspension)


@require_GET
@cases_required
def queue(request: HttpRequest) -> HttpResponse:
    """作業一覧: the queues with their counts, and the cases of the chosen one."""
    user = staff_user(request)
    today = timezone.localdate()
    code = request.GET.get("queue", "today")
    if code not in QUEUES:
        code = "today"
    mine = request.GET.get("mine") == "1"
    page = Paginator(queue_cases(user, code, today=today, mine=mine), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "queues": [
            (q, n) for q, n in zip(QUEUES.values(), queue_counts(user, today=today, mine=mine).values(), strict=True)
        ],
        "current": QUEUES[code],
        "mine": mine,
        "page": page,
        "today": today,
    }
    response = render(request, "cases/queue.html", context)
    if page.object_list:
        subjects = [ref("person", case.person_id) for case in page]
        access_log_request(request, action=Action.READ, subjects=subjects, purpose=f"cases:{code}")
    return response


def _case_for(user: User, case_id: int) -> Case:
    return get_object_or_404(visible_cases(user).select_related("person", "officer"), pk=case_id)


def _log_read(request: HttpRequest, case: Case) -> None:
    access_log_request(
        request,
        action=Action.READ,
        subjects=[ref("person", case.person_id), ref("case", case.pk)],
        purpose=f"case:{case.pk}",
    )


def _officers() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=sorted(CASE_ROLES)).order_by("username")


@require_http_methods(["GET", "POST"])
@cases_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """滞納整理票: the person, the delinquent installments, the timeline; 交渉経過 and 担当者."""
    user = staff_user(request)
    case = _case_for(user, case_id)
    action = request.POST.get("action")
    now = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    activity_form = ActivityForm(request.POST if action == "activity" else None, initial={"occurred_at": now})
    assign_form = AssignForm(
        request.POST if action == "assign" else None, officers=_officers(), initial={"officer": case.officer_id}
    )
    if request.method == "POST":
        address = request_client_address(request)
        try:
            if action == "activity" and activity_form.is_valid():
                data = activity_form.cleaned_data
                activity_record(
                    actor=user,
                    case=case,
                    kind=data["kind"],
                    occurred_at=data["occurred_at"],
                    summary=data["summary"],
                    contacted=data["contacted"],
                    acknowledged=data["acknowledged"],
                    next_action_on=data["next_action_on"],
                    client_address=address,
                )
                messages.success(request, "交渉経過を記録しました。")
                return redirect("cases_case", case_id=case.pk)
            if action == "assign" and assign_form.is_valid():
                case_assign(actor=user, case=case, officer=assign_form.cleaned_data["officer"], client_address=address)
                messages.success(request, "担当者を変更しました。")
                return redirect("cases_case", case_id=case.pk)
        except CaseError as error:
            (activity_form if action == "activity" else assign_form).add_error(None, str(error))
        except PermissionDenied as error:
            messages.error(request, str(error))
    today = timezone.localdate()
    page = case_page(case, user=user, today=today)
    context = {
        "page": page,
        "case": case,
        "person": case.person,
        "activity_form": activity_form,
        "assign_form": assign_form if user.role == "supervisor" else None,
        "today": today,
    }
    response = render(request, "cases/case.html", context)
    if request.method == "GET":
        _log_read(request, case)
    return response


@require_http_methods(["GET", "POST"])
@cases_required
def plan_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """分納誓約の作成: monthly payments over the delinquent principal of the user's revenues."""
    user = staff_user(request)
    case = _case_for(user, case_id)
    today = timezone.localdate()
    form = PlanForm(request.POST or None, initial={"pledged_on": today, "first_due_on": today, "count": 6})
    installments = list(
        delinquent(today)
        .filter(levy__person_id=case.person_id, levy__revenue__in=sorted(user.scopes()))
        .select_related("levy")
        .order_by("due_date", "levy__levy_no", "installment_no")
    )
    owed = [(i, i.amount - i.paid_principal) for i in installments]
    total = sum(balance for _, balance in owed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = plans.plan_create(
                actor=user,
                case=case,
                pledged_on=data["pledged_on"],
                schedule=monthly_schedule(total, data["first_due_on"], data["count"]),
                installment_ids=[i.pk for i in installments],
                note=data["note"],
                client_address=request_client_address(request),
            )
        except (plans.PlanError, CaseError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"分納誓約を作成しました({plan.schedule.count()}回、{plan.total:,}円)。")
            return redirect("cases_case", case_id=case.pk)
    context = {"case": case, "person": case.person, "form": form, "owed": owed, "total": total}
    response = render(request, "cases/plan_new.html", context)
    if request.method == "GET":
        _log_read(request, case)
    return response


@require_GET
@cases_required
def plan_pdf(request: HttpRequest, case_id: int, plan_id: int) -> HttpResponse:
    """分納誓約書 (PDF) for the person's signature."""
    user = staff_user(request)
    case = _case_for(user, case_id)
    plan = get_object_or_404(PaymentPlan, pk=plan_id, case=case)
    if not set(plan.revenues) & user.scopes():
        return HttpResponse(status=404)
    response = HttpResponse(pledge_pdf(plan), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="plan-{plan.pk}.pdf"'
    access_log_request(
        request,
        action=Action.PRINT,
        subjects=[ref("person", case.person_id), ref("paymentplan", plan.pk)],
        purpose=f"case:{case.pk}",
    )
    return response


# ---- 猶予・差押・執行停止 ------------------------------------------------------------------------


def _object(model: type[M], case: Case, request: HttpRequest) -> M:
    """The case's deferral, seizure or suspension named by the form's ``id``."""
    return get_object_or_404(model, pk=request.POST.get("id") or 0, case=case)


@require_http_methods(["GET", "POST"])
@cases_required
def dispositions(request: HttpRequest, case_id: int) -> HttpResponse:
    """猶予・差押・執行停止 of a case: the records of the user's revenues and their steps."""
    user = staff_user(request)
    case = _case_for(user, case_id)
    action = request.POST.get("action", "")
    post = request.POST if request.method == "POST" else None
    forms = {
        "deferral": DeferralForm(post if action == "deferral" else None, prefix="d"),
        "seizure": SeizureForm(post if action == "seizure" else None, prefix="s"),
        "suspension": SuspensionForm(post if action == "suspension" else None, prefix="p"),
    }
    if request.method == "POST":
        address = request_client_address(request)
        try:
            done = _disposition_step(user, case, action, request, forms, address)
        except (CaseError, LedgerError, PermissionDenied) as error:
            messages.error(request, str(error))
        else:
            if done:
                messages.success(request, done)
                return redirect("cases_dispositions", case_id=case.pk)
    revenues = user.scopes()
    context = {
        "case": case,
        "person": case.person,
        "forms": forms,
        "deferrals": [
            d
            for d in case.deferrals.select_related("requested_by", "decided_by").order_by("-pk")
            if set(d.revenues) & revenues
        ],
        "seizures": [s for s in case.seizures.order_by("-pk") if set(s.revenues) & revenues],
        "suspensions": [s for s in case.suspensions.order_by("-pk") if set(s.revenues) & revenues],
        "supervisor": user.role == Role.SUPERVISOR,
        "today": timezone.localdate(),
    }
    response = render(request, "cases/dispositions.html", context)
    if request.method == "GET":
        _log_read(request, case)
    return response


def _mine(records: Any, revenues: frozenset[str]) -> list[Any]:
    """The records holding a revenue of the user's scope, newest first."""
    return [r for r in records.order_by("-pk") if set(r.revenues) & revenues]


def _disposition_step(
    user: User, case: Case, action: str, request: HttpRequest, forms: dict[str, Any], address: str | None
) -> str:
    """One step on the dispositions page; the message to show, or "" when a form is invalid."""
    post = request.POST
    form = forms.get(action)
    if form is not None:
        if not form.is_valid():
            return ""
        data = form.cleaned_data
        if action == "deferral":
            deferrals.deferral_request(actor=user, case=case, client_address=address, **data)
            return "猶予を起案しました。係長の決裁を受けてください。"
        if action == "seizure":
            seizures.seizure_record(actor=user, case=case, client_address=address, **data)
            return "差押を記録しました。"
        suspensions.suspension_decide(actor=user, case=case, client_address=address, **data)
        return "執行停止を決定しました。"
    if action in ("approve", "reject"):
        deferrals.deferral_decide(
            actor=user, deferral=_object(Deferral, case, request), approve=action == "approve", client_address=address
        )
        return "決裁しました。"
    if action == "collect":
        step = AmountOnForm(post)
        if not step.is_valid():
            raise CaseError("取立額と取立日を入力してください。")
        seizures.seizure_collect(
            actor=user,
            seizure=_object(Seizure, case, request),
            amount=step.cleaned_data["amount"],
            collected_on=step.cleaned_data["on"],
            client_address=address,
        )
        return "取立を収納として記録しました。"
    end = EndForm(post)
    if not end.is_valid():
        raise CaseError("日付と理由を入力してください。")
    on, reason = end.cleaned_data["on"], end.cleaned_data["reason"]
    if action == "cancel_deferral":
        deferrals.deferral_cancel(
            actor=user,
            deferral=_object(Deferral, case, request),
            cancelled_on=on,
            reason=reason,
            client_address=address,
        )
        return "猶予を取り消しました。"
    if action == "release":
        seizures.seizure_release(
            actor=user, seizure=_object(Seizure, case, request), released_on=on, reason=reason, client_address=address
        )
        return "差押を解除しました。"
    if action == "cancel_suspension":
        suspensions.suspension_cancel(
            actor=user,
            suspension=_object(Suspension, case, request),
            cancelled_on=on,
            reason=reason,
            client_address=address,
        )
        return "執行停止を取り消しました。"
    if action == "extinguish":
        suspensions.suspension_extinguish_now(
            actor=user, suspension=_object(Suspension, case, request), on=on, reason=reason, client_address=address
        )
        return "即時消滅としました。"
    raise CaseError("操作が正しくありません。")

"""滞納整理 read side: the cases a user may see, the work queues, a case's page and timeline
(letters, payments, activities, plans, deferrals, seizures, suspensions).

A user sees a case when it holds a revenue of their scope (`CaseRevenue`); on the case page they
see only the installments, letters, payments, activities and plans of their revenues.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from choshu.cases.limitation import installments_completing
from choshu.cases.models import Activity, Case, CaseRevenue, PaymentPlan
from choshu.ledger.selectors import InstallmentLine, PersonLedger, person_ledger
from choshu.notices.models import DemandBatch, DemandLetter, Reminder, ReminderBatch
from choshu.staff.models import User

NO_CONTACT_DAYS = 90
LIMITATION_MONTHS = 6


def visible_cases(user: User) -> QuerySet[Case]:
    """The cases holding a revenue of the user's scope."""
    held = CaseRevenue.objects.filter(case=OuterRef("pk"), revenue__in=sorted(user.scopes()))
    return Case.objects.filter(Exists(held))


def _today(qs: QuerySet[Case], today: date, user: User) -> QuerySet[Case]:
    return qs.filter(state=Case.State.OPEN, next_action_on__lte=today)


def _breach(qs: QuerySet[Case], today: date, user: User) -> QuerySet[Case]:
    breached = PaymentPlan.objects.filter(case=OuterRef("pk"), state=PaymentPlan.State.BREACHED)
    return qs.filter(Exists(breached))


def _limitation(qs: QuerySet[Case], today: date, user: User) -> QuerySet[Case]:
    soon = installments_completing(as_of=today, months=LIMITATION_MONTHS, revenues=user.scopes()).filter(
        installment__levy__person=OuterRef("person")
    )
    return qs.filter(state=Case.State.OPEN).filter(Exists(soon))


def _no_contact(qs: QuerySet[Case], today: date, user: User) -> QuerySet[Case]:
    since = today - timedelta(days=NO_CONTACT_DAYS)
    return qs.filter(state=Case.State.OPEN).filter(
        Q(last_contact_on__lt=since) | Q(last_contact_on__isnull=True, opened_on__lte=since)
    )


def _all_open(qs: QuerySet[Case], today: date, user: User) -> QuerySet[Case]:
    return qs.filter(state=Case.State.OPEN)


@dataclass(frozen=True)
class Queue:
    code: str
    label: str
    select: Callable[[QuerySet[Case], date, User], QuerySet[Case]]


QUEUES: dict[str, Queue] = {
    q.code: q
    for q in (
        Queue("today", "本日対応", _today),
        Queue("breach", "分納不履行", _breach),
        Queue("limitation", f"時効{LIMITATION_MONTHS}か月以内", _limitation),
        Queue("no_contact", f"{NO_CONTACT_DAYS}日接触なし", _no_contact),
        Queue("open", "整理中すべて", _all_open),
    )
}


def queue_cases(user: User, code: str, *, today: date, mine: bool = False) -> QuerySet[Case]:
    """The cases of a work queue, within the user's scope (optionally only theirs)."""
    qs = QUEUES[code].select(visible_cases(user), today, user)
    if mine:
        qs = qs.filter(officer=user)
    return qs.select_related("person", "officer").order_by("next_action_on", "-amount", "pk")


def queue_counts(user: User, *, today: date, mine: bool = False) -> dict[str, int]:
    return {code: queue_cases(user, code, today=today, mine=mine).count() for code in QUEUES}


# ---- one case ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    on: date
    at: datetime | None  # the time, when known
    kind: str  # 文書, 収納, 交渉経過, 分納誓約, ...
    title: str
    detail: str = ""
    amount: int | None = None
    url: str = ""


@dataclass
class CasePage:
    case: Case
    revenues: list[str]  # of the case, within the viewer's scope
    ledger: PersonLedger
    delinquent: list[InstallmentLine]
    timeline: list[TimelineItem]
    plans: list[PaymentPlan]


def case_page(case: Case, *, user: User, today: date) -> CasePage:
    """The case as ``user`` may see it: a fixed number of queries."""
    revenues = sorted(set(case.revenues.values_list("revenue", flat=True)) & user.scopes())
    ledger = person_ledger(person=case.person, as_of=today, revenues=revenues)
    delinquent = [line for line in ledger.installments if line.balance > 0 and line.due_date < today]
    plans = [
        plan
        for plan in PaymentPlan.objects.filter(case__person=case.person).order_by("-pledged_on", "-pk")
        if set(plan.revenues) & set(revenues)
    ]
    return CasePage(case, revenues, ledger, delinquent, _timeline(case, ledger, revenues, plans), plans)


def _timeline(
    case: Case, ledger: PersonLedger, revenues: Collection[str], plans: list[PaymentPlan]
) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    letters = (
        DemandLetter.objects.filter(
            person=case.person,
            batch__state__in=[DemandBatch.State.FIXED, DemandBatch.State.DISPATCHED],
            demand_lines__active=True,
            demand_lines__installment__levy__revenue__in=list(revenues),
        )
        .select_related("batch")
        .distinct()
    )
    for letter in letters:
        items.append(
            TimelineItem(
                letter.batch.dispatched_on or letter.batch.issue_date,
                None,
                "文書",
                f"督促状 発付({letter.get_form_display()})",
                f"督促処理 #{letter.batch_id}・整理番号 {letter.pk}",
                letter.amount,
                reverse("notices_demand_letter_pdf", args=[letter.batch_id, letter.pk]),
            )
        )
    reminders = (
        Reminder.objects.filter(
            person=case.person,
            batch__state=ReminderBatch.State.DISPATCHED,
            lines__installment__levy__revenue__in=list(revenues),
        )
        .select_related("batch", "level")
        .distinct()
    )
    for reminder in reminders:
        assert reminder.batch.dispatched_on is not None
        items.append(
            TimelineItem(
                reminder.batch.dispatched_on,
                None,
                "文書",
                f"{reminder.level.name} 発送",
                f"催告処理 #{reminder.batch_id}・整理番号 {reminder.pk}",
                reminder.amount,
                reverse("notices_reminder_pdf", args=[reminder.batch_id, reminder.pk]),
            )
        )
    for payment in ledger.payments:
        title = f"収納({payment.channel_label})" + ("・取消" if payment.is_reversal else "")
        items.append(TimelineItem(payment.paid_on, None, "収納", title, "", payment.amount))
    activities = Activity.objects.filter(case__person=case.person).select_related("recorded_by")
    for activity in activities:
        if not set(activity.revenues) & set(revenues):
            continue
        marks = "・接触あり" if activity.contacted else ""
        marks += "・債務承認" if activity.acknowledged else ""
        items.append(
            TimelineItem(
                timezone.localtime(activity.occurred_at).date(),
                activity.occurred_at,
                "交渉経過",
                f"{activity.get_kind_display()}{marks}({activity.recorded_by.get_username()})",
                activity.summary,
            )
        )
    for plan in plans:
        items.append(
            TimelineItem(
                plan.pledged_on, None, "分納誓約", f"分納誓約({plan.get_state_display()})", plan.note, plan.total
            )
        )
        if plan.breached_on:
            items.append(TimelineItem(plan.breached_on, None, "分納誓約", "分納不履行", "", None))
    for deferral in case.deferrals.all():
        if set(deferral.revenues) & set(revenues):
            period = f"{deferral.starts_on:%Y-%m-%d}〜{deferral.ends_on:%Y-%m-%d}"
            title = f"{deferral.get_kind_display()}({deferral.get_state_display()})"
            items.append(TimelineItem(deferral.applied_on or deferral.starts_on, None, "猶予", title, period))
    for seizure in case.seizures.all():
        if set(seizure.revenues) & set(revenues):
            title = f"差押({seizure.get_property_display()}・{seizure.get_state_display()})"
            detail = f"{seizure.description} {seizure.third_party}".strip()
            items.append(TimelineItem(seizure.seized_on, None, "差押", title, detail, seizure.amount))
    for suspension in case.suspensions.all():
        if set(suspension.revenues) & set(revenues):
            title = f"執行停止({suspension.ground}号・{suspension.get_state_display()})"
            items.append(TimelineItem(suspension.started_on, None, "執行停止", title, suspension.reason))
    return sorted(items, key=lambda i: (i.on, i.at.timestamp() if i.at else 0.0), reverse=True)

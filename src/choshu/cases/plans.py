"""分納誓約 (payment plans): the person pledges to pay delinquent principal by promised amounts and
dates; the breach run (不履行判定) finds the plans not kept and those paid in full.

**Targets** (`PlanTarget`): the installments chosen, or by default every delinquent installment
(due before the 誓約日, principal unpaid) of the case's person within the officer's revenues, each
with its unpaid principal (本税) on the pledge day. The plan covers principal only: the late fee
(延滞金) is fixed by the dates the principal is paid and is settled after it.

**Schedule** (`PlanInstallment`): dates strictly increasing, the first on or after the 誓約日,
amounts of 1 yen or more adding up to the targets' unpaid principal. A case holds at most one
plan in force (履行中 or 不履行); a new plan needs the old one cancelled (取消) first.

**The pledge acknowledges the debt** (承認, 民法152条 via 地方税法18条3項): one `LimitationEvent`
``acknowledgement`` per target on the 誓約日 (source ``plan:<id>``), which renews limitation; a
cancellation leaves it, the acknowledgement was made.

**Money is not allocated by the plan**: payments go by the ledger's own rules; the plan counts
what reached its targets. Paid (納付済) = the signed principal allocations to its targets with
``effective_on`` on or after the 誓約日 — a reversal (取消) counts negatively, a payment
back-dated before the pledge does not count. Promised (誓約済) = the schedule amounts due on or
before a day.

**Breach run** (`plan_breach_run`, `choshu plan breach`): a plan in force whose promised amount due
on or before 基準日 − ``settings.PLAN_GRACE_DAYS`` exceeds what was paid is 不履行 (breached_on =
基準日; its case is due for action on the 基準日 at the latest); a plan whose targets are all paid
(principal) is 完了 (closed_on = 基準日), a breached one too. Set-based: a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BigIntegerField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.models import Case, LimitationEvent, PaymentPlan, PlanInstallment, PlanTarget
from choshu.cases.services import delinquent
from choshu.ledger.models import Allocation, Installment
from choshu.rules.money import format_yen
from choshu.rules.revenue import REVENUES
from choshu.staff.models import User

State = PaymentPlan.State
IN_FORCE = (State.ACTIVE, State.BREACHED)  # a case holds at most one plan in these states
ACKNOWLEDGEMENT = "acknowledgement"  # rules.limitation.EventKind code (承認)
NOTE_MAX = 200


class PlanError(ValueError):
    """A plan the service refuses; the message is shown to the officer."""


def plan_revenues(actor: User | None) -> list[str]:
    """The revenues the actor works plans for (all for the system); refuses other roles."""
    if actor is None:
        return sorted(REVENUES)
    if not actor.can_work_cases():
        raise PermissionDenied("分納誓約の権限がありません(滞納整理担当・国保担当・係長)。")
    return sorted(actor.scopes())


def _outside(revenues: Collection[str], scope: Collection[str]) -> None:
    outside = set(revenues) - set(scope)
    if outside:
        labels = ", ".join(REVENUES[r].label if r in REVENUES else r for r in sorted(outside))
        raise PermissionDenied(f"担当外の税目です: {labels}")


# Progress.


@dataclass(frozen=True)
class ScheduleRow:
    """One promised payment and where the plan stands on it."""

    number: int
    due_on: date
    amount: int
    cumulative: int  # promised up to and including this row
    due: bool  # due on or before the as-of day
    met: bool  # what was paid since the pledge covers this row and every one before it
    covered: int  # the part of this row that the payments cover (0..amount)

    @property
    def shortfall(self) -> int:
        return self.amount - self.covered


@dataclass(frozen=True)
class PlanProgress:
    """A plan on a day: promised to date, paid since the pledge, arrears, remaining, next payment."""

    plan: PaymentPlan
    as_of: date
    total: int  # 誓約額: the targets' unpaid principal on the pledge day
    promised: int  # the schedule amounts due on or before as_of
    paid: int  # signed principal allocations to the targets since the pledge
    unpaid: int  # the targets' principal unpaid now (0: paid in full)
    arrears: int  # 履行遅滞額: promised − paid, not below 0
    remaining: int  # 残額: total − paid, not below 0
    next_due_on: date | None  # the next promised date after as_of not yet covered
    next_amount: int  # what is still to pay for it
    rows: tuple[ScheduleRow, ...]

    @property
    def paid_in_full(self) -> bool:
        return self.unpaid == 0


def progress_of(
    plan: PaymentPlan, schedule: Sequence[PlanInstallment], *, paid: int, unpaid: int, as_of: date
) -> PlanProgress:
    """The progress of ``plan`` from its loaded schedule and totals (no query)."""
    rows: list[ScheduleRow] = []
    cumulative = promised = 0
    for item in sorted(schedule, key=lambda s: s.number):
        cumulative += item.amount
        due = item.due_on <= as_of
        if due:
            promised = cumulative
        covered = min(max(paid - (cumulative - item.amount), 0), item.amount)
        rows.append(ScheduleRow(item.number, item.due_on, item.amount, cumulative, due, paid >= cumulative, covered))
    upcoming = next((row for row in rows if not row.due and not row.met), None)
    return PlanProgress(
        plan=plan,
        as_of=as_of,
        total=plan.total,
        promised=promised,
        paid=paid,
        unpaid=unpaid,
        arrears=max(promised - paid, 0),
        remaining=max(plan.total - paid, 0),
        next_due_on=upcoming.due_on if upcoming else None,
        next_amount=upcoming.shortfall if upcoming else 0,
        rows=tuple(rows),
    )


def with_totals(plans: QuerySet[PaymentPlan], *, promised_by: date | None = None) -> QuerySet[Any]:
    """``plans`` annotated with ``paid`` (signed principal allocations to the targets on or after
    the 誓約日) and ``unpaid`` (the targets' principal unpaid now); with ``promised_by``, also
    ``promised`` (the schedule amounts due on or before that day). One query, whatever the plans."""
    money = BigIntegerField()
    paid = (
        PlanTarget.objects.filter(
            plan_id=OuterRef("pk"),
            installment__allocations__kind=Allocation.Kind.PRINCIPAL,
            installment__allocations__effective_on__gte=OuterRef("pledged_on"),
        )
        .order_by()
        .values("plan_id")
        .annotate(s=Sum("installment__allocations__amount"))
        .values("s")
    )
    unpaid = (
        PlanTarget.objects.filter(plan_id=OuterRef("pk"))
        .order_by()
        .values("plan_id")
        .annotate(s=Sum(F("installment__amount") - F("installment__paid_principal")))
        .values("s")
    )
    plans = plans.annotate(
        paid=Coalesce(Subquery(paid, output_field=money), Value(0), output_field=money),
        unpaid=Coalesce(Subquery(unpaid, output_field=money), Value(0), output_field=money),
    )
    if promised_by is not None:
        promised = (
            PlanInstallment.objects.filter(plan_id=OuterRef("pk"), due_on__lte=promised_by)
            .order_by()
            .values("plan_id")
            .annotate(s=Sum("amount"))
            .values("s")
        )
        plans = plans.annotate(promised=Coalesce(Subquery(promised, output_field=money), Value(0), output_field=money))
    return plans


def plan_progress(plan: PaymentPlan, as_of: date) -> PlanProgress:
    """Where ``plan`` stands on ``as_of`` (two queries: its schedule, its totals)."""
    schedule = list(plan.schedule.all())
    paid, unpaid = with_totals(PaymentPlan.objects.filter(pk=plan.pk)).values_list("paid", "unpaid").get()
    return progress_of(plan, schedule, paid=paid, unpaid=unpaid, as_of=as_of)


def case_plans(case: Case, *, as_of: date | None = None, revenues: Collection[str] | None = None) -> list[PlanProgress]:
    """The plans of a case, newest first, each with its schedule and progress (two queries).

    With ``revenues`` (a user's scope), only the plans holding one of them."""
    as_of = as_of or timezone.localdate()
    plans = list(
        with_totals(PaymentPlan.objects.filter(case=case))
        .prefetch_related(Prefetch("schedule", queryset=PlanInstallment.objects.order_by("number")))
        .order_by("-pledged_on", "-pk")
    )
    if revenues is not None:
        plans = [plan for plan in plans if set(plan.revenues) & set(revenues)]
    return [
        progress_of(plan, list(plan.schedule.all()), paid=plan.paid, unpaid=plan.unpaid, as_of=as_of) for plan in plans
    ]


# Create and cancel.


def check_schedule(pledged_on: date, schedule: Sequence[tuple[date, int]]) -> int:
    """Refuse a malformed schedule (PlanError); returns its sum."""
    if not schedule:
        raise PlanError("納付予定を1回以上入力してください。")
    previous: date | None = None
    for number, (due_on, amount) in enumerate(schedule, start=1):
        if amount <= 0:
            raise PlanError(f"第{number}回の金額は1円以上にしてください。")
        if previous is None and due_on < pledged_on:
            raise PlanError("第1回の納付予定日は誓約日以降にしてください。")
        if previous is not None and due_on <= previous:
            raise PlanError(f"第{number}回の納付予定日は第{number - 1}回より後の日にしてください。")
        previous = due_on
    return sum(amount for _, amount in schedule)


def _targets(
    case: Case, pledged_on: date, installment_ids: Collection[int] | None, revenues: Collection[str]
) -> list[tuple[int, str, int]]:
    """(installment id, revenue, unpaid principal) of the plan's targets, locked, by id (one query)."""
    if installment_ids is not None and not installment_ids:
        raise PlanError("分納の対象とする期別を選んでください。")
    if installment_ids is None:
        rows = delinquent(pledged_on).filter(levy__person_id=case.person_id, levy__revenue__in=sorted(revenues))
    else:
        rows = Installment.objects.filter(pk__in=sorted(set(installment_ids)))
    rows = rows.select_for_update(of=("self",)).order_by("pk")
    found = list(rows.values_list("pk", "levy__person_id", "levy__revenue", "amount", "paid_principal"))
    if installment_ids is None:
        if not found:
            raise PlanError("分納の対象となる滞納(本税の未納がある期別)がありません。")
    else:
        if len(found) != len(set(installment_ids)) or any(person != case.person_id for _, person, *_ in found):
            raise PlanError("この宛名の期別ではないものが含まれています。")
        _outside({revenue for _, _, revenue, _, _ in found}, revenues)
        if any(paid >= amount for *_, amount, paid in found):
            raise PlanError("本税を完納済みの期別は分納の対象にできません。")
    return [(pk, revenue, amount - paid) for pk, _, revenue, amount, paid in found]


def plan_create(
    *,
    actor: User,
    case: Case,
    pledged_on: date,
    schedule: Sequence[tuple[date, int]],
    installment_ids: Collection[int] | None = None,
    note: str = "",
    channel: str = AccessChannel.WEB,
    client_address: str | None = None,
) -> PaymentPlan:
    """分納誓約の登録: the plan, its schedule and targets, one acknowledgement per target; the case
    is due for action on the first promised date + the grace days."""
    revenues = plan_revenues(actor)
    if pledged_on > timezone.localdate():
        raise PlanError("誓約日に未来の日付は指定できません。")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise PlanError(f"備考は{NOTE_MAX}文字以内で入力してください。")
    promised = check_schedule(pledged_on, schedule)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.state != Case.State.OPEN:
            raise PlanError(f"{case} は完結しています。分納誓約は登録できません。")
        current = PaymentPlan.objects.filter(case=case, state__in=IN_FORCE).first()
        if current is not None:
            raise PlanError(
                f"この滞納整理には{current.get_state_display()}の分納誓約 #{current.pk} があります。"
                "新しく登録するには、先に取り消してください。"
            )
        targets = _targets(case, pledged_on, installment_ids, revenues)
        total = sum(unpaid for _, _, unpaid in targets)
        if promised != total:
            difference = promised - total
            side = "超過" if difference > 0 else "不足"
            raise PlanError(
                f"分納額の合計 {format_yen(promised)}円 が対象の未納本税額 {format_yen(total)}円 と一致しません"
                f"(差額 {format_yen(abs(difference))}円 {side})。"
            )
        plan = PaymentPlan.objects.create(
            case=case,
            pledged_on=pledged_on,
            total=total,
            revenues=sorted({revenue for _, revenue, _ in targets}),
            note=note,
            created_by=actor,
        )
        PlanInstallment.objects.bulk_create(
            PlanInstallment(plan=plan, number=n, due_on=due_on, amount=amount)
            for n, (due_on, amount) in enumerate(schedule, start=1)
        )
        PlanTarget.objects.bulk_create(PlanTarget(plan=plan, installment_id=pk, amount=a) for pk, _, a in targets)
        LimitationEvent.objects.bulk_create(
            LimitationEvent(installment_id=pk, kind=ACKNOWLEDGEMENT, on=pledged_on, source=f"plan:{plan.pk}")
            for pk, _, _ in targets
        )
        case.next_action_on = schedule[0][0] + timedelta(days=settings.PLAN_GRACE_DAYS)
        if case.last_contact_on is None or case.last_contact_on < pledged_on:
            case.last_contact_on = pledged_on  # the person signed the pledge
        case.save(update_fields=["next_action_on", "last_contact_on"])
        _log(actor, plan, case.person_id, channel, client_address)
    return plan


@transaction.atomic
def plan_cancel(
    *,
    actor: User | None,
    plan: PaymentPlan,
    reason: str,
    cancelled_on: date | None = None,
    channel: str = AccessChannel.WEB,
    client_address: str | None = None,
) -> PaymentPlan:
    """取消 of a plan in force (履行中 or 不履行): the case may get a new plan. The reason goes
    before the note; the acknowledgement stays (it was made)."""
    revenues = plan_revenues(actor)
    reason = " ".join(reason.split())
    if not reason:
        raise PlanError("取消理由を入力してください。")
    plan = PaymentPlan.objects.select_for_update(of=("self",)).select_related("case").get(pk=plan.pk)
    _outside(plan.revenues, revenues)
    if plan.state not in IN_FORCE:
        raise PlanError(f"分納誓約 #{plan.pk} は{plan.get_state_display()}です。取り消せません。")
    plan.state = State.CANCELLED
    plan.closed_on = cancelled_on or timezone.localdate()
    plan.note = " / ".join(part for part in (f"取消理由: {reason}", plan.note) if part)[:NOTE_MAX]
    plan.save(update_fields=["state", "closed_on", "note"])
    _log(actor, plan, plan.case.person_id, channel, client_address)
    return plan


def _log(actor: User | None, plan: PaymentPlan, person_id: int, channel: str, client_address: str | None) -> None:
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("person", person_id), ref("paymentplan", plan.pk)],
        purpose=f"case:{plan.case_id}",
        channel=channel,
        client_address=client_address,
    )


# The breach run.


@dataclass(frozen=True)
class Breach:
    plan_id: int
    case_id: int
    promised: int  # due on or before 基準日 − grace days
    paid: int

    @property
    def arrears(self) -> int:
        return self.promised - self.paid


@dataclass
class BreachResult:
    as_of: date
    grace_days: int
    dry_run: bool
    checked: int = 0  # plans in force within the scope
    breached: list[Breach] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)  # plan ids

    @property
    def promised_by(self) -> date:
        return self.as_of - timedelta(days=self.grace_days)

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "grace_days": self.grace_days,
            "promised_by": self.promised_by.isoformat(),
            "dry_run": self.dry_run,
            "plans": self.checked,
            "breached": len(self.breached),
            "completed": len(self.completed),
            "arrears": sum(b.arrears for b in self.breached),
        }


def plan_breach_selection(*, as_of: date, grace_days: int, revenues: Collection[str] | None) -> BreachResult:
    """What a breach run on ``as_of`` finds (one query); ``revenues`` None: every plan."""
    result = BreachResult(as_of, grace_days, dry_run=True)
    rows = (
        with_totals(PaymentPlan.objects.filter(state__in=IN_FORCE), promised_by=result.promised_by)
        .order_by("pk")
        .values_list("pk", "case_id", "state", "revenues", "promised", "paid", "unpaid")
    )
    scope = None if revenues is None else set(revenues)
    for pk, case_id, state, held, promised, paid, unpaid in rows:
        if scope is not None and not set(held) <= scope:
            continue  # a plan holding a revenue outside the scope is left to someone who holds it
        result.checked += 1
        if unpaid <= 0:
            result.completed.append(pk)
        elif state == State.ACTIVE and promised > paid:
            result.breached.append(Breach(pk, case_id, promised, paid))
    return result


def plan_breach_run(
    *,
    actor: User | None,
    as_of: date,
    dry_run: bool = False,
    grace_days: int | None = None,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> BreachResult:
    """不履行判定 on ``as_of``: breach the plans not kept, complete those paid in full.

    ``grace_days`` defaults to ``settings.PLAN_GRACE_DAYS``. A dry run writes nothing but its log
    entry. A fixed number of queries, whatever the number of plans."""
    revenues = plan_revenues(actor)
    grace = settings.PLAN_GRACE_DAYS if grace_days is None else grace_days
    if grace < 0:
        raise PlanError("猶予日数は0日以上にしてください。")
    with transaction.atomic():
        result = plan_breach_selection(as_of=as_of, grace_days=grace, revenues=None if actor is None else revenues)
        result.dry_run = dry_run
        if not dry_run:
            breached = [b.plan_id for b in result.breached]
            PaymentPlan.objects.filter(pk__in_array=breached, state=State.ACTIVE).update(
                state=State.BREACHED, breached_on=as_of
            )
            Case.objects.filter(pk__in_array=sorted({b.case_id for b in result.breached})).filter(
                Q(next_action_on__isnull=True) | Q(next_action_on__gt=as_of)
            ).update(next_action_on=as_of)
            PaymentPlan.objects.filter(pk__in_array=result.completed, state__in=IN_FORCE).update(
                state=State.COMPLETED, closed_on=as_of
            )
        kind = "plan_breach_dry_run" if dry_run else "plan_breach"
        access_log_write(
            actor=actor,
            action=Action.READ if dry_run else Action.CHANGE,
            subjects=[f"count:plan_breached:{len(result.breached)}", f"count:plan_completed:{len(result.completed)}"],
            purpose=f"batch:{kind}:{as_of:%Y%m%d}",
            channel=channel,
            client_address=client_address,
        )
    return result

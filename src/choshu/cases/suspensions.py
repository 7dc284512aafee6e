"""執行停止 (地方税法15条の7): enforcement stopped for the case's delinquent installments.

- Decided by a supervisor (係長) on ground 1 (no property to seize), 2 (seizing would make the
  person's living seriously hard) or 3 (whereabouts and property both unknown); the person is
  notified (通知日). Under ground 2 the seizures in force are released (第3項).
- The late fee is waived for the period (15条の9第1項): a full ledger waiver from the start,
  open-ended until the suspension ends.
- It ends by cancellation (the ground no longer applies, 15条の8), by extinction when it has lasted
  3 years (第4項; the batch `suspension_extinction_run`, `choshu suspension extinguish`), or at once
  under ground 1 when the tax clearly cannot be collected (第5項, `suspension_extinguish_now`). The
  limitation period keeps running meanwhile (law.md §6); the dates are in `rules.limitation`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.models import Case, LimitationEvent, Seizure, Suspension, SuspensionTarget
from choshu.cases.services import CaseError, case_revenues, case_scope, case_targets
from choshu.ledger.models import LateFeeWaiver
from choshu.ledger.waivers import late_fee_waivers_end, late_fee_waivers_record
from choshu.rules.limitation import suspension_extinction_date
from choshu.staff.models import Role, User

State = Suspension.State


def _source(suspension: Suspension) -> str:
    return f"suspension:{suspension.pk}"


def _log(actor: User | None, suspension: Suspension, client_address: str | None, channel: str) -> None:
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("person", suspension.case.person_id), ref("suspension", suspension.pk)],
        purpose=f"case:{suspension.case_id}",
        client_address=client_address,
        channel=channel,
    )


def _supervisor(actor: User, case: Case) -> None:
    case_scope(actor, case)
    if actor.role != Role.SUPERVISOR:
        raise PermissionDenied("執行停止を決裁できるのは係長です。")


@transaction.atomic
def suspension_decide(
    *,
    actor: User,
    case: Case,
    ground: int,
    started_on: date,
    reason: str,
    notified_on: date | None = None,
    installment_ids: Collection[int] | None = None,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Suspension:
    """執行停止の決定 for the case's delinquent installments of the supervisor's revenues."""
    _supervisor(actor, case)
    if ground not in Suspension.Ground.values:
        raise CaseError(f"執行停止の事由が正しくありません: {ground}")
    if not reason.strip():
        raise CaseError("理由を入力してください。")
    if notified_on is not None and notified_on < started_on:
        raise CaseError("通知日は停止日以降にしてください。")
    revenues = case_scope(actor, case)
    targets = case_targets(case, revenues=revenues, on=started_on, installment_ids=installment_ids, what="執行停止")
    held = SuspensionTarget.objects.filter(installment__in=targets, suspension__state=State.IN_FORCE)
    if held.exists():
        raise CaseError("執行停止中の期別が含まれています。")
    suspension = Suspension.objects.create(
        case=case,
        ground=ground,
        started_on=started_on,
        notified_on=notified_on,
        reason=reason.strip()[:200],
        revenues=sorted({t.levy.revenue for t in targets}),
        decided_by=actor,
    )
    SuspensionTarget.objects.bulk_create(
        SuspensionTarget(suspension=suspension, installment=t, amount=t.amount - t.paid_principal) for t in targets
    )
    late_fee_waivers_record(
        installment_ids=[t.pk for t in targets],
        starts_on=started_on,
        ends_on=None,
        kind="full",
        source=_source(suspension),
    )
    if ground == Suspension.Ground.HARDSHIP:
        _release_seizures(case, [t.pk for t in targets], started_on, "執行停止(15条の7第1項2号)による解除")
    _log(actor, suspension, client_address, channel)
    return suspension


def _release_seizures(case: Case, installment_ids: list[int], on: date, reason: str) -> None:
    """Release the case's seizures in force on these installments (第3項); their limitation
    events end on the day before."""
    seizures = Seizure.objects.filter(
        case=case, state=Seizure.State.IN_FORCE, targets__installment_id__in=installment_ids
    ).distinct()
    ids = list(seizures.values_list("pk", flat=True))
    Seizure.objects.filter(pk__in=ids).update(state=Seizure.State.RELEASED, ended_on=on, release_reason=reason)
    LimitationEvent.objects.filter(source__in=[f"seizure:{pk}" for pk in ids], until__isnull=True).update(until=on)


def _in_force(actor: User, suspension: Suspension) -> Suspension:
    _supervisor(actor, suspension.case)
    suspension = Suspension.objects.select_for_update().select_related("case").get(pk=suspension.pk)
    if suspension.state != State.IN_FORCE:
        raise CaseError(f"この執行停止は{suspension.get_state_display()}です。")
    return suspension


@transaction.atomic
def suspension_cancel(
    *,
    actor: User,
    suspension: Suspension,
    cancelled_on: date,
    reason: str,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Suspension:
    """取消 (15条の8): the ground no longer applies; the late-fee waiver ends the day before."""
    suspension = _in_force(actor, suspension)
    if not reason.strip():
        raise CaseError("取消理由を入力してください。")
    if cancelled_on <= suspension.started_on:
        raise CaseError("取消日は停止日の翌日以降にしてください。")
    suspension.state = State.CANCELLED
    suspension.cancelled_on = cancelled_on
    suspension.reason = f"{suspension.reason} 取消理由: {reason.strip()}"[:200]
    suspension.save(update_fields=["state", "cancelled_on", "reason"])
    late_fee_waivers_end(source=_source(suspension), on=cancelled_on - timedelta(days=1))
    _log(actor, suspension, client_address, channel)
    return suspension


@transaction.atomic
def suspension_extinguish_now(
    *,
    actor: User,
    suspension: Suspension,
    on: date,
    reason: str,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Suspension:
    """即時消滅 (15条の7第5項): under ground 1, when the tax clearly cannot be collected."""
    suspension = _in_force(actor, suspension)
    if suspension.ground != Suspension.Ground.NO_PROPERTY:
        raise CaseError("即時消滅は1号(滞納処分をすることができる財産がない)による執行停止に限られます。")
    if on < suspension.started_on:
        raise CaseError("消滅日は停止日以降にしてください。")
    if not reason.strip():
        raise CaseError("理由を入力してください。")
    suspension.state = State.EXTINGUISHED
    suspension.immediate = True
    suspension.extinguished_on = on
    suspension.reason = f"{suspension.reason} 即時消滅: {reason.strip()}"[:200]
    suspension.save(update_fields=["state", "immediate", "extinguished_on", "reason"])
    late_fee_waivers_end(source=_source(suspension), on=on)
    _log(actor, suspension, client_address, channel)
    return suspension


@dataclass
class ExtinctionResult:
    as_of: date
    extinguished: int
    amount: int

    def as_dict(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "extinguished": self.extinguished, "amount": self.amount}


@transaction.atomic
def suspension_extinction_run(
    *, actor: User | None, as_of: date, dry_run: bool = False, channel: str = AccessChannel.CLI
) -> ExtinctionResult:
    """3年経過による消滅 (第4項): every suspension in force that has lasted 3 years by ``as_of``
    (the actor's revenues), its extinction date computed by `rules.limitation`. Two queries and
    two updates per distinct extinction date; the late-fee waiver ends the day before.
    """
    revenues = set(case_revenues(actor))
    rows = Suspension.objects.filter(state=State.IN_FORCE, started_on__lte=as_of - timedelta(days=3 * 365)).values_list(
        "pk", "started_on", "revenues"
    )
    due: dict[int, date] = {}
    for pk, started_on, held in rows:
        gone = suspension_extinction_date(started_on)
        if gone is not None and gone <= as_of and set(held) <= revenues:
            due[pk] = gone
    amount = sum(SuspensionTarget.objects.filter(suspension_id__in=list(due)).values_list("amount", flat=True))
    if not dry_run and due:
        by_date: dict[date, list[int]] = defaultdict(list)
        for pk, gone in due.items():
            by_date[gone].append(pk)
        for gone, ids in by_date.items():  # one update per distinct date
            Suspension.objects.filter(pk__in=ids).update(state=State.EXTINGUISHED, extinguished_on=gone)
            LateFeeWaiver.objects.filter(source__in=[f"suspension:{pk}" for pk in ids], ends_on__isnull=True).update(
                ends_on=gone - timedelta(days=1)
            )
    access_log_write(
        actor=actor,
        action=Action.READ if dry_run else Action.CHANGE,
        subjects=[f"count:suspension:{len(due)}"],
        purpose=f"batch:suspension_extinction:{as_of:%Y%m%d}",
        channel=channel,
    )
    return ExtinctionResult(as_of, len(due), amount)

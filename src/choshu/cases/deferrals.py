"""猶予 (deferrals): 徴収猶予 (地方税法15条) and 換価の猶予 (15条の5 by the authority, 15条の6 on
application), requested by an officer and decided by a supervisor (係長, not the requester).

- The period is at most one year (15条1項, 15条の5第1項, 15条の6第1項); an extension (up to two
  years in all) is a new deferral.
- A 換価の猶予 on application must be applied for within 6 months of the due date of each
  installment (15条の6第1項; the ward's ordinance sets the period, 6 months is the common one).
- The late fee for the period is waived in full or in half by the kind and ground
  (`WAIVER_BY_GROUND`, law.md §8, 15条の9); the waiver is stored on the deferral (data) and becomes
  ledger waivers (`ledger.waivers`) when the deferral is approved.
- An application acknowledges the debt (債務承認): it renews limitation (law.md §6); a deferral by
  the authority's own decision does not.
- While a 徴収猶予 is in force no demand is made (cases/holds.py); no reminder goes out under any.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.models import Case, Deferral, DeferralInstallment, DeferralTarget, LimitationEvent
from choshu.cases.services import CaseError, case_scope, case_targets
from choshu.ledger.waivers import late_fee_waivers_end, late_fee_waivers_record
from choshu.rules.calendar import month_elapsed_day
from choshu.staff.models import Role, User

Kind, Ground, Waiver, State = Deferral.Kind, Deferral.Ground, Deferral.Waiver, Deferral.State
APPLICATION_MONTHS = 6  # 換価の猶予の申請期限 (15条の6第1項; by ordinance)

# law.md §8: full waiver for disaster and illness (15条1項1号・2号 and similar 5号), half for business
# closure and losses (3号・4号 and similar 5号), a late assessment (15条2項) and every 換価の猶予.
WAIVER_BY_GROUND: dict[tuple[str, str], str] = {
    (Kind.COLLECTION, Ground.DISASTER): Waiver.FULL,
    (Kind.COLLECTION, Ground.ILLNESS): Waiver.FULL,
    (Kind.COLLECTION, Ground.SIMILAR_PERSONAL): Waiver.FULL,
    (Kind.COLLECTION, Ground.BUSINESS_CLOSED): Waiver.HALF,
    (Kind.COLLECTION, Ground.BUSINESS_LOSS): Waiver.HALF,
    (Kind.COLLECTION, Ground.SIMILAR_BUSINESS): Waiver.HALF,
    (Kind.COLLECTION, Ground.LATE_ASSESSMENT): Waiver.HALF,
    (Kind.REALISATION, Ground.HARDSHIP): Waiver.HALF,
    (Kind.REALISATION_APPLIED, Ground.HARDSHIP): Waiver.HALF,
}


def _application_deadline(due_date: date) -> date:
    """The last day to apply for a 換価の猶予: 6 months from the day after the due date."""
    return month_elapsed_day(due_date + timedelta(days=1), APPLICATION_MONTHS)


def _source(deferral: Deferral) -> str:
    return f"deferral:{deferral.pk}"


def _log(actor: User, deferral: Deferral, client_address: str | None, channel: str) -> None:
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("person", deferral.case.person_id), ref("deferral", deferral.pk)],
        purpose=f"case:{deferral.case_id}",
        client_address=client_address,
        channel=channel,
    )


@transaction.atomic
def deferral_request(
    *,
    actor: User,
    case: Case,
    kind: str,
    ground: str,
    starts_on: date,
    ends_on: date,
    applied_on: date | None = None,
    installment_ids: Collection[int] | None = None,
    schedule: Sequence[tuple[date, int]] = (),
    note: str = "",
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Deferral:
    """起案: a deferral of the case's delinquent installments (of the actor's revenues, or those chosen)."""
    revenues = case_scope(actor, case)
    waiver = WAIVER_BY_GROUND.get((kind, ground))
    if waiver is None:
        raise CaseError("猶予の種類と事由の組合せが正しくありません。")
    if ends_on < starts_on or ends_on > month_elapsed_day(starts_on, 12):
        raise CaseError("猶予期間は始期から1年以内で指定してください(延長は新たな猶予として起案します)。")
    applied = kind != Kind.REALISATION
    if applied and applied_on is None:
        raise CaseError("申請日を入力してください。")
    if not applied and applied_on is not None:
        raise CaseError("職権による換価の猶予に申請日はありません。")
    if applied_on is not None and applied_on > timezone.localdate():
        raise CaseError("申請日が未来です。")
    targets = case_targets(case, revenues=revenues, on=starts_on, installment_ids=installment_ids, what="猶予")
    if kind == Kind.REALISATION_APPLIED:
        assert applied_on is not None
        late = [
            t for t in targets if applied_on > month_elapsed_day(t.due_date + timedelta(days=1), APPLICATION_MONTHS)
        ]
        if late:
            names = "、".join(f"{t.levy.levy_no} 第{t.installment_no}期" for t in late)
            raise CaseError(
                f"納期限から{APPLICATION_MONTHS}か月を過ぎた期別は申請による換価の猶予の対象になりません: {names}"
            )
    total = sum(t.amount - t.paid_principal for t in targets)
    if schedule and sum(amount for _, amount in schedule) != total:
        raise CaseError(f"分割納付の合計が猶予額 {total:,}円 と一致しません。")
    if any(not starts_on <= day <= ends_on or amount <= 0 for day, amount in schedule):
        raise CaseError("分割納付の期限は猶予期間内、金額は1円以上にしてください。")
    deferral = Deferral.objects.create(
        case=case,
        kind=kind,
        ground=ground,
        applied_on=applied_on,
        starts_on=starts_on,
        ends_on=ends_on,
        waiver=waiver,
        revenues=sorted({t.levy.revenue for t in targets}),
        note=note.strip()[:200],
        requested_by=actor,
    )
    DeferralTarget.objects.bulk_create(
        DeferralTarget(deferral=deferral, installment=t, amount=t.amount - t.paid_principal) for t in targets
    )
    DeferralInstallment.objects.bulk_create(
        DeferralInstallment(deferral=deferral, number=n, due_on=day, amount=amount)
        for n, (day, amount) in enumerate(sorted(schedule), start=1)
    )
    if applied_on is not None:  # the application acknowledges the debt
        LimitationEvent.objects.bulk_create(
            LimitationEvent(installment=t, kind="acknowledgement", on=applied_on, source=_source(deferral))
            for t in targets
        )
    _log(actor, deferral, client_address, channel)
    return deferral


def _supervisor(actor: User, deferral: Deferral) -> Deferral:
    case_scope(actor, deferral.case)
    if actor.role != Role.SUPERVISOR:
        raise PermissionDenied("猶予を決裁できるのは係長です。")
    return Deferral.objects.select_for_update().select_related("case").get(pk=deferral.pk)


@transaction.atomic
def deferral_decide(
    *,
    actor: User,
    deferral: Deferral,
    approve: bool,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Deferral:
    """決裁: 許可 (the late-fee waiver goes to the ledger) or 不許可. Not by the requester."""
    deferral = _supervisor(actor, deferral)
    if deferral.state != State.REQUESTED:
        raise CaseError(f"この猶予は{deferral.get_state_display()}です。")
    if deferral.requested_by_id == actor.pk:
        raise PermissionDenied("起案者は決裁できません。")
    deferral.state = State.APPROVED if approve else State.REJECTED
    deferral.decided_by = actor
    deferral.decided_at = timezone.now()
    deferral.save(update_fields=["state", "decided_by", "decided_at"])
    if approve and deferral.waiver != Waiver.NONE:
        late_fee_waivers_record(
            installment_ids=list(deferral.targets.values_list("installment_id", flat=True)),
            starts_on=deferral.starts_on,
            ends_on=deferral.ends_on,
            kind=deferral.waiver,
            source=_source(deferral),
        )
    _log(actor, deferral, client_address, channel)
    return deferral


@transaction.atomic
def deferral_cancel(
    *,
    actor: User,
    deferral: Deferral,
    cancelled_on: date,
    reason: str,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Deferral:
    """取消 (15条の3): the deferral ends on ``cancelled_on``; the waiver stops the day before."""
    deferral = _supervisor(actor, deferral)
    if deferral.state != State.APPROVED:
        raise CaseError(f"この猶予は{deferral.get_state_display()}です。取り消せるのは許可した猶予です。")
    if not reason.strip():
        raise CaseError("取消理由を入力してください。")
    if not deferral.starts_on < cancelled_on <= deferral.ends_on:
        raise CaseError("取消日は猶予期間の始期の翌日から終期までの日にしてください。")
    deferral.state = State.CANCELLED
    deferral.cancelled_on = cancelled_on
    deferral.note = f"{deferral.note} 取消理由: {reason.strip()}"[:200].strip()
    deferral.save(update_fields=["state", "cancelled_on", "note"])
    late_fee_waivers_end(source=_source(deferral), on=cancelled_on - timedelta(days=1))
    _log(actor, deferral, client_address, channel)
    return deferral

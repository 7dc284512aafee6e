"""差押 (seizures): property attached for the case's delinquent installments.

- Recorded by an officer with the property (預貯金, 給与, 売掛金等, 自動車, 不動産, …), the third
  party (第三債務者), the amount and the date; not on installments under a 徴収猶予 or a 執行停止
  (no new enforcement during them, 15条の2第3項, 15条の7).
- While in force it postpones limitation, which runs anew from its end (民法148条 via 地方税法18条
  3項, law.md §6): a `LimitationEvent` of kind ``seizure`` per installment, ended at collection in
  full or release.
- Collection (取立) posts a payment of channel ``seizure`` on the seized installments (oldest due
  date first, principal before late fee, as every payment); the seizure ends when the amount seized
  is collected or nothing is owed any more.
- Release (解除) by a supervisor, with its reason.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.holds import NO_DEMAND, deferred, suspended
from choshu.cases.models import Case, LimitationEvent, Seizure, SeizureTarget
from choshu.cases.services import CaseError, case_scope, case_targets
from choshu.ledger.models import Installment, Payment
from choshu.ledger.services import seizure_payment_post
from choshu.staff.models import Role, User

State = Seizure.State


def _source(seizure: Seizure) -> str:
    return f"seizure:{seizure.pk}"


def _log(actor: User, seizure: Seizure, client_address: str | None, channel: str, *more: str) -> None:
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("person", seizure.case.person_id), ref("seizure", seizure.pk), *more],
        purpose=f"case:{seizure.case_id}",
        client_address=client_address,
        channel=channel,
    )


@transaction.atomic
def seizure_record(
    *,
    actor: User,
    case: Case,
    property: str,
    description: str,
    amount: int,
    seized_on: date,
    third_party: str = "",
    installment_ids: Collection[int] | None = None,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Seizure:
    """差押の記録 for the case's delinquent installments of the officer's revenues (or those chosen)."""
    revenues = case_scope(actor, case)
    if property not in Seizure.Property.values:
        raise CaseError(f"財産の種類が正しくありません: {property}")
    if not description.strip():
        raise CaseError("財産の表示を入力してください。")
    if amount <= 0:
        raise CaseError("差押額は1円以上で入力してください。")
    targets = case_targets(case, revenues=revenues, on=seized_on, installment_ids=installment_ids, what="差押")
    ids = [t.pk for t in targets]
    if deferred(seized_on, NO_DEMAND).filter(installment_id__in=ids).exists():
        raise CaseError("徴収猶予中の期別は差し押さえられません(地方税法15条の2第3項)。")
    if suspended(seized_on).filter(installment_id__in=ids).exists():
        raise CaseError("執行停止中の期別は差し押さえられません。")
    seizure = Seizure.objects.create(
        case=case,
        property=property,
        description=description.strip()[:200],
        third_party=third_party.strip()[:100],
        amount=amount,
        seized_on=seized_on,
        revenues=sorted({t.levy.revenue for t in targets}),
        recorded_by=actor,
    )
    SeizureTarget.objects.bulk_create(SeizureTarget(seizure=seizure, installment=t) for t in targets)
    LimitationEvent.objects.bulk_create(
        LimitationEvent(installment=t, kind="seizure", on=seized_on, source=_source(seizure)) for t in targets
    )
    _log(actor, seizure, client_address, channel)
    return seizure


def _end(seizure: Seizure, state: str, on: date, reason: str = "") -> None:
    seizure.state = state
    seizure.ended_on = on
    seizure.release_reason = reason[:200]
    seizure.save(update_fields=["state", "ended_on", "release_reason", "collected"])
    LimitationEvent.objects.filter(source=_source(seizure), until__isnull=True).update(until=on)


def _in_force(actor: User, seizure: Seizure) -> Seizure:
    case_scope(actor, seizure.case)
    seizure = Seizure.objects.select_for_update().select_related("case__person").get(pk=seizure.pk)
    if seizure.state != State.IN_FORCE:
        raise CaseError(f"この差押は{seizure.get_state_display()}です。")
    return seizure


@transaction.atomic
def seizure_collect(
    *,
    actor: User,
    seizure: Seizure,
    amount: int,
    collected_on: date,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Payment:
    """取立: the money collected from the third party is posted as a payment of channel seizure."""
    seizure = _in_force(actor, seizure)
    if amount <= 0:
        raise CaseError("取立額は1円以上で入力してください。")
    if collected_on < seizure.seized_on:
        raise CaseError("取立日は差押日以降にしてください。")
    targets = list(seizure.targets.values_list("installment_id", flat=True))
    payment = seizure_payment_post(
        actor=actor,
        person=seizure.case.person,
        installment_ids=targets,
        amount=amount,
        paid_on=collected_on,
        reference=_source(seizure),
    )
    seizure.collected += amount
    owing = Installment.objects.filter(pk__in=targets, paid_principal__lt=F("amount")).exists()
    if seizure.collected >= seizure.amount or not owing:
        _end(seizure, State.COLLECTED, collected_on)
    else:
        seizure.save(update_fields=["collected"])
    _log(actor, seizure, client_address, channel, ref("payment", payment.pk))
    return payment


@transaction.atomic
def seizure_release(
    *,
    actor: User,
    seizure: Seizure,
    released_on: date,
    reason: str,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Seizure:
    """解除 by a supervisor (係長)."""
    seizure = _in_force(actor, seizure)
    if actor.role != Role.SUPERVISOR:
        raise PermissionDenied("差押を解除できるのは係長です。")
    if not reason.strip():
        raise CaseError("解除理由を入力してください。")
    if released_on < seizure.seized_on:
        raise CaseError("解除日は差押日以降にしてください。")
    _end(seizure, State.RELEASED, released_on, reason.strip())
    _log(actor, seizure, client_address, channel)
    return seizure

"""催告書 (reminders): escalate one level from the last letter actually sent; generate, then dispatch.

Who gets one: a person (per letter form, tax or NHI) with demanded installments — an active line of
a dispatched demand batch — still owing principal and with no payment pending (速報). The last
letter actually sent is the later of that demand and the person's last dispatched reminder of the
form; the level is the first one (`ReminderLevel.order`) after a demand, else the next level of
the last reminder (none after the last level). The level applies when its conditions hold on the
基準日 (as_of): at least `min_days` since that letter was sent, the amount owed (on its revenues)
at least `min_amount`. An installment under a deferral (猶予) or a suspension (執行停止) on the 基準日 is
not reminded (cases/holds.py). A person already in a generated (not yet dispatched) batch is skipped.

Generating writes the batch and its letters (state 作成済); dispatching records the date they were
posted, which the next escalation counts from; a generated batch can be cancelled. A reminder
renews no limitation period (law.md §3: only the first demand does). Set-based: a fixed number
of queries whatever the number of persons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.holds import NO_REMINDER, exclude_held
from choshu.ledger import bulk
from choshu.notices.demands import DemandError, check_dispatch_date, form_of, revenues_of
from choshu.notices.models import DemandBatch, DemandLine, Reminder, ReminderBatch, ReminderLevel, ReminderLine
from choshu.payments.selectors import payment_pending_installments
from choshu.staff.models import User

State = ReminderBatch.State


@dataclass
class ReminderDraft:
    person_id: int
    form: str
    level_id: int
    lines: list[tuple[int, int]] = field(default_factory=list)  # (installment id, amount owed)

    @property
    def amount(self) -> int:
        return sum(amount for _, amount in self.lines)


@dataclass
class ReminderResult:
    as_of: date
    issue_date: date
    drafts: list[ReminderDraft]
    batch_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        levels: dict[int, int] = defaultdict(int)
        for draft in self.drafts:
            levels[draft.level_id] += 1
        names = dict(ReminderLevel.objects.filter(pk__in=list(levels)).values_list("pk", "name"))
        return {
            "batch_id": self.batch_id,
            "as_of": self.as_of.isoformat(),
            "issue_date": self.issue_date.isoformat(),
            "letters": len(self.drafts),
            "amount": sum(d.amount for d in self.drafts),
            "levels": {names[pk]: n for pk, n in sorted(levels.items())},
        }


def reminder_selection(*, as_of: date, revenues: Collection[str]) -> list[ReminderDraft]:
    """The reminders due on ``as_of`` (four queries)."""
    levels = {level.pk: level for level in ReminderLevel.objects.all()}
    first = min((lv for lv in levels.values() if lv.active), key=lambda level: level.order, default=None)
    owed: dict[tuple[int, str], list[tuple[int, str, int]]] = defaultdict(list)
    last_sent: dict[tuple[int, str], date] = {}
    demanded = DemandLine.objects.filter(
        active=True,
        letter__batch__state=DemandBatch.State.DISPATCHED,
        installment__levy__revenue__in=sorted(revenues),
        installment__paid_principal__lt=F("installment__amount"),
    ).exclude(installment_id__in=payment_pending_installments())
    rows = (
        exclude_held(demanded, field="installment_id", on=as_of, kinds=NO_REMINDER)
        .values_list(
            "letter__person_id",
            "installment_id",
            "installment__levy__revenue",
            "installment__amount",
            "installment__paid_principal",
            "letter__batch__dispatched_on",
        )
        .order_by("letter__person_id", "installment__due_date", "installment_id")
    )
    for person_id, installment_id, revenue, amount, paid, dispatched_on in rows:
        assert dispatched_on is not None  # a dispatched batch has its date
        key = (person_id, form_of(revenue))
        owed[key].append((installment_id, revenue, amount - paid))
        last_sent[key] = max(last_sent.get(key, dispatched_on), dispatched_on)
    last_level: dict[tuple[int, str], int] = {}
    sent = (
        Reminder.objects.filter(batch__state=State.DISPATCHED, person_id__in_array=sorted({p for p, _ in owed}))
        .order_by("batch__dispatched_on", "pk")
        .values_list("person_id", "form", "level_id", "batch__dispatched_on")
    )
    for person_id, form, level_id, dispatched_on in sent:
        assert dispatched_on is not None
        key = (person_id, form)
        if dispatched_on >= last_sent.get(key, dispatched_on):
            last_sent[key] = dispatched_on
            last_level[key] = level_id
    waiting = set(Reminder.objects.filter(batch__state=State.GENERATED).values_list("person_id", "form"))
    drafts = []
    for key, lines in owed.items():
        if key in waiting:
            continue
        if key in last_level:
            following = levels[last_level[key]].next_level_id
            level = levels[following] if following is not None else None
        else:
            level = first
        if level is None or not level.active or (as_of - last_sent[key]).days < level.min_days:
            continue
        chosen = [(pk, amount) for pk, revenue, amount in lines if not level.revenues or revenue in level.revenues]
        draft = ReminderDraft(key[0], key[1], level.pk, chosen)
        if chosen and draft.amount >= level.min_amount:
            drafts.append(draft)
    return drafts


def reminder_generate(
    *,
    actor: User | None,
    as_of: date,
    issue_date: date,
    dry_run: bool = False,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> ReminderResult:
    """作成: the batch of reminders due on ``as_of`` (nothing written on a dry run but its log)."""
    revenues = revenues_of(actor)
    if issue_date < as_of:
        raise DemandError("発付日は基準日以降にしてください。")
    with transaction.atomic():
        drafts = reminder_selection(as_of=as_of, revenues=revenues)
        result = ReminderResult(as_of, issue_date, drafts)
        if dry_run or not drafts:
            access_log_write(
                actor=actor,
                action=Action.READ,
                subjects=[f"count:reminder:{len(drafts)}"],
                purpose=f"batch:reminder_dry_run:{as_of:%Y%m%d}",
                channel=channel,
                client_address=client_address,
            )
            return result
        batch = ReminderBatch.objects.create(
            as_of=as_of,
            issue_date=issue_date,
            revenues=revenues,
            letters=len(drafts),
            amount=sum(d.amount for d in drafts),
            created_by=actor,
        )
        ids = bulk.reserve_ids(Reminder, len(drafts))
        bulk.insert(
            Reminder,
            ("id", "batch_id", "person_id", "form", "level_id", "amount"),
            ((pk, batch.pk, d.person_id, d.form, d.level_id, d.amount) for pk, d in zip(ids, drafts, strict=True)),
        )
        bulk.insert(
            ReminderLine,
            ("reminder_id", "installment_id", "amount"),
            ((pk, inst, amount) for pk, d in zip(ids, drafts, strict=True) for inst, amount in d.lines),
        )
        _log(actor, batch, channel, client_address)
        result.batch_id = batch.pk
        return result


@transaction.atomic
def reminder_dispatch(
    *,
    actor: User | None,
    batch: ReminderBatch,
    dispatched_on: date,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> ReminderBatch:
    """発送: posted on ``dispatched_on``; the next level counts its days from this date."""
    revenues_of(actor)
    batch = ReminderBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != State.GENERATED:
        raise DemandError(f"催告処理 #{batch.pk} は{batch.get_state_display()}です。")
    check_dispatch_date(batch.issue_date, dispatched_on)
    batch.state = State.DISPATCHED
    batch.dispatched_on = dispatched_on
    batch.save(update_fields=["state", "dispatched_on"])
    _log(actor, batch, channel, client_address)
    return batch


@transaction.atomic
def reminder_cancel(
    *,
    actor: User | None,
    batch: ReminderBatch,
    reason: str,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> ReminderBatch:
    """取消 before dispatch: its persons may be chosen again."""
    revenues_of(actor)
    if not reason.strip():
        raise DemandError("取消理由を入力してください。")
    batch = ReminderBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != State.GENERATED:
        raise DemandError(f"催告処理 #{batch.pk} は{batch.get_state_display()}です。取り消せません。")
    batch.state = State.CANCELLED
    batch.cancelled_at = timezone.now()
    batch.cancel_reason = reason.strip()[:200]
    batch.save(update_fields=["state", "cancelled_at", "cancel_reason"])
    _log(actor, batch, channel, client_address)
    return batch


def _log(actor: User | None, batch: ReminderBatch, channel: str, client_address: str | None) -> None:
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("reminderbatch", batch.pk), f"count:reminder:{batch.letters}"],
        purpose=f"batch:reminder:{batch.pk}",
        channel=channel,
        client_address=client_address,
    )

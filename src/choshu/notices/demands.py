"""督促状の発付 (demand batches): prepare, fix, cancel (models in notices/models.py).

Selection: installments of the actor's revenues whose due date is the batch's `due_on`, still
unpaid (paid principal below the amount), with no payment pending (速報 without its 確報: a letter
would cross the payment, 行き違い) and no active demand line (nothing is demanded twice). One
letter per person — an employer (特別徴収義務者) is a person too — listing their installments; a
person owing both taxes and NHI premiums gets one letter of each form (`DemandLetter.Form`: the
legal notices differ).

Fixing re-reads the lines under lock, just before the batch is final: a line whose installment
was paid or reported paid since the batch was prepared is dropped (the race Kill Bill #472
describes), the demanded amount is the balance at that moment. The law asks for a demand within
20 days after the due date (地方税法329条等, law.md §3): a later issue date is allowed but marked
(`late`) and warned about.

Installments held by a 徴収猶予 or a 執行停止 are left out (`cases/holds.py`). Set-based: a
constant number of queries whatever the batch size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.holds import NO_DEMAND, exclude_held
from choshu.ledger import bulk
from choshu.ledger.models import Installment
from choshu.notices.models import DemandBatch, DemandLetter, DemandLine
from choshu.payments.selectors import payment_pending_installments, pending_among
from choshu.rules.revenue import REVENUES
from choshu.staff.models import User

DEMAND_WITHIN_DAYS = 20  # a demand is to be issued within 20 days after the due date
State = DemandBatch.State


class DemandError(ValueError):
    """A batch the service refuses; the message is shown to the clerk."""


@dataclass(frozen=True)
class Line:
    installment_id: int
    levy_no: str
    fiscal_year: int
    revenue: str
    installment_no: int
    tax_amount: int
    amount: int  # the balance demanded


@dataclass
class Letter:
    person_id: int
    atena_no: str
    form: str  # DemandLetter.Form
    lines: list[Line] = field(default_factory=list)

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass
class DemandResult:
    due_on: date
    issue_date: date
    letters: list[Letter]
    batch_id: int | None = None
    dropped: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "due_on": self.due_on.isoformat(),
            "issue_date": self.issue_date.isoformat(),
            "letters": len(self.letters),
            "lines": sum(len(letter.lines) for letter in self.letters),
            "amount": sum(letter.amount for letter in self.letters),
            "dropped": self.dropped,
            "warnings": self.warnings,
            "persons": [
                {
                    "atena_no": letter.atena_no,
                    "form": letter.form,
                    "amount": letter.amount,
                    "installments": [
                        {"levy_no": line.levy_no, "installment_no": line.installment_no, "amount": line.amount}
                        for line in letter.lines
                    ],
                }
                for letter in self.letters
            ],
        }


def revenues_of(actor: User | None) -> list[str]:
    if actor is None:
        return sorted(REVENUES)
    if not actor.can_post_payments():
        raise PermissionDenied("督促状の発付処理の権限がありません(収納担当・係長)。")
    return sorted(actor.scopes())


def _check_dates(due_on: date, issue_date: date) -> list[str]:
    if issue_date <= due_on:
        raise DemandError("発付日は納期限の翌日以降にしてください。")
    if issue_date > due_on + timedelta(days=DEMAND_WITHIN_DAYS):
        return [f"発付日が納期限から{DEMAND_WITHIN_DAYS}日を超えています({(issue_date - due_on).days}日)。"]
    return []


def undemanded(installments: QuerySet[Installment], *, on: date | None = None) -> QuerySet[Installment]:
    """Still owing principal, no payment pending (速報), not demanded already, not held on ``on``
    (today by default) by a 徴収猶予 or 執行停止 (cases/holds.py)."""
    demanded = DemandLine.objects.filter(installment=OuterRef("pk"), active=True)
    owing = (
        installments.filter(paid_principal__lt=F("amount"))
        .exclude(pk__in=payment_pending_installments())
        .exclude(Exists(demanded))
    )
    return exclude_held(owing, field="pk", on=on or timezone.localdate(), kinds=NO_DEMAND)


def demand_selection(*, due_on: date, revenues: Collection[str]) -> list[Letter]:
    """The letters a batch for `due_on` would hold now, ordered by 宛名番号 (one query)."""
    rows = (
        undemanded(Installment.objects.filter(due_date=due_on, levy__revenue__in=sorted(revenues)))
        .order_by("levy__person__atena_no", "levy__fiscal_year", "levy__levy_no", "installment_no")
        .values_list(
            "pk",
            "levy__person_id",
            "levy__person__atena_no",
            "levy__levy_no",
            "levy__fiscal_year",
            "levy__revenue",
            "installment_no",
            "amount",
            "paid_principal",
        )
    )
    letters: dict[tuple[int, str], Letter] = {}
    for pk, person_id, atena_no, levy_no, fiscal_year, revenue, no, amount, paid in rows:
        form = form_of(revenue)
        letter = letters.setdefault((person_id, form), Letter(person_id, atena_no, form))
        letter.lines.append(Line(pk, levy_no, fiscal_year, revenue, no, amount, amount - paid))
    return list(letters.values())


def form_of(revenue: str) -> str:
    """The letter form an installment of ``revenue`` is demanded on."""
    return DemandLetter.Form.TAX if REVENUES[revenue].is_tax else DemandLetter.Form.NHI


def demand_dry_run(
    *,
    actor: User | None,
    due_on: date,
    issue_date: date,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> DemandResult:
    """What `demand_prepare` would select, written nowhere but the access log (a read of persons)."""
    revenues = revenues_of(actor)
    warnings = _check_dates(due_on, issue_date)
    with transaction.atomic():
        letters = demand_selection(due_on=due_on, revenues=revenues)
        access_log_write(
            actor=actor,
            action=Action.READ,
            subjects=[f"count:demand:{len(letters)}"],
            purpose=f"batch:demand_dry_run:{due_on:%Y%m%d}",
            channel=channel,
            client_address=client_address,
        )
    return DemandResult(due_on, issue_date, letters, warnings=warnings)


@transaction.atomic
def demand_prepare(
    *,
    actor: User | None,
    due_on: date,
    issue_date: date,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> DemandResult:
    """Choose the letters of a new batch (state prepared); nothing is created when none is due."""
    revenues = revenues_of(actor)
    warnings = _check_dates(due_on, issue_date)
    letters = demand_selection(due_on=due_on, revenues=revenues)
    result = DemandResult(due_on, issue_date, letters, warnings=warnings)
    if not letters:
        return result
    batch = DemandBatch.objects.create(
        due_on=due_on,
        issue_date=issue_date,
        revenues=revenues,
        late=bool(warnings),
        letters=len(letters),
        lines=sum(len(letter.lines) for letter in letters),
        amount=sum(letter.amount for letter in letters),
        created_by=actor,
    )
    letter_ids = bulk.reserve_ids(DemandLetter, len(letters))
    bulk.insert(
        DemandLetter,
        ("id", "batch_id", "person_id", "form", "amount"),
        (
            (pk, batch.pk, letter.person_id, letter.form, letter.amount)
            for pk, letter in zip(letter_ids, letters, strict=True)
        ),
    )
    bulk.insert(
        DemandLine,
        ("letter_id", "installment_id", "tax_amount", "amount", "active", "dropped_reason"),
        (
            (pk, line.installment_id, line.tax_amount, line.amount, True, "")
            for pk, letter in zip(letter_ids, letters, strict=True)
            for line in letter.lines
        ),
    )
    _log(actor, batch, channel, client_address)
    result.batch_id = batch.pk
    return result


@transaction.atomic
def demand_fix(
    *, actor: User | None, batch: DemandBatch, channel: str = AccessChannel.CLI, client_address: str | None = None
) -> DemandResult:
    """確定: re-read every line under lock; drop what was paid or reported paid since preparing."""
    revenues_of(actor)
    batch = DemandBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != State.PREPARED:
        raise DemandError(f"督促処理 #{batch.pk} は{batch.get_state_display()}です。確定できません。")
    lines = list(DemandLine.objects.filter(letter__batch=batch, active=True).select_related("letter").order_by("pk"))
    ids = [line.installment_id for line in lines]
    current = {
        pk: amount - paid
        for pk, amount, paid in Installment.objects.select_for_update()
        .filter(pk__in_array=ids)
        .order_by("pk")
        .values_list("pk", "amount", "paid_principal")
    }
    pending = pending_among(ids)
    by_letter: dict[int, int] = defaultdict(int)
    dropped: dict[str, list[int]] = defaultdict(list)  # reason → line ids
    amounts: dict[int, int] = {}  # line id → the balance now, where it changed
    for line in lines:
        balance = current.get(line.installment_id, 0)
        by_letter.setdefault(line.letter_id, 0)
        if line.installment_id in pending or balance <= 0:
            dropped["納付確認中(速報あり)" if line.installment_id in pending else "収納済"].append(line.pk)
        else:
            if balance != line.amount:
                amounts[line.pk] = balance
            by_letter[line.letter_id] += balance
    for reason, line_ids in dropped.items():
        DemandLine.objects.filter(pk__in_array=line_ids).update(active=False, dropped_reason=reason)
    bulk.set_column(DemandLine, "amount", amounts)
    letter_amounts = {line.letter_id: line.letter.amount for line in lines}
    bulk.set_column(DemandLetter, "amount", {pk: n for pk, n in by_letter.items() if n != letter_amounts[pk]})
    dropped_count = sum(len(ids) for ids in dropped.values())
    batch.state = State.FIXED
    batch.fixed_at = timezone.now()
    batch.dropped = dropped_count
    batch.letters = sum(1 for n in by_letter.values() if n > 0)
    batch.lines = len(lines) - dropped_count
    batch.amount = sum(by_letter.values())
    batch.save()
    _log(actor, batch, channel, client_address)
    return _result_of(batch)


def demand_run(
    *,
    actor: User | None,
    due_on: date,
    issue_date: date,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> DemandResult:
    """`choshu demand run`: prepare and fix at once (a screen prepares, previews, then fixes)."""
    prepared = demand_prepare(
        actor=actor, due_on=due_on, issue_date=issue_date, channel=channel, client_address=client_address
    )
    if prepared.batch_id is None:
        return prepared
    batch = DemandBatch.objects.get(pk=prepared.batch_id)
    fixed = demand_fix(actor=actor, batch=batch, channel=channel, client_address=client_address)
    fixed.warnings = prepared.warnings
    return fixed


@transaction.atomic
def demand_cancel(
    *,
    actor: User | None,
    batch: DemandBatch,
    reason: str,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> DemandBatch:
    """取消 before dispatch: the lines are released, so a later batch may demand them."""
    revenues_of(actor)
    if not reason.strip():
        raise DemandError("取消理由を入力してください。")
    batch = DemandBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state not in (State.PREPARED, State.FIXED):
        raise DemandError(f"督促処理 #{batch.pk} は{batch.get_state_display()}です。取り消せません。")
    DemandLine.objects.filter(letter__batch=batch, active=True).update(active=False, dropped_reason="処理の取消")
    batch.state = State.CANCELLED
    batch.cancelled_at = timezone.now()
    batch.cancel_reason = reason.strip()[:200]
    batch.save(update_fields=["state", "cancelled_at", "cancel_reason"])
    _log(actor, batch, channel, client_address)
    return batch


def check_dispatch_date(issue_date: date, dispatched_on: date) -> None:
    """A letter is posted on or after its issue date, and not in the future (demands and reminders)."""
    if not issue_date <= dispatched_on <= timezone.localdate():
        raise DemandError("発送日は発付日から今日までの日付にしてください。")


@transaction.atomic
def demand_dispatch(
    *,
    actor: User | None,
    batch: DemandBatch,
    dispatched_on: date | None = None,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
) -> DemandBatch:
    """発送: the letters were posted on ``dispatched_on`` (default: the issue date), on or after
    the issue date and not in the future — printed in house, or by the print house once inspected."""
    revenues_of(actor)
    batch = DemandBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != State.FIXED:
        state = batch.get_state_display()
        raise DemandError(f"督促処理 #{batch.pk} は{state}です。発送済にできるのは確定した処理です。")
    dispatched_on = dispatched_on or batch.issue_date
    check_dispatch_date(batch.issue_date, dispatched_on)
    batch.state = State.DISPATCHED
    batch.dispatched_on = dispatched_on
    batch.save(update_fields=["state", "dispatched_on"])
    _log(actor, batch, channel, client_address)
    return batch


def _log(actor: User | None, batch: DemandBatch, channel: str, client_address: str | None) -> None:
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("demandbatch", batch.pk), f"count:demand:{batch.letters}"],
        purpose=f"batch:demand:{batch.pk}",
        channel=channel,
        client_address=client_address,
    )


def _result_of(batch: DemandBatch) -> DemandResult:
    rows = (
        DemandLine.objects.filter(letter__batch=batch, active=True)
        .order_by("letter__person__atena_no", "installment__levy__fiscal_year", "installment__levy__levy_no")
        .values_list(
            "installment_id",
            "letter__person_id",
            "letter__person__atena_no",
            "letter__form",
            "installment__levy__levy_no",
            "installment__levy__fiscal_year",
            "installment__levy__revenue",
            "installment__installment_no",
            "tax_amount",
            "amount",
        )
    )
    letters: dict[tuple[int, str], Letter] = {}
    for pk, person_id, atena_no, form, levy_no, fiscal_year, revenue, no, tax_amount, amount in rows:
        letters.setdefault((person_id, form), Letter(person_id, atena_no, form)).lines.append(
            Line(pk, levy_no, fiscal_year, revenue, no, tax_amount, amount)
        )
    return DemandResult(batch.due_on, batch.issue_date, list(letters.values()), batch.pk, batch.dropped)

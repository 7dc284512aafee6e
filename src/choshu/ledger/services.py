"""Writes to the money ledger, each in one transaction.

Lock order: the person first, then their installments by id (select_for_update), so two
postings for one person serialise and no two lock in opposite orders.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from choshu.ledger.models import (
    Allocation,
    Appropriation,
    Channel,
    Installment,
    InstallmentAmount,
    Levy,
    LevyRevision,
    Overpayment,
    Payment,
    Refund,
    Suspense,
)
from choshu.ledger.overpayments import refund_preview, targets_of
from choshu.ledger.selectors import late_fee_of, late_fee_paid, principal_history, with_balance
from choshu.ledger.waivers import waivers_of
from choshu.people.models import Person
from choshu.rules.allocation import Due, plan
from choshu.rules.calendar import shift_due_date
from choshu.staff.models import User


class LedgerError(ValueError):
    """A posting the ledger refuses; the message is shown to the clerk."""


def _lock_person(person_id: int) -> Person:
    return Person.objects.select_for_update().get(pk=person_id)


def _lock_installments(**filters: object) -> list[Installment]:
    return list(Installment.objects.select_for_update().filter(**filters).select_related("levy").order_by("pk"))


def _check_scope(actor: User, installments: Sequence[Installment]) -> None:
    outside = {i.levy.revenue for i in installments} - actor.scopes()
    if outside:
        raise PermissionDenied(f"担当外の税目です: {', '.join(sorted(outside))}")


def _allocate(
    installments: Sequence[Installment],
    amount: int,
    *,
    effective_on: Callable[[Installment], date],
    payment: Payment | None = None,
    appropriation: Appropriation | None = None,
) -> int:
    """Allocate `amount` over locked installments: principal first, then late fees fixed by it.

    Writes the allocation rows and the installments' running totals; returns what is left.
    """
    by_id = {i.pk: i for i in installments}
    rows: list[Allocation] = []

    def add(inst: Installment, kind: str, value: int) -> None:
        rows.append(
            Allocation(
                payment=payment,
                appropriation=appropriation,
                installment=inst,
                kind=kind,
                amount=value,
                effective_on=effective_on(inst),
            )
        )

    dues = [
        Due(key=i.pk, due_date=i.due_date, sort=(i.levy.fiscal_year, i.levy_id, i.installment_no), principal=i.balance)
        for i in installments
    ]
    lines, left = plan(amount, dues, order=("principal",))
    for key, _kind, value in lines:
        inst = by_id[key]  # type: ignore[index]
        inst.paid_principal += value
        add(inst, Allocation.Kind.PRINCIPAL, value)

    cleared = [i for i in installments if i.balance == 0]
    if left and cleared:
        ids = [i.pk for i in cleared]
        history = principal_history(ids)
        for row in rows:
            history[row.installment.pk].append((row.effective_on, row.amount))
        paid_fees = late_fee_paid(ids)
        waivers = waivers_of(ids)
        fee_dues = []
        for inst in cleared:
            fee = late_fee_of(
                revenue=inst.levy.revenue,
                amount=inst.amount,
                due_date=inst.due_date,
                principal_payments=history[inst.pk],
                as_of=None,
                waivers=waivers.get(inst.pk, ()),
            )
            outstanding = fee.amount - paid_fees.get(inst.pk, 0)
            if outstanding > 0:
                fee_dues.append(
                    Due(
                        key=inst.pk,
                        due_date=inst.due_date,
                        sort=(inst.levy.fiscal_year, inst.levy_id),
                        late_fee=outstanding,
                    )
                )
        fee_lines, left = plan(left, fee_dues, order=("late_fee",))
        for key, _kind, value in fee_lines:
            add(by_id[key], Allocation.Kind.LATE_FEE, value)  # type: ignore[index]

    Allocation.objects.bulk_create(rows)
    Installment.objects.bulk_update(installments, ["paid_principal"])
    return left


def _on(day: date) -> Callable[[Installment], date]:
    """`effective_on` for `_allocate`: the same day for every installment."""
    return lambda _inst: day


def _undo_later(inst: Installment, paid_on: date) -> dict[int, int]:
    """Undo the allocations on a locked `inst` of live payments paid after `paid_on` (遡及).

    Writes one `repost` row per payment and kind (the net it had there) and lowers the
    installment's running principal in memory; returns what each payment freed (payment id → yen).
    Appropriations (充当) are left in place.
    """
    later_ids = set(
        inst.allocations.filter(
            reason=Allocation.Reason.ALLOCATE,
            payment__isnull=False,
            payment__reverses__isnull=True,
            payment__reversal__isnull=True,
            effective_on__gt=paid_on,
        ).values_list("payment_id", flat=True)
    )
    if not later_ids:
        return {}
    net = (
        inst.allocations.filter(payment_id__in=later_ids)
        .values("payment_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    paid_on_of = dict(Payment.objects.filter(pk__in=later_ids).values_list("pk", "paid_on"))
    undo: list[Allocation] = []
    freed: dict[int, int] = {}
    for row in net:
        if row["total"] <= 0:
            continue
        freed[row["payment_id"]] = freed.get(row["payment_id"], 0) + row["total"]
        if row["kind"] == Allocation.Kind.PRINCIPAL:
            inst.paid_principal -= row["total"]
        undo.append(
            Allocation(
                payment_id=row["payment_id"],
                installment=inst,
                kind=row["kind"],
                reason=Allocation.Reason.REPOST,
                amount=-row["total"],
                effective_on=paid_on_of[row["payment_id"]],
            )
        )
    Allocation.objects.bulk_create(undo)
    return freed


def _allocate_in_date_order(
    installments: Sequence[Installment], amount: int, *, payment: Payment, person_id: int
) -> int:
    """Allocate `payment`'s `amount` over locked installments as of its `paid_on`; returns what is left.

    Money paid before money already allocated to an installment (a back-dated 確報, an old
    suspense item, a counter payment entered late) comes first: the later payments' allocations
    on that installment are undone (`_undo_later`), this payment is allocated, and they are
    allocated again in date order, so that their late fees follow the true history. What no
    longer fits becomes their overpayment (過誤納金).
    """
    freed = {inst.pk: _undo_later(inst, payment.paid_on) for inst in installments}
    left = _allocate(installments, amount, effective_on=_on(payment.paid_on), payment=payment)
    later_ids = {pk for by_payment in freed.values() for pk in by_payment}
    later = Payment.objects.in_bulk(later_ids)
    for inst in installments:
        for pk in sorted(freed[inst.pk], key=lambda pk: (later[pk].paid_on, pk)):
            source = later[pk]
            rest = _allocate([inst], freed[inst.pk][pk], effective_on=_on(source.paid_on), payment=source)
            if rest:
                Overpayment.objects.create(
                    person_id=person_id,
                    payment=source,
                    installment=inst,
                    reason=Overpayment.Reason.EXCESS,
                    amount=rest,
                    arose_on=source.paid_on,
                )
    return left


@transaction.atomic
def counter_payment_post(
    *,
    actor: User,
    person: Person,
    installment_ids: Sequence[int],
    amount: int,
    paid_on: date,
    note: str = "",
) -> Payment:
    """窓口収納: money taken at the counter for chosen installments of one person."""
    if not actor.can_post_payments():
        raise PermissionDenied("窓口収納の権限がありません。")
    if amount <= 0:
        raise LedgerError("金額は1円以上で入力してください。")
    if not installment_ids:
        raise LedgerError("納付する期別を選んでください。")
    today = timezone.localdate()
    if paid_on > today:
        raise LedgerError("納付日に未来の日付は指定できません。")
    person = _lock_person(person.pk)
    installments = _lock_installments(pk__in=list(installment_ids), levy__person=person)
    if len(installments) != len(set(installment_ids)):
        raise LedgerError("この宛名の期別ではないものが含まれています。")
    _check_scope(actor, installments)

    return _post_to_installments(
        actor=actor, person=person, installments=installments, amount=amount, paid_on=paid_on, note=note
    )


def _post_to_installments(
    *,
    actor: User,
    person: Person,
    installments: list[Installment],
    amount: int,
    paid_on: date,
    channel: str = Channel.COUNTER,
    note: str = "",
    reference: str = "",
) -> Payment:
    """A payment for chosen installments of one person (locked by the caller), allocated oldest
    due date first; what is left over becomes an overpayment."""
    payment = Payment.objects.create(
        person=person,
        channel=channel,
        amount=amount,
        paid_on=paid_on,
        accounted_on=timezone.localdate(),
        note=note,
        reference=reference,
        created_by=actor,
    )
    left = _allocate_in_date_order(installments, amount, payment=payment, person_id=person.pk)
    if left:
        Overpayment.objects.create(
            person=person, payment=payment, reason=Overpayment.Reason.EXCESS, amount=left, arose_on=paid_on
        )
    return payment


@transaction.atomic
def seizure_payment_post(
    *,
    actor: User,
    person: Person,
    installment_ids: Sequence[int],
    amount: int,
    paid_on: date,
    reference: str,
) -> Payment:
    """取立: money collected on a seizure (差押), posted to the seized installments (channel seizure).

    The caller (cases.seizures) checks the seizure and the officer's right; here the installments
    are locked and must be the person's and within the officer's revenues.
    """
    if not actor.can_work_cases():
        raise PermissionDenied("差押の取立を記録する権限がありません。")
    if amount <= 0:
        raise LedgerError("金額は1円以上で入力してください。")
    if paid_on > timezone.localdate():
        raise LedgerError("取立日に未来の日付は指定できません。")
    person = _lock_person(person.pk)
    installments = _lock_installments(pk__in=list(installment_ids), levy__person=person)
    if not installments or len(installments) != len(set(installment_ids)):
        raise LedgerError("この宛名の期別ではないものが含まれています。")
    _check_scope(actor, installments)
    return _post_to_installments(
        actor=actor,
        person=person,
        installments=installments,
        amount=amount,
        paid_on=paid_on,
        channel=Channel.SEIZURE,
        note="差押による取立",
        reference=reference,
    )


@transaction.atomic
def payment_reverse(*, actor: User, payment: Payment, reason: str) -> Payment:
    """Reverse a posting (取消) by a mirror payment with mirror allocations. Supervisor only."""
    if not actor.can_reverse_payments():
        raise PermissionDenied("収納の取消は係長のみ行えます。")
    touched = Installment.objects.filter(pk__in=payment.allocations.values("installment_id")).select_related("levy")
    _check_scope(actor, list(touched))
    return payment_reverse_by_channel(actor=actor, payment=payment, reason=reason)


def payment_reverse_by_channel(*, actor: User | None, payment: Payment, reason: str) -> Payment:
    """The reversal itself, also used when a channel cancels a settlement it reported (取消データ).

    The caller holds the transaction and has checked the actor's rights.
    """
    if not reason.strip():
        raise LedgerError("取消理由を入力してください。")
    if payment.person_id is not None:
        _lock_person(payment.person_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.reverses_id is not None:
        raise LedgerError("取消の記録は取り消せません。")
    if Payment.objects.filter(reverses=payment).exists():
        raise LedgerError("この収納は既に取り消されています。")
    allocations = _live_allocations(list(payment.allocations.order_by("pk")))
    installments = _lock_installments(pk__in={a.installment_id for a in allocations})
    overpayments = list(with_balance(payment.overpayments.all()))
    if any(o.balance != o.amount for o in overpayments):  # type: ignore[attr-defined]
        raise LedgerError("充当・還付済みの過誤納金がある収納は取り消せません。")
    if payment.suspense.filter(resolves__isnull=False).exists():
        raise LedgerError("未確認入金の処理が済んだ収納は取り消せません。")

    mirror = Payment.objects.create(
        person_id=payment.person_id,
        channel=payment.channel,
        amount=-payment.amount,
        paid_on=payment.paid_on,
        accounted_on=timezone.localdate(),
        status=payment.status,
        reference=payment.reference,
        reverses=payment,
        note=reason,
        created_by=actor,
    )
    by_id = {i.pk: i for i in installments}
    for a in allocations:
        if a.kind == Allocation.Kind.PRINCIPAL:
            by_id[a.installment_id].paid_principal -= a.amount
    Allocation.objects.bulk_create(
        Allocation(
            payment=mirror,
            installment_id=a.installment_id,
            kind=a.kind,
            reason=Allocation.Reason.REVERSE,
            amount=-a.amount,
            effective_on=a.effective_on,
            reverses=a,
        )
        for a in allocations
    )
    Installment.objects.bulk_update(installments, ["paid_principal"])
    Overpayment.objects.bulk_create(
        Overpayment(
            person_id=o.person_id,
            payment=mirror,
            installment_id=o.installment_id,
            reason=o.reason,
            amount=-o.amount,
            arose_on=o.arose_on,
            reverses=o,
        )
        for o in overpayments
    )
    Suspense.objects.bulk_create(
        Suspense(payment=mirror, amount=-s.amount, reason=reason, resolves=s, created_by=actor)
        for s in payment.suspense.all()
    )
    return mirror


def _live_allocations(allocations: Sequence[Allocation]) -> list[Allocation]:
    """The allocations a reversal mirrors: per installment and kind, those after the last repost.

    A back-dated payment undoes a later payment's allocations on an installment (one `repost`
    row per kind, the net of what came before) and allocates it again; what came before the last
    repost nets to zero. A partial release by a lowering revision cannot be mirrored: refused.
    """
    if any(a.reason == Allocation.Reason.RELEASE for a in allocations):
        raise LedgerError("減額更正で一部解除された収納は取り消せません。")
    last_repost: dict[tuple[int, str], int] = {}
    for a in allocations:
        if a.reason == Allocation.Reason.REPOST:
            last_repost[(a.installment_id, a.kind)] = a.pk
    return [
        a
        for a in allocations
        if a.reason == Allocation.Reason.ALLOCATE and a.pk > last_repost.get((a.installment_id, a.kind), 0)
    ]


@transaction.atomic
def levy_revise(
    *,
    actor: User | None,
    levy: Levy,
    revision_no: int,
    revised_on: date,
    installments: Mapping[int, tuple[date, int]],
) -> list[Overpayment]:
    """更正: record a new version of every installment amount (installment_no → (nominal due date, amount)).

    Principal paid above a lowered amount is released, newest allocation first; money of a
    payment becomes an overpayment (過誤納金) arising on `revised_on`, money of an
    appropriation returns to its overpayment.
    """
    _lock_person(levy.person_id)
    current = {i.installment_no: i for i in _lock_installments(levy=levy)}
    last = levy.revisions.order_by("-revision_no").values_list("revision_no", flat=True).first()
    if last is None or revision_no != last + 1:
        raise LedgerError(
            f"調定 {levy.levy_no}: 更正回数 {revision_no} は {0 if last is None else last + 1} であるべきです。"
        )
    missing = set(current) - set(installments)
    if missing:
        raise LedgerError(f"調定 {levy.levy_no}: 更正に期別 {sorted(missing)} がありません。")
    for no, (nominal, amount) in installments.items():
        if amount < 0:
            raise LedgerError(f"調定 {levy.levy_no} 第{no}期: 金額が負です。")
        if no in current and current[no].nominal_due_date != nominal:
            raise LedgerError(f"調定 {levy.levy_no} 第{no}期: 更正で納期限は変えられません。")

    revision = LevyRevision.objects.create(levy=levy, revision_no=revision_no, revised_on=revised_on)
    for no, (nominal, amount) in sorted(installments.items()):
        if no not in current:
            due = shift_due_date(nominal)
            current[no] = Installment.objects.create(
                levy=levy, installment_no=no, nominal_due_date=nominal, due_date=due, legal_due_date=due, amount=amount
            )
    InstallmentAmount.objects.bulk_create(
        InstallmentAmount(installment=current[no], revision=revision, amount=amount)
        for no, (_nominal, amount) in installments.items()
    )
    overpayments = []
    lowered = []
    for no, (_nominal, amount) in sorted(installments.items()):
        inst = current[no]
        excess = inst.paid_principal - amount
        if excess > 0:
            overpayments += _release(inst, Allocation.Kind.PRINCIPAL, excess, revised_on)
        if amount < inst.amount:
            lowered.append(inst)
        inst.amount = amount
    Installment.objects.bulk_update(list(current.values()), ["amount", "paid_principal"])
    # A lower amount can lower the late fee below what was paid of it: release that too.
    ids = [i.pk for i in lowered]
    history, fee_paid, waivers = principal_history(ids), late_fee_paid(ids), waivers_of(ids)
    for inst in lowered:
        fee = late_fee_of(
            revenue=levy.revenue,
            amount=inst.amount,
            due_date=inst.due_date,
            principal_payments=history.get(inst.pk, []),
            as_of=revised_on,
            waivers=waivers.get(inst.pk, ()),
        )
        excess = fee_paid.get(inst.pk, 0) - fee.amount
        if excess > 0:
            overpayments += _release(inst, Allocation.Kind.LATE_FEE, excess, revised_on)
    return overpayments


def _release(inst: Installment, kind: str, excess: int, revised_on: date) -> list[Overpayment]:
    """Release `excess` of what the installment holds of `kind`, newest source first."""
    net: dict[tuple[int | None, int | None], tuple[date, int]] = {}
    rows = (
        inst.allocations.filter(kind=kind, reversal__isnull=True)
        .exclude(reason=Allocation.Reason.REVERSE)
        .order_by("effective_on", "pk")
    )
    for source_payment, source_appropriation, on, amount in rows.values_list(
        "payment_id", "appropriation_id", "effective_on", "amount"
    ):
        key = (source_payment, source_appropriation)
        first_on, total = net.get(key, (on, 0))
        net[key] = (first_on, total + amount)
    releases, overpayments = [], []
    for (payment_id, appropriation_id), (on, total) in sorted(net.items(), key=lambda kv: kv[1][0], reverse=True):
        take = min(total, excess)
        if take <= 0:
            continue
        excess -= take
        if kind == Allocation.Kind.PRINCIPAL:
            inst.paid_principal -= take
        releases.append(
            Allocation(
                payment_id=payment_id,
                appropriation_id=appropriation_id,
                installment=inst,
                kind=kind,
                reason=Allocation.Reason.RELEASE,
                amount=-take,
                effective_on=on,
            )
        )
        if payment_id is not None:
            overpayments.append(
                Overpayment(
                    person_id=inst.levy.person_id,
                    payment_id=payment_id,
                    installment=inst,
                    reason=Overpayment.Reason.REVISION,
                    amount=take,
                    arose_on=revised_on,
                )
            )
        if excess == 0:
            break
    Allocation.objects.bulk_create(releases)
    return Overpayment.objects.bulk_create(overpayments)


def _lock_overpayment(overpayment: Overpayment) -> tuple[Overpayment, int]:
    """The overpayment locked (its person first), with what is left of it (`balance`)."""
    if overpayment.person_id is not None:
        _lock_person(overpayment.person_id)
    locked = (
        with_balance(Overpayment.objects.select_for_update(of=("self",)).filter(pk=overpayment.pk))
        .select_related("payment")
        .get()
    )
    if locked.amount < 0 or locked.reverses_id is not None or Overpayment.objects.filter(reverses=locked).exists():
        return locked, 0
    return locked, max(int(locked.balance), 0)  # type: ignore[attr-defined]


@transaction.atomic
def overpayment_appropriate(*, actor: User | None, overpayment: Overpayment, decided_on: date) -> Appropriation | None:
    """充当 (地方税法17条の2): apply what is left of an overpayment to the person's oldest amounts due
    of the same pool (taxes, or NHI premiums) and of the actor's revenues: principal, then late fee.

    Each line takes effect when appropriation became possible (充当適状): the later of the
    installment's due date and the day the overpayment arose. None when nothing is due.
    """
    if actor is not None and not actor.can_post_payments():
        raise PermissionDenied("充当の権限がありません(収納担当・係長)。")
    if overpayment.person_id is None:
        raise LedgerError("宛名のない過誤納金は充当できません。")
    locked, balance = _lock_overpayment(overpayment)
    if balance <= 0:
        return None
    revenues = targets_of(locked)
    if actor is not None:
        revenues &= actor.scopes()
    installments = _lock_installments(
        levy__person_id=overpayment.person_id, levy__revenue__in=sorted(revenues), due_date__lte=decided_on
    )
    if not installments:
        return None
    appropriation = Appropriation.objects.create(overpayment=locked, decided_on=decided_on, created_by=actor)
    left = _allocate(
        installments,
        balance,
        effective_on=lambda i: max(i.due_date, locked.arose_on),
        appropriation=appropriation,
    )
    if left == balance:
        transaction.set_rollback(True)
        return None
    return appropriation


@transaction.atomic
def overpayment_refund(*, actor: User, overpayment: Overpayment, decided_on: date) -> Refund:
    """還付 (17条の4): a supervisor decides to pay back what is left of an overpayment, with refund
    interest (還付加算金) by the overpayment's class. Refused while the person owes amounts it must
    first be appropriated to (17条の2: appropriation is mandatory)."""
    if not actor.can_decide_refunds():
        raise PermissionDenied("還付の決定は係長が行います。")
    locked, balance = _lock_overpayment(overpayment)
    if locked.person_id is not None:
        _check_scope_revenues(actor, targets_of(locked))
    preview = refund_preview(overpayment=locked, balance=balance, decided_on=decided_on)
    if preview.problem or preview.interest is None:
        raise LedgerError(preview.problem or "還付できません。")
    return Refund.objects.create(
        overpayment=locked, amount=balance, interest=preview.interest.amount, decided_on=decided_on, created_by=actor
    )


def _check_scope_revenues(actor: User, revenues: frozenset[str]) -> None:
    if not revenues & actor.scopes():
        raise PermissionDenied("担当外の税目の過誤納金です。")


@transaction.atomic
def payment_hold_in_suspense(
    *,
    actor: User | None,
    channel: str,
    amount: int,
    paid_on: date,
    accounted_on: date,
    reference: str,
    reason: str,
) -> Payment:
    """未確認入金: money that matches nothing is recorded whole and held, never dropped."""
    if amount <= 0:
        raise LedgerError("金額は1円以上です。")
    payment = Payment.objects.create(
        channel=channel,
        amount=amount,
        paid_on=paid_on,
        accounted_on=accounted_on,
        reference=reference,
        created_by=actor,
    )
    Suspense.objects.create(payment=payment, amount=amount, reason=reason, created_by=actor)
    return payment


@transaction.atomic
def suspense_resolve(*, actor: User, suspense: Suspense, person: Person, installment_ids: Sequence[int]) -> int:
    """Apply held money to a person's installments; the rest becomes an overpayment. Returns the amount applied."""
    if not actor.can_post_payments():
        raise PermissionDenied("未確認入金の処理権限がありません。")
    person = _lock_person(person.pk)
    held = Suspense.objects.select_for_update().select_related("payment").get(pk=suspense.pk)
    if held.resolves_id is not None:
        raise LedgerError("解消の記録は処理できません。")
    left_held = held.amount + sum(held.resolutions.values_list("amount", flat=True))
    if left_held <= 0:
        raise LedgerError("この未確認入金は処理済みです。")
    installments = _lock_installments(pk__in=list(installment_ids), levy__person=person)
    if len(installments) != len(set(installment_ids)):
        raise LedgerError("この宛名の期別ではないものが含まれています。")
    _check_scope(actor, installments)
    Suspense.objects.create(payment=held.payment, amount=-left_held, reason="消込", resolves=held, created_by=actor)
    paid_on = held.payment.paid_on
    left = _allocate_in_date_order(installments, left_held, payment=held.payment, person_id=person.pk)
    if left:
        Overpayment.objects.create(
            person=person, payment=held.payment, reason=Overpayment.Reason.EXCESS, amount=left, arose_on=paid_on
        )
    return left_held - left

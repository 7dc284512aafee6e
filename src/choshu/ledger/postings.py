"""Set-based posting of channel money (消込): many payments, each for one installment or for none.

``payments_post`` is what a channel import calls inside its transaction. It writes one Payment
per posting, its allocations (principal first, then the late fee the payment fixes), the
overpayment (過誤納金) of what no installment may keep, and a suspense row (未確認入金) for money
that names no installment. A constant number of queries per chunk, whatever the number of rows.

Back-dated money (遡及): when a payment's ``paid_on`` is earlier than money already allocated to
the same installment, the later payments' allocations on that installment are undone (rows of
reason ``repost``, append-only), the back-dated payment is allocated, and the later payments are
allocated again in date order, so that their late fees are computed from the true history. What
no longer fits becomes their overpayment. Appropriations (充当) already made are left in place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from choshu.ledger import bulk
from choshu.ledger.models import Allocation, Installment, Levy, Overpayment, Payment, Suspense
from choshu.ledger.selectors import late_fee_of, late_fee_paid, principal_history
from choshu.ledger.services import _allocate_in_date_order
from choshu.ledger.waivers import waivers_of
from choshu.people.models import Person
from choshu.staff.models import User

PAYMENT_COLUMNS = (
    "id",
    "person_id",
    "channel",
    "amount",
    "paid_on",
    "accounted_on",
    "status",
    "reference",
    "note",
    "created_at",
    "created_by_id",
)
ALLOCATION_COLUMNS = ("payment_id", "installment_id", "kind", "reason", "amount", "effective_on", "created_at")
OVERPAYMENT_COLUMNS = ("person_id", "payment_id", "installment_id", "reason", "amount", "arose_on", "created_at")
SUSPENSE_COLUMNS = ("payment_id", "amount", "reason", "created_at", "created_by_id")


@dataclass(frozen=True, slots=True)
class Posting:
    """Money from a channel: for one installment, or (installment_id None) held in suspense."""

    channel: str
    amount: int
    paid_on: date
    reference: str
    installment_id: int | None = None
    suspense_reason: str = ""


@dataclass(slots=True)
class _Due:
    """What posting needs of a locked installment."""

    pk: int
    person_id: int
    revenue: str
    amount: int
    paid_principal: int
    due_date: date

    @property
    def balance(self) -> int:
        return self.amount - self.paid_principal


def _lock(installment_ids: set[int]) -> dict[int, _Due]:
    """Lock the persons (in id order), then their installments, as every ledger service does."""
    ids = sorted(installment_ids)
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        return _lock_postgresql(ids)
    # SQLite has no row locks: its IMMEDIATE transaction holds the whole database.
    rows = (
        Installment.objects.filter(pk__in_array=ids)
        .order_by("pk")
        .values_list("pk", "levy__person_id", "levy__revenue", "amount", "paid_principal", "due_date")
    )
    return {row[0]: _Due(*row) for row in rows}


def _lock_postgresql(ids: list[int]) -> dict[int, _Due]:
    """One statement per table, the ids as one array: a list of 5,000 literals per chunk makes the
    planner hash-join the whole levy table for every chunk."""
    person, levy, installment = (m._meta.db_table for m in (Person, Levy, Installment))
    with connection.cursor() as cur:
        cur.execute(
            f'SELECT p.id FROM "{person}" p WHERE p.id IN ('  # noqa: S608 - our table names
            f'SELECT l.person_id FROM "{installment}" i JOIN "{levy}" l ON l.id = i.levy_id WHERE i.id = ANY(%s)'
            ") ORDER BY p.id FOR UPDATE OF p",
            [ids],
        )
        cur.execute(
            "SELECT i.id, l.person_id, l.revenue, i.amount, i.paid_principal, i.due_date "  # noqa: S608
            f'FROM "{installment}" i JOIN "{levy}" l ON l.id = i.levy_id '
            "WHERE i.id = ANY(%s) ORDER BY i.id FOR UPDATE OF i",
            [ids],
        )
        return {row[0]: _Due(*row) for row in cur.fetchall()}


def _latest_allocation(installment_ids: Sequence[int]) -> dict[int, date]:
    rows = (
        Allocation.objects.filter(installment_id__in_array=sorted(installment_ids), reason=Allocation.Reason.ALLOCATE)
        .values("installment_id")
        .annotate(on=Max("effective_on"))
        .values_list("installment_id", "on")
    )
    return dict(rows)


def payments_post(*, actor: User | None, postings: Sequence[Posting], accounted_on: date) -> list[int]:
    """Post ``postings`` (the caller holds the transaction); returns their payment ids, in order.

    A posting whose installment does not exist is held in suspense like one with no installment.
    """
    dues = _lock({p.installment_id for p in postings if p.installment_id is not None})
    latest = _latest_allocation(list(dues))
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    ids = bulk.reserve_ids(Payment, len(postings))
    bulk.insert(
        Payment,
        PAYMENT_COLUMNS,
        (
            (
                pk,
                dues[p.installment_id].person_id if p.installment_id in dues else None,
                p.channel,
                p.amount,
                p.paid_on,
                accounted_on,
                Payment.Status.CONFIRMED,
                p.reference[:100],
                "",
                now,
                actor_id,
            )
            for pk, p in zip(ids, postings, strict=True)
        ),
    )
    suspense = []
    in_bulk: list[tuple[Posting, int]] = []
    back_dated: list[tuple[Posting, int]] = []
    for pk, p in zip(ids, postings, strict=True):
        if p.installment_id not in dues:
            reason = p.suspense_reason or "該当する期別がありません"
            suspense.append((pk, p.amount, reason[:200], now, actor_id))
        elif (on := latest.get(p.installment_id)) is not None and on > p.paid_on:  # type: ignore[arg-type]
            back_dated.append((p, pk))
        else:
            in_bulk.append((p, pk))
    bulk.insert(Suspense, SUSPENSE_COLUMNS, suspense)
    _post_in_bulk(in_bulk, dues, now)
    if back_dated:
        payments = Payment.objects.in_bulk([pk for _, pk in back_dated])
        for p, pk in sorted(back_dated, key=lambda item: (item[0].paid_on, item[1])):
            assert p.installment_id is not None
            inst = Installment.objects.select_related("levy").get(pk=p.installment_id)
            left = _allocate_in_date_order([inst], p.amount, payment=payments[pk], person_id=inst.levy.person_id)
            if left:
                Overpayment.objects.create(
                    person_id=inst.levy.person_id,
                    payment=payments[pk],
                    installment=inst,
                    reason=Overpayment.Reason.EXCESS,
                    amount=left,
                    arose_on=p.paid_on,
                )
    return ids


def _post_in_bulk(items: Sequence[tuple[Posting, int]], dues: dict[int, _Due], now: datetime) -> None:
    """Principal first for every posting, then late fees for those that cleared their installment."""
    allocations: list[tuple[object, ...]] = []
    overpayments: list[tuple[object, ...]] = []
    leftovers: list[tuple[_Due, int, date, int]] = []
    added: dict[int, int] = defaultdict(int)
    for p, payment_id in sorted(items, key=lambda item: (item[0].installment_id, item[0].paid_on, item[1])):
        due = dues[p.installment_id]  # type: ignore[index]
        principal = min(p.amount, due.balance)
        if principal:
            due.paid_principal += principal
            added[due.pk] += principal
            allocations.append(
                (payment_id, due.pk, Allocation.Kind.PRINCIPAL, Allocation.Reason.ALLOCATE, principal, p.paid_on, now)
            )
        if p.amount > principal:
            leftovers.append((due, payment_id, p.paid_on, p.amount - principal))

    if leftovers:
        ids = {due.pk for due, _, _, _ in leftovers}
        history = principal_history(ids)
        for _payment, inst_id, kind, _reason, amount, on, _at in allocations:
            if inst_id in ids and kind == Allocation.Kind.PRINCIPAL:
                history[inst_id].append((on, amount))  # type: ignore[index,arg-type]
        fee_paid, waivers = late_fee_paid(ids), waivers_of(ids)
        for due, payment_id, paid_on, left in leftovers:
            fee = late_fee_of(
                revenue=due.revenue,
                amount=due.amount,
                due_date=due.due_date,
                principal_payments=history[due.pk],
                as_of=None,
                waivers=waivers.get(due.pk, ()),
            ).amount
            take = min(left, max(fee - fee_paid.get(due.pk, 0), 0))
            if take:
                fee_paid[due.pk] = fee_paid.get(due.pk, 0) + take
                allocations.append(
                    (payment_id, due.pk, Allocation.Kind.LATE_FEE, Allocation.Reason.ALLOCATE, take, paid_on, now)
                )
            if left > take:
                overpayments.append(
                    (due.person_id, payment_id, due.pk, Overpayment.Reason.EXCESS, left - take, paid_on, now)
                )
    bulk.insert(Allocation, ALLOCATION_COLUMNS, allocations)
    bulk.insert(Overpayment, OVERPAYMENT_COLUMNS, overpayments)
    bulk.add_to(Installment, "paid_principal", added)

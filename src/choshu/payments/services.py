"""収納データ取込・消込: import a channel file and reconcile it, all of it or nothing.

``channel_file_import`` parses the file with its codec (choshu.formats.channels), refuses it
whole on any error (a parse error, the same file again, a record key seen before), and
otherwise, in one transaction:

- 速報 (preliminary): marks the installment "payment pending" (stops demand letters);
- 確報 (confirmed): posts the money (choshu.ledger.postings); settles the 速報 of the same payment
  without counting it twice; money whose key names no installment goes to suspense;
- 取消 (cancel): settles its 速報, or reverses the payment it cancels;
- 振替不能 (direct debit not done): recorded on the installment with the bank's reason;
- 訂正 (correction): held for a clerk.

It records the file (name, SHA-256, counts) and every record; the raw file itself is not kept.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.formats.channels import FORMATS, parse_channel_file
from choshu.formats.errors import ParseError
from choshu.formats.payeasy import confirmation_matches
from choshu.formats.payment_event import ChannelFile, EventKind, KeyType, PaymentEvent
from choshu.formats.payment_key import installment_id_of, installment_id_of_customer_no
from choshu.ledger import bulk
from choshu.ledger.models import Installment, Payment
from choshu.ledger.postings import Posting, payments_post
from choshu.ledger.services import LedgerError, payment_reverse_by_channel
from choshu.payments.models import ChannelImport, ChannelRecord
from choshu.staff.models import User

ERRORS_KEPT = 200  # problems stored on a rejected run (all are returned to the caller)
Outcome = ChannelRecord.Outcome


@dataclass
class ImportResult:
    file_name: str
    format: str
    run_id: int | None = None
    records: int = 0
    amount: int = 0
    errors: list[ParseError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # outcome → records

    @property
    def ok(self) -> bool:
        return not self.errors


def _installment_of(event: PaymentEvent) -> tuple[int | None, str]:
    """The installment id the event's key names, or None with the reason it names none."""
    if event.key_type == KeyType.CUSTOMER_NO:
        found = installment_id_of_customer_no(event.key)
    else:
        found = installment_id_of(event.key)
    if found is None:
        return None, "照合キーが期別を示していません"
    if event.key_type == KeyType.PAYEASY and "confirmation_no" in event.extra:
        confirmation = event.extra["confirmation_no"]
        if not confirmation_matches(
            secret=settings.PAYEASY_CONFIRMATION_KEY,
            institution_no=event.extra.get("institution_no", settings.PAYEASY_INSTITUTION_NO),
            payment_no=event.key,
            confirmation_no=confirmation,
        ):
            return None, "確認番号が一致しません"
    return found, ""


def _duplicates(events: Sequence[PaymentEvent]) -> list[ParseError]:
    """The same record key twice in the file, or already imported: every such line."""
    errors = []
    first_line: dict[str, int] = {}
    for e in events:
        if e.record_key in first_line:
            errors.append(
                ParseError(e.line, "-", f"duplicate record: the same record as line {first_line[e.record_key]}")
            )
        else:
            first_line[e.record_key] = e.line
    seen = ChannelRecord.objects.filter(record_key__in_array=list(first_line)).values_list(
        "record_key", "channel_import_id", "line"
    )
    for key, run_id, line in seen:
        errors.append(ParseError(first_line[key], "-", f"already imported (import #{run_id}, line {line}); refused"))
    return sorted(errors)


def _existing_installments(ids: set[int]) -> set[int]:
    return set(Installment.objects.filter(pk__in_array=sorted(ids)).values_list("pk", flat=True))


@dataclass(slots=True)
class _Rec:
    """A channel record being written (or an earlier one it settles): what reconciliation needs."""

    kind: str
    amount: int
    installment_id: int | None
    outcome: str = ""
    note: str = ""
    pk: int | None = None
    payment_id: int | None = None
    settled_by: int | None = None
    event: PaymentEvent | None = None


def _open_by_ref(refs: Iterable[str]) -> dict[str, _Rec]:
    """Records still waiting for a later record of the same payment: open 速報 and unreversed 確報."""
    found: dict[str, _Rec] = {}
    rows = ChannelRecord.objects.filter(
        payment_ref__in_array=sorted(set(refs)),
        kind__in=[ChannelRecord.Kind.PRELIMINARY, ChannelRecord.Kind.CONFIRMED],
        outcome__in=[Outcome.PENDING, Outcome.UNMATCHED, Outcome.POSTED, Outcome.SUSPENSE],
        settled_by__isnull=True,
    ).order_by("pk")
    for ref_, pk, kind, amount, inst, outcome, payment in rows.values_list(
        "payment_ref", "pk", "kind", "amount", "installment_id", "outcome", "payment_id"
    ):
        found[ref_] = _Rec(kind, amount, inst, outcome, pk=pk, payment_id=payment)
    return found


def channel_file_import(
    *,
    actor: User | None,
    format: str,
    file_name: str,
    data: bytes,
    received_on: date | None = None,
    channel: str = AccessChannel.CLI,
    client_address: str | None = None,
    actor_label: str = "",
) -> ImportResult:
    """Import one channel file of ``format`` (see choshu.formats.channels.FORMATS)."""
    if actor is not None and not actor.can_import():  # a channel file carries every revenue
        raise PermissionDenied("収納データ取込の権限がありません(全税目を担当する収納担当・係長)。")
    started_at = timezone.now()
    received_on = received_on or timezone.localdate()
    sha256 = hashlib.sha256(data).hexdigest()
    result = ImportResult(file_name=file_name, format=format)
    run = ChannelImport(
        format=format,
        file_name=file_name[:255],
        sha256=sha256,
        received_on=received_on,
        started_at=started_at,
        actor=actor,
    )
    if format not in FORMATS:
        result.errors = [ParseError(0, "format", f"unknown format {format!r}; known: {', '.join(sorted(FORMATS))}")]
    else:
        parsed = parse_channel_file(format, data, received_on=received_on)
        result.records = len(parsed.events)
        result.amount = sum(e.amount for e in parsed.events)
        result.errors = list(parsed.errors)
        if not result.errors:
            try:
                _import_atomically(
                    run,
                    parsed,
                    result,
                    sha256=sha256,
                    actor=actor,
                    received_on=received_on,
                    channel=channel,
                    client_address=client_address,
                    actor_label=actor_label,
                )
            # The same records committed by a concurrent import since the checks (the bulk writes use
            # the driver's cursor, hence its own exception too).
            except (IntegrityError, connection.Database.IntegrityError):  # type: ignore[attr-defined]
                result.counts = {}
                result.errors = [ParseError(0, "-", "the same records were imported at the same time; refused")]
    if result.errors:
        with transaction.atomic():
            _save_run(run, result)
    result.run_id = run.pk
    return result


def _import_atomically(
    run: ChannelImport,
    parsed: ChannelFile,
    result: ImportResult,
    *,
    sha256: str,
    actor: User | None,
    received_on: date,
    channel: str,
    client_address: str | None,
    actor_label: str,
) -> None:
    """The checks against earlier imports, the reconciliation and its access-log entry, all or nothing."""
    with transaction.atomic():
        previous = ChannelImport.objects.filter(sha256=sha256, ok=True).first()
        if previous is not None:
            result.errors = [
                ParseError(
                    0,
                    "-",
                    f"this file was already imported (import #{previous.pk}, {previous.file_name}); refused",
                )
            ]
        else:
            result.errors = _duplicates(parsed.events)
        if not result.errors:
            _reconcile(run, parsed, result, actor=actor, received_on=received_on)
            access_log_write(
                actor=actor,
                action=Action.CHANGE,
                subjects=[ref("channelimport", run.pk), f"count:{run.format}:{result.records}"],
                purpose=f"batch:payments:{run.pk}",
                channel=channel,
                client_address=client_address,
                actor_label=actor_label,
            )


def _save_run(run: ChannelImport, result: ImportResult) -> None:
    run.records, run.amount = result.records, result.amount
    run.posted = result.counts.get(Outcome.POSTED, 0)
    run.pending = result.counts.get(Outcome.PENDING, 0)
    run.cancelled = result.counts.get(Outcome.CANCELLED, 0)
    run.suspense = result.counts.get(Outcome.SUSPENSE, 0)
    run.not_paid = result.counts.get(Outcome.NOT_PAID, 0)
    run.held = result.counts.get(Outcome.HELD, 0) + result.counts.get(Outcome.UNMATCHED, 0)
    run.error_count = len(result.errors)
    run.errors = [[e.line, e.column, e.reason] for e in result.errors[:ERRORS_KEPT]]
    run.ok = not result.errors
    run.finished_at = timezone.now()
    run.save()


RECORD_COLUMNS = (
    "id",
    "channel_import_id",
    "line",
    "kind",
    "channel",
    "key_type",
    "key",
    "amount",
    "paid_on",
    "settles_on",
    "payment_ref",
    "record_key",
    "result_code",
    "result_text",
    "agent_code",
    "extra",
    "installment_id",
    "outcome",
    "note",
    "payment_id",
    "settled_by_id",
)


def _reconcile(
    run: ChannelImport, parsed: ChannelFile, result: ImportResult, *, actor: User | None, received_on: date
) -> None:
    events = parsed.events
    _save_run(run, result)  # the run id the records point at
    open_records = _open_by_ref(e.payment_ref for e in events)
    records: list[_Rec] = []
    late: list[tuple[_Rec, _Rec]] = []  # a 速報 that came after its 確報, and that 確報
    ids = bulk.reserve_ids(ChannelRecord, len(events))
    settled_earlier: dict[int, int] = {}  # earlier record id → the id of this file's record that settles it
    postings: list[tuple[_Rec, Posting]] = []

    keyed = [_installment_of(e) for e in events]
    existing = _existing_installments({i for i, _ in keyed if i is not None})
    for pk, e, (installment_id, why_not) in zip(ids, events, keyed, strict=True):
        if installment_id is not None and installment_id not in existing:
            installment_id, why_not = None, "該当する期別がありません"
        record = _Rec(str(e.kind), e.amount, installment_id, pk=pk, event=e)
        earlier = open_records.get(e.payment_ref)
        if e.kind == EventKind.PRELIMINARY:
            record.outcome = Outcome.PENDING if installment_id else Outcome.UNMATCHED
            record.note = why_not
            if earlier is not None and earlier.kind == ChannelRecord.Kind.CONFIRMED:
                late.append((record, earlier))
            else:
                open_records[e.payment_ref] = record
        elif e.kind == EventKind.CONFIRMED:
            if earlier is not None and earlier.kind == ChannelRecord.Kind.PRELIMINARY:
                _settle(earlier, record, settled_earlier)
                if earlier.amount != e.amount:
                    record.note = f"速報金額 {earlier.amount:,}円と異なります"
            record.outcome = Outcome.POSTED if installment_id else Outcome.SUSPENSE
            record.note = record.note or why_not
            posting = Posting(
                channel=e.channel,
                amount=e.amount,
                paid_on=e.paid_on,
                reference=e.payment_ref,
                installment_id=installment_id,
                suspense_reason=f"{parsed.format} {e.line}行: {why_not}",
            )
            postings.append((record, posting))
            open_records[e.payment_ref] = record
        elif e.kind == EventKind.CANCEL:
            _cancel(record, earlier, actor=actor, settled_earlier=settled_earlier)
            open_records.pop(e.payment_ref, None)
        elif e.kind == EventKind.DEBIT_FAILED:
            record.outcome = Outcome.NOT_PAID
            record.note = e.result_text or why_not
        else:
            record.outcome = Outcome.HELD
            record.note = "訂正データです。内容を確認して処理してください"
        records.append(record)

    _settle_late(late, records, settled_earlier)
    payment_ids = payments_post(actor=actor, postings=[p for _, p in postings], accounted_on=received_on)
    for (record, _), payment_id in zip(postings, payment_ids, strict=True):
        record.payment_id = payment_id
    bulk.insert(ChannelRecord, RECORD_COLUMNS, (_row(run, r) for r in records))
    bulk.set_column(ChannelRecord, "settled_by_id", settled_earlier)
    result.counts = dict(Counter(str(r.outcome) for r in records))
    _save_run(run, result)


def _row(run: ChannelImport, r: _Rec) -> tuple[object, ...]:
    e = r.event
    assert e is not None
    return (
        r.pk,
        run.pk,
        e.line,
        str(e.kind),
        e.channel,
        str(e.key_type),
        e.key,
        e.amount,
        e.paid_on,
        e.settles_on,
        e.payment_ref,
        e.record_key,
        e.result_code,
        e.result_text,
        e.agent_code,
        e.extra,
        r.installment_id,
        str(r.outcome),
        r.note[:200],
        r.payment_id,
        r.settled_by,
    )


def _settle(earlier: _Rec, record: _Rec, settled_earlier: dict[int, int]) -> None:
    """``record`` settles ``earlier`` (its 速報, or the 確報 it cancels)."""
    assert record.pk is not None and earlier.pk is not None
    if earlier.event is not None:  # in this file: written with its settled_by
        earlier.settled_by = record.pk
    else:
        settled_earlier[earlier.pk] = record.pk


def _settle_late(late: list[tuple[_Rec, _Rec]], records: list[_Rec], settled_earlier: dict[int, int]) -> None:
    """A 速報 that arrives after its 確報 is settled by that 確報 at once: the money is in, nothing
    is pending (it would otherwise hold back demands and debits for good). A 確報 settles one
    速報; a second one stays pending and is listed for follow-up."""
    if not late:
        return
    taken = {r.settled_by for r in records if r.settled_by is not None} | set(settled_earlier.values())
    taken |= set(
        ChannelRecord.objects.filter(settled_by__in_array=[c.pk for _, c in late if c.event is None]).values_list(
            "settled_by_id", flat=True
        )
    )
    for record, confirmed in late:
        if confirmed.pk is not None and confirmed.pk not in taken:
            record.settled_by = confirmed.pk
            record.note = "確報の後に届いた速報です(確報で処理済み)"
            taken.add(confirmed.pk)


def _cancel(record: _Rec, earlier: _Rec | None, *, actor: User | None, settled_earlier: dict[int, int]) -> None:
    """取消: of a 速報 (nothing was posted), or of a settlement (the payment is reversed)."""
    if earlier is None:
        record.outcome, record.note = Outcome.UNMATCHED, "取消の対象となる収納データがありません"
        return
    if earlier.kind == ChannelRecord.Kind.CONFIRMED:
        if earlier.payment_id is None:  # the settlement is in this same file: not yet posted
            record.outcome, record.note = Outcome.HELD, "同じファイル内の消込の取消です。確認してください"
            return
        payment = Payment.objects.get(pk=earlier.payment_id)
        try:
            payment_reverse_by_channel(actor=actor, payment=payment, reason=f"収納機関の取消データ ({record.kind})")
        except LedgerError as exc:
            record.outcome, record.note = Outcome.HELD, f"取消できません: {exc}"
            return
    record.outcome = Outcome.CANCELLED
    record.installment_id = earlier.installment_id
    _settle(earlier, record, settled_earlier)

"""Pay-easy settlement data (MPN 一括消込データ), format ``payeasy``: a layout of ours.

The MPN biller interface specification is not public (formats.md §1.2), so this layout is ours.
What is sourced: the keys (収納機関番号 5 digits, 納付番号 up to 20, 確認番号 up to 6, 納付区分 3
digits for local taxes; formats.md §1.1), the two message kinds that reach a biller (消込 =
settlement, 取消 = reversal of a settlement) and the keys the MPN uses to recognise one message
(納付番号, 確認番号, 納付区分, 仕向センタコード, 仕向処理年月日, 仕向処理通番; formats.md §1.2).
The positions, widths of the 仕向 keys, the record types and the trailer are ours, in the style of
the other 120-byte files: header ``1``, data ``2``, trailer ``8``, end ``9``, ASCII (a subset of
Shift_JIS), with or without CRLF. docs/channel-formats.md has the tables.

処理区分 1 消込 → CONFIRMED; 2 取消 → CANCEL. A 取消 here cancels a *settlement* (money already
posted), not a 速報: it repeats the six keys of the 消込 it reverses, so both have the same
``payment_ref``. key_type PAYEASY, key = 納付番号; 収納機関番号, 確認番号 and 納付区分 go to
``extra`` as ``institution_no``, ``confirmation_no``, ``category`` (the names of
``choshu.formats.payeasy.PayEasyKeys``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from choshu.formats.channel_fields import (
    DATE_RANGE,
    END,
    HEADER,
    RECORD_LENGTH,
    TRAILER,
    Fields,
    parse_fixed,
    show,
    tallied_totals,
    totals_record,
)
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import ChannelFile, EventKind, KeyType, PaymentEvent

FORMAT = "payeasy"
CHANNEL = "payeasy"
TYPE_COLUMN = "データ区分"

PROCESS_KINDS: dict[str, EventKind] = {
    "1": EventKind.CONFIRMED,  # 消込
    "2": EventKind.CANCEL,  # 取消: reverses a settlement
}
CONFIRMATION_LEAST = 4  # 確認番号: 4–6 digits (payeasy.CONFIRMATION_LENGTHS)

# Trailer (ours): (field, first position, length); positions 56–120 are spaces.
TRAILER_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("合計件数", 2, 6),
    ("合計金額", 8, 12),
    ("消込件数", 20, 6),
    ("消込金額", 26, 12),
    ("取消件数", 38, 6),
    ("取消金額", 44, 12),
)
_TALLY = {"1": ("消込件数", "消込金額"), "2": ("取消件数", "取消金額")}


def payment_ref(
    institution_no: str,
    payment_no: str,
    confirmation_no: str,
    category: str,
    center_code: str,
    center_date: date,
    center_seq: str,
) -> str:
    """The MPN's own key of a message (formats.md §1.2), which a 取消 repeats from its 消込."""
    keys = f"{institution_no}-{payment_no}-{confirmation_no}-{category}"
    return f"mpn:{keys}-{center_code}-{center_date:%Y%m%d}-{center_seq}"


def _header(line: int, raw: bytes, received_on: date, errors: list[ParseError]) -> dict[str, str]:
    f = Fields(line, raw, errors)
    created_on = f.day_by("作成日", 2, received_on)
    return {
        "created_on": created_on.isoformat() if created_on else "",
        "institution_no": f.digits("収納機関番号", 10, 5),
    }


def _data(
    line: int, raw: bytes, received_on: date, head: dict[str, str] | None, errors: list[ParseError]
) -> PaymentEvent | None:
    f = Fields(line, raw, errors)
    process = f.bytes_at(2, 1).decode("ascii", errors="replace")
    if process not in PROCESS_KINDS:
        f.error("処理区分", f"unknown record type {show(process)}; known: 1 消込, 2 取消")
    institution_no = f.digits("収納機関番号", 3, 5)
    if institution_no and head and head["institution_no"] and institution_no != head["institution_no"]:
        f.error("収納機関番号", f"{institution_no} differs from the header's {head['institution_no']}")
    payment_no = f.left_digits("納付番号", 8, 20)
    confirmation_no = f.left_digits("確認番号", 28, 6, least=CONFIRMATION_LEAST)
    category = f.digits("納付区分", 34, 3)
    amount = f.amount("金額", 37, 10)
    paid_on = f.day_by("収納日", 47, received_on)
    bank_code = f.digits("収納金融機関コード", 55, 4)
    center_code = f.digits("仕向センタコード", 59, 5)
    center_date = f.day("仕向処理年月日", 64)
    center_seq = f.digits("仕向処理通番", 72, 8)
    if f.failed or paid_on is None or center_date is None:
        return None
    return PaymentEvent(
        line=line,
        kind=PROCESS_KINDS[process],
        channel=CHANNEL,
        key_type=KeyType.PAYEASY,
        key=payment_no,
        amount=amount,
        paid_on=paid_on,
        payment_ref=payment_ref(
            institution_no, payment_no, confirmation_no, category, center_code, center_date, center_seq
        ),
        agent_code=bank_code,
        extra={
            "process": process,
            "institution_no": institution_no,
            "confirmation_no": confirmation_no,
            "category": category,
            "center_code": center_code,
            "center_date": center_date.isoformat(),
            "center_seq": center_seq,
        },
    )


def _totals(events: Sequence[PaymentEvent], records: int) -> dict[str, int]:
    return tallied_totals(events, records, layout=TRAILER_LAYOUT, tally=_TALLY, key="process")


def parse(data: bytes, *, received_on: date) -> ChannelFile:
    """Validate a whole file; a file with any error has no events."""
    return parse_fixed(
        data,
        received_on=received_on,
        format=FORMAT,
        type_column=TYPE_COLUMN,
        header=_header,
        record=_data,
        totals=_totals,
        trailer_layout=TRAILER_LAYOUT,
    )


def _record(
    process: str,
    institution_no: str,
    payment_no: str,
    confirmation_no: str,
    category: str,
    amount: int,
    paid_on: date,
    bank_code: str,
    center_code: str,
    center_date: str,
    center_seq: str,
) -> bytes:
    return (
        f"2{process}{institution_no}{payment_no:<20}{confirmation_no:<6}{category}{amount:010d}{paid_on:%Y%m%d}"
        f"{bank_code}{center_code}{center_date}{center_seq}{'':41}"
    ).encode("ascii")


def _event_record(event: PaymentEvent) -> bytes:
    x = event.extra
    if PROCESS_KINDS[x["process"]] != event.kind:
        raise ValueError(f"line {event.line}: 処理区分 {x['process']} is not a {event.kind} record")
    return _record(
        x["process"],
        x["institution_no"],
        event.key,
        x["confirmation_no"],
        x["category"],
        event.amount,
        event.paid_on,
        event.agent_code,
        x["center_code"],
        x["center_date"].replace("-", ""),
        x["center_seq"],
    )


def make_event(
    *,
    payment_no: str,
    confirmation_no: str,
    category: str,
    amount: int,
    paid_on: date,
    institution_no: str,
    center_seq: str,
    process: str = "1",
    bank_code: str = "0001",
    center_code: str = "00001",
    center_date: date | None = None,
    line: int = 0,
) -> PaymentEvent:
    """The event of one data record (tests, demo, benchmark), read back from the record it makes.

    ``center_date`` (仕向処理年月日) defaults to ``paid_on``; ``center_seq`` (仕向処理通番): up to 8
    digits, zero-filled on the left.
    """
    raw = _record(
        process,
        institution_no,
        payment_no,
        confirmation_no,
        category,
        amount,
        paid_on,
        bank_code,
        center_code,
        f"{center_date or paid_on:%Y%m%d}",
        center_seq.rjust(8, "0"),
    )
    errors: list[ParseError] = []
    event = None
    if len(raw) == RECORD_LENGTH:
        event = _data(line, raw, DATE_RANGE[1], None, errors)
    else:
        errors.append(ParseError(line, "-", f"the fields make {len(raw)} bytes, not {RECORD_LENGTH}"))
    if event is None:
        raise ValueError("; ".join(f"{e.column}: {e.reason}" for e in errors))
    return event


def dump(
    events: Iterable[PaymentEvent], *, created_on: date, institution_no: str | None = None, crlf: bool = True
) -> bytes:
    """Write a whole file; 収納機関番号 of the header defaults to the first event's."""
    events = list(events)
    if institution_no is None:
        if not events:
            raise ValueError("institution_no is needed for a file without records")
        institution_no = events[0].extra["institution_no"]
    records = [(HEADER + f"{created_on:%Y%m%d}{institution_no:5.5}".encode("ascii")).ljust(RECORD_LENGTH, b" ")]
    records.extend(_event_record(e) for e in events)
    records.append(totals_record(TRAILER, TRAILER_LAYOUT, _totals(events, len(events))))
    records.append(END.ljust(RECORD_LENGTH, b" "))
    for number, record in enumerate(records, start=1):
        if len(record) != RECORD_LENGTH:
            raise ValueError(f"record {number} is {len(record)} bytes, not {RECORD_LENGTH}")
    return b"\r\n".join(records) + b"\r\n" if crlf else b"".join(records)

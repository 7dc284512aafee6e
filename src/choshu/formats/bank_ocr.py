"""Bank-counter payment data (金融機関窓口), format ``bank-ocr``: a layout of ours.

When a payer pays a slip at a bank counter, the bank reads the slip's keys (by OCR or by hand)
and reports the payment; no public layout for that report was found, so this one is ours. What
is sourced: the keys printed on the slip (収納機関番号, 納付番号, 確認番号, 納付区分; formats.md
§1.1 and the OCR line of §1.2, where 納付番号 is 20 and 確認番号 6 positions wide) and the Zengin
bank (4 digits) and branch (3 digits) codes. Positions, record types and trailer are ours, in the
style of the other 120-byte files: header ``1``, data ``2``, trailer ``8``, end ``9``, Shift_JIS
(the bank's name in the header may be kana), with or without CRLF. docs/channel-formats.md has
the tables.

Every record is money received: CONFIRMED, channel ``bank``, key_type PAYEASY, key = 納付番号,
paid_on = 収納日, settles_on = 送金日 (the day the bank remits it). ``payment_ref`` = bank + branch
+ 収納日 + 取扱通番 (the bank's sequence number of the slip that day) + 納付番号.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from choshu.formats.channel_fields import (
    DATE_RANGE,
    END,
    HEADER,
    RECORD_LENGTH,
    TRAILER,
    Fields,
    parse_fixed,
    text_field,
    totals_record,
)
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import ChannelFile, EventKind, KeyType, PaymentEvent

FORMAT = "bank-ocr"
CHANNEL = "bank"
TYPE_COLUMN = "データ区分"
BANK_NAME_WIDTH = 40
CONFIRMATION_LEAST = 4  # 確認番号: 4–6 digits (payeasy.CONFIRMATION_LENGTHS)

# Trailer (ours): (field, first position, length); positions 20–120 are spaces.
TRAILER_LAYOUT: tuple[tuple[str, int, int], ...] = (("合計件数", 2, 6), ("合計金額", 8, 12))


def payment_ref(bank_code: str, branch_code: str, paid_on: date, seq: str, payment_no: str) -> str:
    return f"bank:{bank_code}{branch_code}-{paid_on:%Y%m%d}-{seq}-{payment_no}"


def _header(line: int, raw: bytes, received_on: date, errors: list[ParseError]) -> dict[str, str]:
    f = Fields(line, raw, errors)
    created_on = f.day_by("作成日", 2, received_on)
    return {
        "created_on": created_on.isoformat() if created_on else "",
        "bank_code": f.digits("報告金融機関コード", 10, 4),
        "bank_name": f.text("金融機関名", 14, BANK_NAME_WIDTH),
    }


def _data(line: int, raw: bytes, received_on: date, errors: list[ParseError]) -> PaymentEvent | None:
    f = Fields(line, raw, errors)
    bank_code = f.digits("金融機関コード", 2, 4)
    branch_code = f.digits("支店コード", 6, 3)
    institution_no = f.digits("収納機関番号", 9, 5)
    category = f.digits("納付区分", 14, 3)
    payment_no = f.left_digits("納付番号", 17, 20)
    confirmation_no = f.left_digits("確認番号", 37, 6, least=CONFIRMATION_LEAST)
    amount = f.amount("金額", 43, 10)
    paid_on = f.day_by("収納日", 53, received_on)
    settles_on = f.day("送金日", 61)
    if paid_on is not None and settles_on is not None and settles_on < paid_on:
        f.error("送金日", f"{settles_on:%Y%m%d} is before 収納日 {paid_on:%Y%m%d}")
    seq = f.digits("取扱通番", 69, 6)
    if f.failed or paid_on is None:
        return None
    return PaymentEvent(
        line=line,
        kind=EventKind.CONFIRMED,
        channel=CHANNEL,
        key_type=KeyType.PAYEASY,
        key=payment_no,
        amount=amount,
        paid_on=paid_on,
        payment_ref=payment_ref(bank_code, branch_code, paid_on, seq, payment_no),
        settles_on=settles_on,
        agent_code=bank_code + branch_code,
        extra={
            "bank_code": bank_code,
            "branch_code": branch_code,
            "institution_no": institution_no,
            "confirmation_no": confirmation_no,
            "category": category,
            "seq": seq,
        },
    )


def parse(data: bytes, *, received_on: date) -> ChannelFile:
    """Validate a whole file; a file with any error has no events."""
    return parse_fixed(
        data,
        received_on=received_on,
        format=FORMAT,
        type_column=TYPE_COLUMN,
        header=_header,
        record=lambda line, raw, received_on, _head, errors: _data(line, raw, received_on, errors),
        totals=lambda events, records: {"合計件数": records, "合計金額": sum(e.amount for e in events)},
        trailer_layout=TRAILER_LAYOUT,
    )


def _record(
    bank_code: str,
    branch_code: str,
    institution_no: str,
    category: str,
    payment_no: str,
    confirmation_no: str,
    amount: int,
    paid_on: date,
    settles_on: date,
    seq: str,
) -> bytes:
    return (
        f"2{bank_code}{branch_code}{institution_no}{category}{payment_no:<20}{confirmation_no:<6}{amount:010d}"
        f"{paid_on:%Y%m%d}{settles_on:%Y%m%d}{seq}{'':46}"
    ).encode("ascii")


def _event_record(event: PaymentEvent) -> bytes:
    x = event.extra
    if event.kind != EventKind.CONFIRMED or event.settles_on is None:
        raise ValueError(f"line {event.line}: bank-ocr records are confirmed payments with a 送金日")
    return _record(
        x["bank_code"],
        x["branch_code"],
        x["institution_no"],
        x["category"],
        event.key,
        x["confirmation_no"],
        event.amount,
        event.paid_on,
        event.settles_on,
        x["seq"],
    )


def make_event(
    *,
    payment_no: str,
    confirmation_no: str,
    category: str,
    amount: int,
    paid_on: date,
    institution_no: str,
    seq: str,
    bank_code: str = "0001",
    branch_code: str = "001",
    settles_on: date | None = None,
    line: int = 0,
) -> PaymentEvent:
    """The event of one data record (tests, demo, benchmark), read back from the record it makes.

    ``settles_on`` (送金日) defaults to ``paid_on``; ``seq`` (取扱通番): up to 6 digits, zero-filled on
    the left.
    """
    raw = _record(
        bank_code,
        branch_code,
        institution_no,
        category,
        payment_no,
        confirmation_no,
        amount,
        paid_on,
        settles_on or paid_on,
        seq.rjust(6, "0"),
    )
    errors: list[ParseError] = []
    event = None
    if len(raw) == RECORD_LENGTH:
        event = _data(line, raw, DATE_RANGE[1], errors)
    else:
        errors.append(ParseError(line, "-", f"the fields make {len(raw)} bytes, not {RECORD_LENGTH}"))
    if event is None:
        raise ValueError("; ".join(f"{e.column}: {e.reason}" for e in errors))
    return event


def dump(
    events: Iterable[PaymentEvent], *, created_on: date, bank_code: str = "0001", bank_name: str = "", crlf: bool = True
) -> bytes:
    """Write a whole file: header (the reporting bank), the events, trailer, end."""
    events = list(events)
    header = (
        HEADER
        + f"{created_on:%Y%m%d}{bank_code:4.4}".encode("ascii")
        + text_field(bank_name, BANK_NAME_WIDTH, "金融機関名")
    ).ljust(RECORD_LENGTH, b" ")
    records = [header]
    records.extend(_event_record(e) for e in events)
    totals = {"合計件数": len(events), "合計金額": sum(e.amount for e in events)}
    records.append(totals_record(TRAILER, TRAILER_LAYOUT, totals))
    records.append(END.ljust(RECORD_LENGTH, b" "))
    for number, record in enumerate(records, start=1):
        if len(record) != RECORD_LENGTH:
            raise ValueError(f"record {number} is {len(record)} bytes, not {RECORD_LENGTH}")
    return b"\r\n".join(records) + b"\r\n" if crlf else b"".join(records)

"""Convenience-store result data, 120-byte records, format ``cvs-120`` (formats.md §3.3 (c)).

The "MUFG Factor" layout: header ``1``, data ``2``, trailer ``8``, end ``9``, 120 bytes each,
Shift_JIS, with or without CRLF after each record. Header and data record positions are sourced
(formats.md §3.3 (c)); the trailer's content is not (the source reads no field of it), so ours
is: 合計件数/合計金額 and the count and amount of each データ種別, all checked against the data.
End: ``9`` and spaces. docs/channel-formats.md has the tables.

データ種別 01 速報 → PRELIMINARY, 02 確報 → CONFIRMED (settles_on = 振込予定年月日, required),
03 取消 → CANCEL. The barcode (16–59) is 91 · 9 · MUF企業コード · 収納企業コード · 顧客番号 (16) ·
再発行区分 · 支払期限 · 印紙フラグ · 金額 · CD: the agent prefix is the 収納企業コード and the key is
the 16-digit 顧客番号; the MUF企業コード and 収納企業コード must be the header's.

CVSコード → channel (``CHANNEL_BY_CVS_CODE``): 0180, 0190 and 9900 are payment ways other than a
store that the source code distinguishes without naming (formats.md §6); we map them to
mobile_banking (モバイルレジ), credit_card and app — unconfirmed. Every other code is a store.

``payment_ref`` is the one of cvs-csv: barcode + 収納日 + 収納時刻 + CVS受付店舗コード.
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
    cvs_payment_ref,
    hhmm,
    parse_fixed,
    read_barcode,
    show,
    tallied_totals,
    text_field,
    totals_record,
)
from choshu.formats.errors import ParseError
from choshu.formats.payment_event import ChannelFile, EventKind, KeyType, PaymentEvent

FORMAT = "cvs-120"
TYPE_COLUMN = "レコード区分"

DATA_TYPES: dict[str, EventKind] = {
    "01": EventKind.PRELIMINARY,  # 速報
    "02": EventKind.CONFIRMED,  # 確報
    "03": EventKind.CANCEL,  # 速報取消
}
CONFIRMED_TYPE = "02"

# CVSコード → channel. [unconfirmed] The three codes are distinguished in the source without a
# name (formats.md §6); the mapping is ours. Every code not listed is a store ("cvs").
CHANNEL_BY_CVS_CODE: dict[str, str] = {
    "0180": "mobile_banking",  # モバイルレジ (net banking) [unconfirmed]
    "0190": "credit_card",  # [unconfirmed]
    "9900": "app",  # [unconfirmed]
}
DEFAULT_CHANNEL = "cvs"

# Trailer (ours): (field, first position, length); positions 74–120 are spaces.
TRAILER_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("合計件数", 2, 6),
    ("合計金額", 8, 12),
    ("速報件数", 20, 6),
    ("速報金額", 26, 12),
    ("確報件数", 38, 6),
    ("確報金額", 44, 12),
    ("取消件数", 56, 6),
    ("取消金額", 62, 12),
)
_TALLY = {"01": ("速報件数", "速報金額"), "02": ("確報件数", "確報金額"), "03": ("取消件数", "取消金額")}
AGENT_NAME_WIDTH = 40


def _header(line: int, raw: bytes, received_on: date, errors: list[ParseError]) -> dict[str, str]:
    f = Fields(line, raw, errors)
    created_on = f.day_by("データ作成日", 2, received_on)
    head = {
        "created_on": created_on.isoformat() if created_on else "",
        "muf_code": f.digits("MUF企業コード", 10, 5),
        "agent_code": f.digits("収納企業コード", 15, 5),
        "agent_name": f.text("収納企業名カナ", 20, AGENT_NAME_WIDTH),
    }
    return head


def _data(
    line: int, raw: bytes, received_on: date, head: dict[str, str] | None, errors: list[ParseError]
) -> PaymentEvent | None:
    before = len(errors)
    f = Fields(line, raw, errors)
    data_type = f.bytes_at(2, 2).decode("ascii", errors="replace")
    if data_type not in DATA_TYPES:
        f.error("データ種別", f"unknown record type {show(data_type)}; known: {', '.join(DATA_TYPES)}")
    paid_on = f.day_by("収納日", 4, received_on)
    paid_time = f.bytes_at(12, 4).decode("ascii", errors="replace")
    if not hhmm(paid_time):
        f.error("収納時刻", f"{show(paid_time)} is not a time HHMM")
    digits = f.bytes_at(16, 44).decode("ascii", errors="replace")
    barcode = read_barcode(digits, line=line, column="バーコード情報", errors=errors)
    if barcode is not None and head is not None:
        if head["muf_code"] and digits[3:8] != head["muf_code"]:
            f.error("バーコード情報", f"MUF企業コード {digits[3:8]} differs from the header's {head['muf_code']}")
        if head["agent_code"] and digits[8:13] != head["agent_code"]:
            f.error("バーコード情報", f"収納企業コード {digits[8:13]} differs from the header's {head['agent_code']}")
    store_code = f.code("CVS受付店舗コード", 63, 7)
    acquired_on = f.day("データ取得年月日", 70, optional=True)
    settles_on = f.day("振込予定年月日", 78, optional=data_type != CONFIRMED_TYPE)
    if settles_on is not None and paid_on is not None and settles_on < paid_on:
        f.error("振込予定年月日", f"{settles_on:%Y%m%d} is before 収納日 {paid_on:%Y%m%d}")
    accounted_on = f.day("経理処理年月日", 94, optional=True)
    cvs_code = f.digits("CVSコード", 102, 4)
    if len(errors) > before or barcode is None or paid_on is None:
        return None
    return PaymentEvent(
        line=line,
        kind=DATA_TYPES[data_type],
        channel=CHANNEL_BY_CVS_CODE.get(cvs_code, DEFAULT_CHANNEL),
        key_type=KeyType.BILLER_KEY,
        key=barcode.biller_key,
        amount=barcode.amount,
        paid_on=paid_on,
        payment_ref=cvs_payment_ref(barcode.digits, f"{paid_on:%Y%m%d}", paid_time, store_code),
        settles_on=settles_on,
        agent_code=cvs_code,
        due_date=barcode.due_date,
        reissue=barcode.reissue,
        extra={
            "data_type": data_type,
            "barcode": barcode.digits,
            "company_code": barcode.company_code,
            "agent_prefix": barcode.agent_prefix,
            "stamp": barcode.stamp,
            "paid_time": paid_time,
            "store_code": store_code,
            "acquired_on": acquired_on.isoformat() if acquired_on else "",
            "accounted_on": accounted_on.isoformat() if accounted_on else "",
        },
    )


def _totals(events: Sequence[PaymentEvent], records: int) -> dict[str, int]:
    return tallied_totals(events, records, layout=TRAILER_LAYOUT, tally=_TALLY, key="data_type")


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


def _record(event: PaymentEvent) -> bytes:
    x = event.extra
    data_type = x["data_type"]
    if DATA_TYPES[data_type] != event.kind:
        raise ValueError(f"line {event.line}: データ種別 {data_type} is not a {event.kind} record")
    settle = "00000000" if event.settles_on is None else f"{event.settles_on:%Y%m%d}"
    acquired = x["acquired_on"].replace("-", "") or "00000000"
    accounted = x["accounted_on"].replace("-", "") or "00000000"
    return (
        f"2{data_type}{event.paid_on:%Y%m%d}{x['paid_time']}{x['barcode']}   {x['store_code']:<7}"
        f"{acquired}{settle}        {accounted}{event.agent_code}{'':15}"
    ).encode("ascii")


def make_event(
    *,
    data_type: str,
    barcode: str,
    paid_on: date,
    cvs_code: str,
    paid_time: str = "0000",
    store_code: str = "",
    acquired_on: date | None = None,
    settles_on: date | None = None,
    accounted_on: date | None = None,
    line: int = 0,
) -> PaymentEvent:
    """The event of one data record (tests, demo, benchmark), read back from the record it makes."""
    if not (len(store_code) <= 7 and len(cvs_code) == 4 and len(paid_time) == 4 and len(data_type) == 2):
        raise ValueError("データ種別 2, 収納時刻 4, CVSコード 4 characters; CVS受付店舗コード up to 7")

    def ymd(value: date | None) -> str:
        return "00000000" if value is None else f"{value:%Y%m%d}"

    raw = (
        f"2{data_type}{paid_on:%Y%m%d}{paid_time}{barcode:<44.44}   {store_code:<7}"
        f"{ymd(acquired_on)}{ymd(settles_on)}        {ymd(accounted_on)}{cvs_code}{'':15}"
    ).encode("ascii")
    errors: list[ParseError] = []
    event = _data(line, raw, DATE_RANGE[1], None, errors)
    if event is None:
        raise ValueError("; ".join(f"{e.column}: {e.reason}" for e in errors))
    return event


def dump(
    events: Iterable[PaymentEvent],
    *,
    created_on: date,
    agent_name: str = "",
    muf_code: str | None = None,
    agent_code: str | None = None,
    crlf: bool = True,
) -> bytes:
    """Write a whole file: header, the events' data records, our trailer, end.

    The MUF企業コード and 収納企業コード default to the first event's barcode digits 4–8 and 9–13.
    """
    events = list(events)
    if events:
        first = events[0].extra["barcode"]
        muf_code = first[3:8] if muf_code is None else muf_code
        agent_code = first[8:13] if agent_code is None else agent_code
    if muf_code is None or agent_code is None:
        raise ValueError("muf_code and agent_code are needed for a file without records")
    header = (
        HEADER
        + f"{created_on:%Y%m%d}{muf_code:5.5}{agent_code:5.5}".encode("ascii")
        + text_field(agent_name, AGENT_NAME_WIDTH, "収納企業名カナ")
    ).ljust(RECORD_LENGTH, b" ")
    records = [header]
    records.extend(_record(e) for e in events)
    records.append(totals_record(TRAILER, TRAILER_LAYOUT, _totals(events, len(events))))
    records.append(END.ljust(RECORD_LENGTH, b" "))
    for number, record in enumerate(records, start=1):
        if len(record) != RECORD_LENGTH:
            raise ValueError(f"record {number} is {len(record)} bytes, not {RECORD_LENGTH}")
    return b"\r\n".join(records) + b"\r\n" if crlf else b"".join(records)

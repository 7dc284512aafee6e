"""Zengin (全銀協) direct debit, 預金口座振替 種別コード 91: request and result files (pure Python).

One file = one header (データ区分 1), N data records (2), one trailer (8) and one end record
(9), each 120 bytes of single-byte Shift_JIS (JIS X 0201: ASCII and half-width katakana), with
or without a line break after each record (CRLF; LF is accepted too). N (numeric) fields are
right-aligned and zero-filled, C (character) fields left-aligned and space-filled. The layouts
below are data (field list and widths, reference/formats.md §4.2–4.5), so a municipal variant
is another list of fields.

- ``write_request(header, records)``: the request choshu sends to the bank (trailer computed,
  result codes blank, 振替済/振替不能 zero).
- ``parse_result(data, received_on=...)``: the bank's answer as a ``ChannelFile`` of
  ``PaymentEvent`` (format ``zengin-debit-result``): result code 0 → CONFIRMED, any other code →
  DEBIT_FAILED with its meaning (``RESULT_CODES``, formats.md §4.4).
- ``parse_request`` and ``write_result`` play the bank in tests: read a request, set result
  codes, write the answer with 振替済/振替不能 recomputed.

The header carries 引落日 as MMDD only: the year is the one that puts the date nearest to the
day the file was received (of the previous, same and next year; on a tie the earlier date).

Every problem is collected as ``ParseError(line, field, reason)``: ``line`` is the record
number (1-based; with line breaks, the physical line), ``field`` the field's name as the
layout calls it (引落金額, 顧客番号 …; ``-`` for a whole record, line 0 for the whole file).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from choshu.formats.errors import ParseError
from choshu.formats.payment_event import ChannelFile, EventKind, KeyType, PaymentEvent
from choshu.formats.zengin_kana import is_zengin_text

FORMAT_NAME = "zengin-debit-result"
CHANNEL = "direct_debit"
RECORD_LENGTH = 120
KIND_CODE = "91"  # 種別コード: 口座振替
CODE_CLASS_JIS = "0"  # コード区分: 0 JIS (Shift_JIS single-byte), 1 EBCDIC (not supported)
CUSTOMER_NO_WIDTH = 20
RECORD_COLUMN = "-"

# 振替結果コード → its meaning (formats.md §4.4). A bank that adds codes: pass a larger table.
DEBITED = "0"
RESULT_CODES: Mapping[str, str] = {
    "0": "振替済",
    "1": "資金不足",
    "2": "取引なし",
    "3": "預金者の都合による振替停止",
    "4": "預金口座振替依頼書なし",
    "8": "委託者の都合による振替停止",
    "9": "その他",
}

N = "N"  # numeric: digits, right-aligned, zero-filled
C = "C"  # character: single-byte, left-aligned, space-filled


@dataclass(frozen=True)
class Field:
    name: str  # name in code (and in the header/record dataclasses)
    label: str  # name in the layout, used in errors
    width: int  # bytes
    type: str  # N or C


@dataclass(frozen=True)
class Layout:
    """One record type: its データ区分 and its fields in order (widths add up to 120)."""

    data_kind: str
    title: str
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        total = sum(f.width for f in self.fields)
        if total != RECORD_LENGTH:
            raise ValueError(f"layout {self.title}: fields add up to {total} bytes, not {RECORD_LENGTH}")

    def offsets(self) -> list[tuple[Field, int]]:
        """Each field with its 0-based start offset."""
        out, start = [], 0
        for f in self.fields:
            out.append((f, start))
            start += f.width
        return out

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


HEADER = Layout(
    "1",
    "ヘッダー・レコード",
    (
        Field("data_kind", "データ区分", 1, N),
        Field("kind_code", "種別コード", 2, N),
        Field("code_class", "コード区分", 1, N),
        Field("consignor_code", "委託者コード", 10, N),
        Field("consignor_name", "委託者名", 40, C),
        Field("debit_date", "引落日", 4, N),  # MMDD
        Field("bank_code", "取引銀行番号", 4, N),
        Field("bank_name", "取引銀行名", 15, C),
        Field("branch_code", "取引支店番号", 3, N),
        Field("branch_name", "取引支店名", 15, C),
        Field("account_type", "預金種目", 1, N),  # the consignor's account
        Field("account_no", "口座番号", 7, N),
        Field("dummy", "ダミー", 17, C),
    ),
)
DATA = Layout(
    "2",
    "データ・レコード",
    (
        Field("data_kind", "データ区分", 1, N),
        Field("bank_code", "引落銀行番号", 4, N),
        Field("bank_name", "引落銀行名", 15, C),
        Field("branch_code", "引落支店番号", 3, N),
        Field("branch_name", "引落支店名", 15, C),
        Field("dummy1", "ダミー", 4, C),
        Field("account_type", "預金種目", 1, N),  # 1 普通, 2 当座, 3 納税準備預金, 9 その他
        Field("account_no", "口座番号", 7, N),
        Field("holder_name", "預金者名", 30, C),
        Field("amount", "引落金額", 10, N),
        Field("new_code", "新規コード", 1, N),  # 0 その他, 1 第1回引落分, 2 変更分
        Field("customer_no", "顧客番号", CUSTOMER_NO_WIDTH, C),
        Field("result_code", "振替結果コード", 1, C),  # N/C: blank in a request
        Field("dummy2", "ダミー", 8, C),
    ),
)
TRAILER = Layout(
    "8",
    "トレーラ・レコード",
    (
        Field("data_kind", "データ区分", 1, N),
        Field("total_count", "合計件数", 6, N),
        Field("total_amount", "合計金額", 12, N),
        Field("debited_count", "振替済件数", 6, N),
        Field("debited_amount", "振替済金額", 12, N),
        Field("failed_count", "振替不能件数", 6, N),
        Field("failed_amount", "振替不能金額", 12, N),
        Field("dummy", "ダミー", 65, C),
    ),
)
END = Layout("9", "エンド・レコード", (Field("data_kind", "データ区分", 1, N), Field("dummy", "ダミー", 119, C)))
LAYOUTS: Mapping[str, Layout] = {layout.data_kind: layout for layout in (HEADER, DATA, TRAILER, END)}


@dataclass(frozen=True)
class DebitHeader:
    consignor_code: str  # 委託者コード, 10 digits
    consignor_name: str  # 委託者名 (Zengin kana)
    debit_date: date  # 引落日 (written as MMDD)
    bank_code: str  # 取引銀行番号
    bank_name: str
    branch_code: str  # 取引支店番号
    branch_name: str
    account_type: str  # the consignor's 預金種目
    account_no: str  # the consignor's 口座番号


@dataclass(frozen=True)
class DebitRecord:
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_no: str
    holder_name: str  # 預金者名 (Zengin kana)
    amount: int
    customer_no: str  # 顧客番号, 20 digits
    new_code: str = "0"
    result_code: str = ""  # blank in a request; set by the bank
    line: int = field(default=0, compare=False)  # record number when read from a file


@dataclass(frozen=True)
class DebitTrailer:
    total_count: int
    total_amount: int
    debited_count: int = 0
    debited_amount: int = 0
    failed_count: int = 0
    failed_amount: int = 0


@dataclass
class DebitFile:
    """A request or result file as read: its records and every problem found."""

    header: DebitHeader | None
    records: list[DebitRecord]
    trailer: DebitTrailer | None
    errors: list[ParseError]

    @property
    def ok(self) -> bool:
        return not self.errors


# --- writing ----------------------------------------------------------------------------------


def _encode(layout: Layout, values: Mapping[str, str | int]) -> bytes:
    """One record; raises ValueError naming the field when a value does not fit the layout."""
    parts: list[str] = []
    for f in layout.fields:
        text = layout.data_kind if f.name == "data_kind" else str(values.get(f.name, ""))
        if f.type == N:
            if not (text.isascii() and text.isdigit()) or len(text) > f.width:
                raise ValueError(f"{layout.title} {f.label} ({f.name}): {text!r} is not a number of {f.width} digits")
            parts.append(text.zfill(f.width))
        else:
            if len(text) > f.width:
                raise ValueError(f"{layout.title} {f.label} ({f.name}): {text!r} is longer than {f.width}")
            if not is_zengin_text(text):
                raise ValueError(f"{layout.title} {f.label} ({f.name}): {text!r} is not in the Zengin character set")
            parts.append(text.ljust(f.width))
    record = "".join(parts).encode("shift_jis")
    assert len(record) == RECORD_LENGTH
    return record


def _header_values(header: DebitHeader) -> dict[str, str | int]:
    return {
        "kind_code": KIND_CODE,
        "code_class": CODE_CLASS_JIS,
        "consignor_code": header.consignor_code,
        "consignor_name": header.consignor_name,
        "debit_date": header.debit_date.strftime("%m%d"),
        "bank_code": header.bank_code,
        "bank_name": header.bank_name,
        "branch_code": header.branch_code,
        "branch_name": header.branch_name,
        "account_type": header.account_type,
        "account_no": header.account_no,
    }


def _record_values(record: DebitRecord, result_code: str) -> dict[str, str | int]:
    if record.amount <= 0:
        raise ValueError(f"引落金額 (amount) must be greater than 0: {record.amount}")
    if len(record.customer_no) != CUSTOMER_NO_WIDTH or not (
        record.customer_no.isascii() and record.customer_no.isdigit()
    ):
        raise ValueError(f"顧客番号 (customer_no) must be {CUSTOMER_NO_WIDTH} digits: {record.customer_no!r}")
    return {
        "bank_code": record.bank_code,
        "bank_name": record.bank_name,
        "branch_code": record.branch_code,
        "branch_name": record.branch_name,
        "account_type": record.account_type,
        "account_no": record.account_no,
        "holder_name": record.holder_name,
        "amount": record.amount,
        "new_code": record.new_code,
        "customer_no": record.customer_no,
        "result_code": result_code,
    }


def _write(
    header: DebitHeader, records: Sequence[DebitRecord], trailer: DebitTrailer, codes: Sequence[str], crlf: bool
) -> bytes:
    end = b"\r\n" if crlf else b""
    out = [_encode(HEADER, _header_values(header))]
    out += [_encode(DATA, _record_values(r, code)) for r, code in zip(records, codes, strict=True)]
    out.append(_encode(TRAILER, vars(trailer)))
    out.append(_encode(END, {}))
    return b"".join(record + end for record in out)


def write_request(header: DebitHeader, records: Sequence[DebitRecord], crlf: bool = True) -> bytes:
    """The request file (依頼データ): result codes blank, 振替済/振替不能 zero in the trailer."""
    trailer = DebitTrailer(total_count=len(records), total_amount=sum(r.amount for r in records))
    return _write(header, records, trailer, [""] * len(records), crlf)


def write_result(
    header: DebitHeader,
    records: Sequence[DebitRecord],
    crlf: bool = True,
    result_codes: Mapping[str, str] = RESULT_CODES,
) -> bytes:
    """The bank's result file (振替結果データ): each record's result code, trailer with 振替済/不能."""
    for r in records:
        if r.result_code not in result_codes:
            raise ValueError(f"振替結果コード (result_code) {r.result_code!r} is not a known result code")
    debited = [r for r in records if r.result_code == DEBITED]
    failed = [r for r in records if r.result_code != DEBITED]
    trailer = DebitTrailer(
        total_count=len(records),
        total_amount=sum(r.amount for r in records),
        debited_count=len(debited),
        debited_amount=sum(r.amount for r in debited),
        failed_count=len(failed),
        failed_amount=sum(r.amount for r in failed),
    )
    return _write(header, records, trailer, [r.result_code for r in records], crlf)


# --- reading ----------------------------------------------------------------------------------

# Single-byte Shift_JIS: ASCII printable (0x5C ¥, 0x7E ‾ in JIS X 0201) and half-width katakana.
_SINGLE_BYTE = frozenset(range(0x20, 0x7F)) | frozenset(range(0xA1, 0xE0))
_LINE_BREAK = re.compile(rb"\r?\n")


def _split_records(data: bytes) -> list[bytes]:
    """The records of a file: by line breaks (CRLF or LF) when it has any, else every 120 bytes.

    A DOS end-of-file mark (0x1A) and line breaks at the very end are ignored.
    """
    body = data.rstrip(b"\x1a").rstrip(b"\r\n")
    if b"\n" in body:
        return _LINE_BREAK.split(body)
    return [body[i : i + RECORD_LENGTH] for i in range(0, len(body), RECORD_LENGTH)]


def nearest_date(mmdd: str, near: date) -> date | None:
    """The date with month and day ``mmdd`` nearest to ``near`` (previous, same or next year;
    on a tie the earlier); None when no such date exists in those years (1301, 0230, 0229 far
    from a leap year)."""
    if len(mmdd) != 4 or not (mmdd.isascii() and mmdd.isdigit()):
        return None
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates = []
    for year in (near.year - 1, near.year, near.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda d: (abs((d - near).days), d))


class _Record:
    """The fields of one record as text, with errors collected for the file."""

    def __init__(self, layout: Layout, raw: bytes, line: int, errors: list[ParseError]) -> None:
        self.layout = layout
        self.line = line
        self.errors = errors
        self.values: dict[str, str] = {}
        self.failed = False
        for f, start in layout.offsets():
            chunk = raw[start : start + f.width]
            bad = next((i for i, b in enumerate(chunk) if b not in _SINGLE_BYTE), None)
            if bad is not None:
                self.error(
                    f.label,
                    f"byte 0x{chunk[bad]:02X} at position {start + bad + 1} is not a single-byte Shift_JIS character",
                )
                continue
            text = chunk.decode("shift_jis")
            if f.type == N and not text.isdigit():
                self.error(f.label, f"{text!r} is not a number (N field: digits, zero-filled)")
                continue
            self.values[f.name] = text

    def error(self, label: str, reason: str) -> None:
        self.errors.append(ParseError(self.line, label, reason))
        self.failed = True

    def has(self, *names: str) -> bool:
        return all(name in self.values for name in names)

    def text(self, name: str) -> str:
        """A C field without its space padding."""
        return self.values[name].rstrip(" ")

    def number(self, name: str) -> int:
        return int(self.values[name])

    def label(self, name: str) -> str:
        return self.layout.field(name).label


def _read_header(rec: _Record, received_on: date) -> DebitHeader | None:
    if rec.has("kind_code") and rec.values["kind_code"] != KIND_CODE:
        rec.error(rec.label("kind_code"), f"{rec.values['kind_code']!r} is not {KIND_CODE} (口座振替)")
    if rec.has("code_class") and rec.values["code_class"] != CODE_CLASS_JIS:
        rec.error(rec.label("code_class"), f"{rec.values['code_class']!r}: only 0 (JIS, Shift_JIS) is supported")
    debit_date = None
    if rec.has("debit_date"):
        debit_date = nearest_date(rec.values["debit_date"], received_on)
        if debit_date is None:
            rec.error(rec.label("debit_date"), f"{rec.values['debit_date']!r} is not a date MMDD")
    if rec.failed or debit_date is None:
        return None
    return DebitHeader(
        consignor_code=rec.values["consignor_code"],
        consignor_name=rec.text("consignor_name"),
        debit_date=debit_date,
        bank_code=rec.values["bank_code"],
        bank_name=rec.text("bank_name"),
        branch_code=rec.values["branch_code"],
        branch_name=rec.text("branch_name"),
        account_type=rec.values["account_type"],
        account_no=rec.values["account_no"],
    )


def _read_data(rec: _Record, result_codes: Mapping[str, str] | None) -> DebitRecord | None:
    if rec.has("amount") and rec.number("amount") == 0:
        rec.error(rec.label("amount"), "must be greater than 0")
    if rec.has("customer_no"):
        customer_no = rec.text("customer_no")
        if len(customer_no) != CUSTOMER_NO_WIDTH or not customer_no.isdigit():
            rec.error(
                rec.label("customer_no"), f"{customer_no!r} is not a customer number of {CUSTOMER_NO_WIDTH} digits"
            )
    if rec.has("result_code"):
        code = rec.text("result_code")
        if result_codes is None:
            if code not in ("", "0"):
                rec.error(rec.label("result_code"), f"{code!r}: a request carries no result code (blank or 0)")
        elif code == "":
            rec.error(rec.label("result_code"), "missing (blank): a result file carries a result code")
        elif code not in result_codes:
            known = ", ".join(result_codes)
            rec.error(rec.label("result_code"), f"{code!r} is not a known result code ({known})")
    if rec.failed:
        return None
    return DebitRecord(
        bank_code=rec.values["bank_code"],
        bank_name=rec.text("bank_name"),
        branch_code=rec.values["branch_code"],
        branch_name=rec.text("branch_name"),
        account_type=rec.values["account_type"],
        account_no=rec.values["account_no"],
        holder_name=rec.text("holder_name"),
        amount=rec.number("amount"),
        customer_no=rec.text("customer_no"),
        new_code=rec.values["new_code"],
        result_code=rec.text("result_code"),
        line=rec.line,
    )


def _check_trailer(rec: _Record, tally: Sequence[tuple[int, str]], result_codes: Mapping[str, str] | None) -> None:
    """Trailer counts and totals against the data records: ``tally`` is (引落金額, 振替結果コード)
    of every data record (any code other than 0 counts as 振替不能)."""
    debited = [amount for amount, code in tally if code == DEBITED] if result_codes is not None else []
    failed = [amount for amount, code in tally if code != DEBITED] if result_codes is not None else []
    expected = {
        "total_count": (len(tally), "data records"),
        "total_amount": (sum(amount for amount, _code in tally), "the sum of 引落金額"),
        "debited_count": (len(debited), "records with result code 0"),
        "debited_amount": (sum(debited), "the sum of 引落金額 with result code 0"),
        "failed_count": (len(failed), "records with another result code"),
        "failed_amount": (sum(failed), "the sum of 引落金額 with another result code"),
    }
    for name, (value, what) in expected.items():
        if rec.has(name) and rec.number(name) != value:
            if result_codes is None and name.startswith(("debited", "failed")):
                reason = f"{rec.number(name)}: a request carries 0 here"
            else:
                reason = f"{rec.number(name)} does not match the file: {value} ({what})"
            rec.error(rec.label(name), reason)


def _order_problem(line: int, kind: str, seen_trailer: bool, seen_end: bool) -> str:
    """What is wrong with a record of ``kind`` at ``line`` given what came before (1, 2…, 8, 9)."""
    if seen_end:
        return "a record after the end record (9)"
    if line == 1 and kind != HEADER.data_kind:
        return "the first record must be the header (1)"
    if kind == HEADER.data_kind and line != 1:
        return "a header (1) is only allowed as the first record"
    if kind == DATA.data_kind and seen_trailer:
        return "a data record (2) after the trailer (8)"
    if kind == TRAILER.data_kind and seen_trailer:
        return "a second trailer (8)"
    if kind == END.data_kind and not seen_trailer:
        return "the end record (9) before the trailer (8)"
    return ""


def _read(data: bytes, received_on: date, result_codes: Mapping[str, str] | None) -> DebitFile:
    errors: list[ParseError] = []
    header: DebitHeader | None = None
    trailer_rec: _Record | None = None
    records: list[DebitRecord] = []
    tally: list[tuple[int, str]] = []  # (amount, result code) of each data record, for the trailer
    tally_complete = True
    seen_header = seen_trailer = seen_end = False
    raws = _split_records(data)
    if not any(raws):
        return DebitFile(None, [], None, [ParseError(0, RECORD_COLUMN, "the file is empty")])
    for line, raw in enumerate(raws, start=1):
        kind = chr(raw[0]) if raw else ""
        layout = LAYOUTS.get(kind)
        if layout is None:
            if raw:
                errors.append(ParseError(line, "データ区分", f"unknown record type {kind!r} (1, 2, 8 or 9)"))
            else:
                errors.append(ParseError(line, RECORD_COLUMN, f"empty line; a record is {RECORD_LENGTH} bytes"))
            tally_complete = False
            continue
        problem = _order_problem(line, kind, seen_trailer, seen_end)
        if problem:
            errors.append(ParseError(line, "データ区分", problem))
            tally_complete = tally_complete and layout is not DATA  # the trailer cannot speak for it
        seen_header |= kind == HEADER.data_kind
        seen_trailer |= kind == TRAILER.data_kind
        seen_end |= kind == END.data_kind
        if len(raw) != RECORD_LENGTH:
            errors.append(ParseError(line, RECORD_COLUMN, f"{len(raw)} bytes; a record is {RECORD_LENGTH} bytes"))
            tally_complete = tally_complete and layout is not DATA
            continue
        rec = _Record(layout, raw, line, errors)
        if layout is HEADER:
            header = header or _read_header(rec, received_on)
        elif layout is DATA:
            record = _read_data(rec, result_codes)
            if record is not None:
                records.append(record)
            if rec.has("amount", "result_code"):
                tally.append((rec.number("amount"), rec.text("result_code")))
            else:
                tally_complete = False
        elif layout is TRAILER and trailer_rec is None:
            trailer_rec = rec
    if not seen_header and not any(e.line == 1 and e.column == "データ区分" for e in errors):
        errors.append(ParseError(0, RECORD_COLUMN, "no header record (1)"))
    if not seen_trailer:
        errors.append(ParseError(0, RECORD_COLUMN, "no trailer record (8)"))
    if not seen_end:
        errors.append(ParseError(0, RECORD_COLUMN, "no end record (9)"))
    trailer = None
    if trailer_rec is not None:
        if tally_complete:
            _check_trailer(trailer_rec, tally, result_codes)
        numbers = [f.name for f in TRAILER.fields if f.type == N and f.name != "data_kind"]
        if trailer_rec.has(*numbers):
            trailer = DebitTrailer(**{name: trailer_rec.number(name) for name in numbers})
    errors.sort(key=lambda e: e.line)  # stable: a record's errors stay in field order
    return DebitFile(header, records, trailer, errors)


def parse_request(data: bytes, *, received_on: date) -> DebitFile:
    """Read a request file (result codes blank or 0; 振替済/振替不能 zero)."""
    return _read(data, received_on, None)


def read_result(data: bytes, *, received_on: date, result_codes: Mapping[str, str] = RESULT_CODES) -> DebitFile:
    """Read a result file into its records (``parse_result`` turns them into payment events)."""
    return _read(data, received_on, result_codes)


def payment_ref(header: DebitHeader, record: DebitRecord) -> str:
    """委託者コード + 引落日 (YYYYMMDD) + 顧客番号: one debit across its life."""
    return f"{header.consignor_code}{header.debit_date:%Y%m%d}{record.customer_no}"


def to_events(
    header: DebitHeader, records: Iterable[DebitRecord], result_codes: Mapping[str, str] = RESULT_CODES
) -> list[PaymentEvent]:
    return [
        PaymentEvent(
            line=r.line,
            kind=EventKind.CONFIRMED if r.result_code == DEBITED else EventKind.DEBIT_FAILED,
            channel=CHANNEL,
            key_type=KeyType.CUSTOMER_NO,
            key=r.customer_no,
            amount=r.amount,
            paid_on=header.debit_date,
            payment_ref=payment_ref(header, r),
            result_code=r.result_code,
            result_text=result_codes[r.result_code],
            agent_code=r.bank_code,
            extra={"branch_code": r.branch_code, "account_type": r.account_type, "account_no": r.account_no},
        )
        for r in records
    ]


def parse_result(data: bytes, *, received_on: date, result_codes: Mapping[str, str] = RESULT_CODES) -> ChannelFile:
    """The bank's result file as payment events; a file with any error has no events."""
    read = read_result(data, received_on=received_on, result_codes=result_codes)
    head: dict[str, str] = {}
    events: list[PaymentEvent] = []
    if read.header is not None:
        h = read.header
        head = {
            "kind_code": KIND_CODE,
            "consignor_code": h.consignor_code,
            "consignor_name": h.consignor_name,
            "debit_date": h.debit_date.isoformat(),
            "bank_code": h.bank_code,
            "bank_name": h.bank_name,
            "branch_code": h.branch_code,
            "branch_name": h.branch_name,
        }
        if read.ok:
            events = to_events(h, read.records, result_codes)
    return ChannelFile(format=FORMAT_NAME, events=events, errors=read.errors, header=head)


def field_positions(layout: Layout) -> dict[str, tuple[int, int]]:
    """Field name → (1-based first byte, last byte), as the layout tables print them."""
    return {f.name: (start + 1, start + f.width) for f, start in layout.offsets()}

"""Field readers shared by the payment-channel codecs (pure Python).

The codecs ``cvs_csv``, ``cvs_fixed``, ``payeasy_result``, ``eltax`` and ``bank_ocr`` validate a
whole file and collect every problem as ``ParseError(line, field, reason)``. What they share:

- dates ``YYYYMMDD`` (cached: a file holds few distinct dates) and the rule that money cannot
  have been paid after the day the file was received;
- text decoding for the CSV formats: a UTF-8 BOM or valid UTF-8 → UTF-8, anything else →
  Shift_JIS (cp932), undecodable bytes kept as lone surrogates and reported at their cell;
- 120-byte record files: with or without a line break after each record (CRLF or LF), record
  types header ``1`` · data ``2`` · trailer ``8`` · end ``9`` in that order (formats.md §3.3 (c),
  §4.1), numeric fields read from the bytes, text fields decoded as Shift_JIS per field;
- the 44 digits of the convenience-store barcode (formats.md §3.1–3.2), read for validation
  only (``choshu.formats.cvs_barcode`` builds slips). The check digit is the same modulus 10
  weights 3/1 as ``payment_key.mod10_w31`` (a test holds them equal), computed on byte sums
  because a 100,000-record file reads 100,000 barcodes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from choshu.formats.errors import ParseError
from choshu.formats.payment_event import ChannelFile, PaymentEvent

RECORD_COLUMN = "-"  # the column of a problem with a whole record (or, on line 0, the file)
RECORD_LENGTH = 120
HEADER, DATA, TRAILER, END = b"1", b"2", b"8", b"9"
DATE_RANGE = (date(2000, 1, 1), date(2099, 12, 31))  # the years a barcode's YYMMDD can hold
UTF8_BOM = b"\xef\xbb\xbf"
SHIFT_JIS = "cp932"  # Shift_JIS as Windows and the agents write it (NEC/IBM extensions included)
EOF_MARK = b"\x1a"  # a DOS end-of-file mark some host transfers leave at the very end

_SURROGATE = re.compile("[\udc80-\udcff]")
_DATES: dict[str, date | None] = {}
_DATE_CACHE_LIMIT = 50_000


def show(raw: str | bytes) -> str:
    """A value as it is quoted in an error (shortened; bytes shown as Shift_JIS)."""
    text = raw.decode(SHIFT_JIS, errors="backslashreplace") if isinstance(raw, bytes) else raw
    text = _SURROGATE.sub("\ufffd", text)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def ymd(raw: str) -> date | None:
    """``YYYYMMDD`` → date; None when it is not 8 digits, no such day, or outside 2000–2099."""
    try:
        return _DATES[raw]
    except KeyError:
        pass
    value: date | None = None
    if len(raw) == 8 and raw.isascii() and raw.isdigit():
        try:
            value = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            value = None
        if value is not None and not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
            value = None
    if len(_DATES) < _DATE_CACHE_LIMIT:
        _DATES[raw] = value
    return value


def date_problem(raw: str) -> str:
    """Why ``ymd(raw)`` is None."""
    if len(raw) != 8 or not raw.isascii() or not raw.isdigit():
        return f"{show(raw)} is not a date YYYYMMDD"
    return f"{show(raw)} is not a valid date in {DATE_RANGE[0].year}–{DATE_RANGE[1].year}"


def hhmm(raw: str) -> bool:
    """``HHMM``, 0000–2359."""
    return len(raw) == 4 and raw.isascii() and raw.isdigit() and raw[:2] < "24" and raw[2:] < "60"


def after_receipt(paid_on: date, received_on: date) -> str | None:
    """The problem with a payment dated after the file was received, or None."""
    if paid_on > received_on:
        return f"{paid_on.isoformat()} is after the day the file was received ({received_on.isoformat()})"
    return None


def is_digits(value: str, low: int, high: int) -> bool:
    """``low``–``high`` ASCII digits."""
    return low <= len(value) <= high and value.isascii() and value.isdigit()


def is_code(value: str, high: int) -> bool:
    """ASCII letters and digits, 0–``high`` characters (store codes, receipt numbers)."""
    if not value:
        return True
    return len(value) <= high and value.isascii() and value.isalnum()


# --- the convenience-store barcode ---------------------------------------------------------------

BARCODE_LENGTH = 44
BARCODE_AI = "91"
NO_DUE_DATE = "999999"
AGENT_PREFIX_LENGTH = 5  # the agent's digits at the start of the 21-digit free area


def barcode_check_digit(body: str) -> int:
    """Modulus 10, weights 3/1 from the rightmost digit (= payment_key.mod10_w31), on ASCII digits."""
    odd, even = body[-1::-2].encode(), body[-2::-2].encode()
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return -total % 10


@dataclass(frozen=True, slots=True)
class BarcodeDigits:
    """The fields of a 44-digit barcode (formats.md §3.1), as the result files repeat them."""

    digits: str
    company_code: str  # 3–8 請求書発行企業コード
    agent_prefix: str  # 9–13: the collection agent's part of the free area
    biller_key: str  # 14–29: the 16-digit payment key
    reissue: int  # 30 再発行区分
    due_date: date | None  # 31–36 支払期限 YYMMDD (20YY); 999999 = none
    stamp: str  # 37 印紙フラグ
    amount: int  # 38–43 支払金額


def read_barcode(
    digits: str, *, line: int, column: str, errors: list[ParseError], check_digit: bool = True
) -> BarcodeDigits | None:
    """Read and check 44 digits; every problem is appended to ``errors`` (one per barcode field)."""
    if len(digits) != BARCODE_LENGTH or not digits.isascii() or not digits.isdigit():
        errors.append(ParseError(line, column, f"{show(digits)} is not {BARCODE_LENGTH} digits"))
        return None
    before = len(errors)
    if digits[:2] != BARCODE_AI:
        errors.append(ParseError(line, column, f"application identifier is {digits[:2]}, not {BARCODE_AI}"))
    if check_digit:
        expected = barcode_check_digit(digits[:43])
        if int(digits[43]) != expected:
            errors.append(ParseError(line, column, f"bad check digit {digits[43]}: modulus 10/3-1 gives {expected}"))
    due_raw = digits[30:36]
    due: date | None = None
    if due_raw != NO_DUE_DATE:
        due = ymd("20" + due_raw)
        if due is None:
            errors.append(ParseError(line, column, f"due date (支払期限) {due_raw} is not a valid YYMMDD"))
    stamp = digits[36]
    if stamp not in "01":
        errors.append(ParseError(line, column, f"stamp flag (印紙フラグ) is {stamp}, not 0 or 1"))
    amount = int(digits[37:43])
    if amount <= 0:
        errors.append(ParseError(line, column, "amount (支払金額) is 0"))
    if len(errors) > before:
        return None
    return BarcodeDigits(
        digits=digits,
        company_code=digits[2:8],
        agent_prefix=digits[8 : 8 + AGENT_PREFIX_LENGTH],
        biller_key=digits[8 + AGENT_PREFIX_LENGTH : 29],
        reissue=int(digits[29]),
        due_date=due,
        stamp=stamp,
        amount=amount,
    )


def cvs_payment_ref(barcode: str, paid_ymd: str, paid_time: str, store_code: str) -> str:
    """One convenience-store payment across 速報 → 確報 / 取消: barcode, 収納日, 収納時刻, store.

    The agent repeats these four in every record of the payment (the store date and time are the
    payer's moment at the till), so the 確報 and the 取消 name the 速報 they follow.
    """
    return f"cvs:{barcode}-{paid_ymd}-{paid_time}-{store_code}"


# --- CSV --------------------------------------------------------------------------------------------


@dataclass
class CsvText:
    text: str
    encoding: str  # "utf-8" or "cp932"
    clean: bool  # no undecodable bytes anywhere

    def bad_cell(self, cell: str) -> bool:
        return not self.clean and _SURROGATE.search(cell) is not None


def decode_csv(data: bytes) -> CsvText:
    """UTF-8 (with or without BOM) when the bytes are valid UTF-8, else Shift_JIS (cp932)."""
    if data.startswith(UTF8_BOM):
        text = data[3:].decode("utf-8", errors="surrogateescape")
        return CsvText(text, "utf-8", _SURROGATE.search(text) is None)
    try:
        return CsvText(data.decode("utf-8"), "utf-8", True)
    except UnicodeDecodeError:
        text = data.decode(SHIFT_JIS, errors="surrogateescape")
        return CsvText(text, SHIFT_JIS, _SURROGATE.search(text) is None)


def encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding == "utf-8" else "Shift_JIS"


def csv_rows(text: str, errors: list[ParseError]) -> Iterator[tuple[int, list[str]]]:
    """(physical line of the record's start, cells); blank lines skipped; malformed CSV reported."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    last = 0
    try:
        for cells in reader:
            line = last + 1
            last = reader.line_num
            if cells:
                yield line, cells
    except csv.Error as exc:
        errors.append(ParseError(last + 1, RECORD_COLUMN, f"malformed CSV: {exc}"))


# --- 120-byte record files ----------------------------------------------------------------------


@dataclass
class FixedFile:
    """The records of a header/data/trailer/end file, each with its line (record number)."""

    header: tuple[int, bytes] | None = None
    data: list[tuple[int, bytes]] = field(default_factory=list)
    trailer: tuple[int, bytes] | None = None
    dropped: int = 0  # records left out: wrong length, unknown type, out of place

    def expected_totals(self, full: Mapping[str, int], *, data_ok: bool, count: str) -> dict[str, int]:
        """What the trailer is checked against: everything when every data record was read, the
        record count (field ``count``) when some could not be read, nothing when records were
        left out (their type is unknown; the file is rejected for them already)."""
        if self.dropped:
            return {}
        return dict(full) if data_ok else {count: full[count]}


def split_records(data: bytes, errors: list[ParseError], *, width: int = RECORD_LENGTH) -> list[tuple[int, bytes]]:
    """Cut a file into records: by line breaks when it has any, else every ``width`` bytes."""
    if data.endswith(EOF_MARK):
        data = data[:-1]
    records: list[tuple[int, bytes]] = []
    if b"\n" in data:
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for number, raw in enumerate(lines, start=1):
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if len(raw) != width:
                errors.append(ParseError(number, RECORD_COLUMN, f"record is {len(raw)} bytes, not {width}"))
            else:
                records.append((number, raw))
        return records
    for number, start in enumerate(range(0, len(data), width), start=1):
        raw = data[start : start + width]
        if len(raw) != width:
            errors.append(
                ParseError(number, RECORD_COLUMN, f"record is {len(raw)} bytes, not {width} (file length {len(data)})")
            )
        else:
            records.append((number, raw))
    return records


def fixed_file(data: bytes, errors: list[ParseError], *, type_column: str) -> FixedFile:
    """Split ``data`` and check the record order 1 · 2… · 8 · 9 (one group per file)."""
    result = FixedFile()
    if not data:
        errors.append(ParseError(0, RECORD_COLUMN, "empty file"))
        return result
    seen_end = False
    before = len(errors)
    records = split_records(data, errors)
    result.dropped = len(errors) - before

    def drop(line: int, reason: str) -> None:
        errors.append(ParseError(line, type_column, reason))
        result.dropped += 1

    for line, raw in records:
        kind = raw[:1]
        if kind not in (HEADER, DATA, TRAILER, END):
            drop(line, f"unknown record type {show(kind)}")
        elif seen_end:
            drop(line, "record after the end record (9)")
        elif kind == HEADER:
            if result.header is not None:
                drop(line, "a second header record (1); one group per file")
            elif result.data or result.trailer is not None:
                drop(line, "header record (1) after data or trailer records")
            else:
                result.header = (line, raw)
        elif kind == DATA:
            if result.trailer is not None:
                drop(line, "data record (2) after the trailer record (8)")
                continue
            if result.header is None and not result.data:
                errors.append(ParseError(line, type_column, "data record (2) before the header record (1)"))
            result.data.append((line, raw))
        elif kind == TRAILER:
            if result.trailer is not None:
                drop(line, "a second trailer record (8)")
            else:
                result.trailer = (line, raw)
        else:
            if result.trailer is None:
                errors.append(ParseError(line, type_column, "end record (9) before the trailer record (8)"))
            seen_end = True
    if result.header is None:
        errors.append(ParseError(0, RECORD_COLUMN, "no header record (1)"))
    if result.trailer is None:
        errors.append(ParseError(0, RECORD_COLUMN, "no trailer record (8)"))
    if not seen_end:
        errors.append(ParseError(0, RECORD_COLUMN, "no end record (9)"))
    return result


class Fields:
    """Reads the fields of one fixed-length record; problems go to ``errors``, ``failed`` is set.

    Positions are 1-based and inclusive, as the layout tables print them.
    """

    __slots__ = ("line", "raw", "errors", "failed")

    def __init__(self, line: int, raw: bytes, errors: list[ParseError]) -> None:
        self.line = line
        self.raw = raw
        self.errors = errors
        self.failed = False

    def error(self, name: str, reason: str) -> None:
        self.errors.append(ParseError(self.line, name, reason))
        self.failed = True

    def bytes_at(self, start: int, length: int) -> bytes:
        return self.raw[start - 1 : start - 1 + length]

    def digits(self, name: str, start: int, length: int) -> str:
        """Exactly ``length`` ASCII digits ("" on error)."""
        raw = self.raw[start - 1 : start - 1 + length]
        if raw.isdigit():
            return raw.decode("ascii")
        self.error(name, f"{show(raw)} is not {length} digits")
        return ""

    def left_digits(self, name: str, start: int, length: int, *, least: int = 1) -> str:
        """Digits left-aligned and space-filled, at least ``least`` of them ("" on error)."""
        raw = self.raw[start - 1 : start - 1 + length]
        value = raw.rstrip(b" ")
        if least <= len(value) and value.isdigit():
            return value.decode("ascii")
        self.error(name, f"{show(raw)} is not {least}–{length} digits, left-aligned and space-filled")
        return ""

    def amount(self, name: str, start: int, length: int) -> int:
        """Zero-filled yen, more than 0 (0 on error)."""
        raw = self.raw[start - 1 : start - 1 + length]
        if not raw.isdigit():
            self.error(name, f"{show(raw)} is not {length} digits")
            return 0
        value = int(raw)
        if value <= 0:
            self.error(name, "amount must be more than 0")
        return value

    def day(self, name: str, start: int, *, optional: bool = False) -> date | None:
        """YYYYMMDD at ``start``; with ``optional``, zeros or spaces mean no date."""
        raw = self.raw[start - 1 : start + 7]
        if optional and raw in (b"00000000", b"        "):
            return None
        text = raw.decode("ascii", errors="replace")
        value = ymd(text)
        if value is None:
            self.error(name, date_problem(text))
        return value

    def day_by(self, name: str, start: int, received_on: date) -> date | None:
        """A date that cannot be later than the day the file was received (収納日, 作成日)."""
        value = self.day(name, start)
        if value is not None and (problem := after_receipt(value, received_on)):
            self.error(name, problem)
        return value

    def text(self, name: str, start: int, length: int) -> str:
        """Shift_JIS text, trailing spaces dropped."""
        raw = self.raw[start - 1 : start - 1 + length]
        try:
            return raw.decode(SHIFT_JIS).rstrip(" ")
        except UnicodeDecodeError as exc:
            self.error(name, f"not valid Shift_JIS (byte {exc.start + 1} of the field)")
            return ""

    def code(self, name: str, start: int, length: int) -> str:
        """ASCII letters and digits, left-aligned and space-filled; may be blank."""
        raw = self.raw[start - 1 : start - 1 + length]
        value = raw.rstrip(b" ")
        if not value or (value.isascii() and value.isalnum()):
            return value.decode("ascii")
        self.error(name, f"{show(raw)} is not letters and digits")
        return ""


def check_totals(f: Fields, layout: Sequence[tuple[str, int, int]], expected: Mapping[str, int]) -> None:
    """Read the trailer's numbers and compare those named in ``expected`` with what the data gave."""
    for name, start, length in layout:
        raw = f.digits(name, start, length)
        if raw and name in expected and int(raw) != expected[name]:
            f.error(name, f"{int(raw)} in the trailer, the data records give {expected[name]}")


def totals_record(kind: bytes, layout: Sequence[tuple[str, int, int]], values: Mapping[str, int]) -> bytes:
    """A trailer record: ``kind`` then the numbers of ``layout``, zero-filled, space-filled to 120."""
    out = kind
    for name, start, length in layout:
        assert start == len(out) + 1, f"{name} starts at {start}"
        text = f"{values[name]:0{length}d}"
        if len(text) != length:
            raise ValueError(f"{name}: {values[name]} does not fit in {length} digits")
        out += text.encode("ascii")
    return out.ljust(RECORD_LENGTH, b" ")


def text_field(value: str, length: int, name: str) -> bytes:
    """Shift_JIS text, left-aligned and space-filled to ``length`` bytes (for the writers)."""
    raw = value.encode(SHIFT_JIS)
    if len(raw) > length:
        raise ValueError(f"{name}: {value!r} is {len(raw)} bytes in Shift_JIS, the field holds {length}")
    return raw.ljust(length, b" ")


Header = Callable[[int, bytes, date, list[ParseError]], dict[str, str]]
Record = Callable[[int, bytes, date, "dict[str, str] | None", list[ParseError]], "PaymentEvent | None"]
Totals = Callable[[Sequence["PaymentEvent"], int], dict[str, int]]


def parse_fixed(
    data: bytes,
    *,
    received_on: date,
    format: str,
    type_column: str,
    header: Header,
    record: Record,
    totals: Totals,
    trailer_layout: Sequence[tuple[str, int, int]],
) -> ChannelFile:
    """Validate a whole 120-byte file of a codec; a file with any error has no events.

    ``header`` reads the header record, ``record`` a data record (given the header read), and
    ``totals(events, records)`` gives what the trailer must say when every data record was read.
    """
    errors: list[ParseError] = []
    parts = fixed_file(data, errors, type_column=type_column)
    head = header(*parts.header, received_on, errors) if parts.header else None
    events: list[PaymentEvent] = []
    data_ok = True
    for line, raw in parts.data:
        event = record(line, raw, received_on, head, errors)
        if event is None:
            data_ok = False
        else:
            events.append(event)
    if parts.trailer is not None:
        expected = parts.expected_totals(totals(events, len(parts.data)), data_ok=data_ok, count="合計件数")
        check_totals(Fields(*parts.trailer, errors), trailer_layout, expected)
    return ChannelFile(format=format, events=[] if errors else events, errors=finish(errors), header=head or {})


CsvHeader = Callable[[int, list[str], list[ParseError]], bool]
CsvRow = Callable[[int, list[str], date, CsvText, list[ParseError]], "PaymentEvent | None"]


def parse_csv(data: bytes, *, received_on: date, format: str, header: CsvHeader, row: CsvRow) -> ChannelFile:
    """Validate a whole CSV file of a codec; a file with any error has no events.

    ``header(line, cells, errors)`` checks the first row and says whether it was a header (to be
    skipped) or a data row (to be read); ``row`` reads a data row.
    """
    errors: list[ParseError] = []
    text = decode_csv(data)
    events: list[PaymentEvent] = []
    header_seen = False
    for line, cells in csv_rows(text.text, errors):
        if not header_seen:
            header_seen = True
            if header(line, cells, errors):
                continue
        event = row(line, cells, received_on, text, errors)
        if event is not None:
            events.append(event)
    if not header_seen:
        errors.append(ParseError(0, RECORD_COLUMN, "empty file: no header row"))
    return ChannelFile(
        format=format,
        events=[] if errors else events,
        errors=finish(errors),
        header={"encoding": encoding_name(text.encoding)},
    )


def tallied_totals(
    events: Sequence[PaymentEvent],
    records: int,
    *,
    layout: Sequence[tuple[str, int, int]],
    tally: Mapping[str, tuple[str, str]],
    key: str,
) -> dict[str, int]:
    """Trailer totals: 合計件数 (records), 合計金額, and a count and amount per kind (``tally`` of
    ``event.extra[key]``)."""
    values = dict.fromkeys((name for name, _, _ in layout), 0)
    values["合計件数"] = records
    for e in events:
        count, amount = tally[e.extra[key]]
        values[count] += 1
        values[amount] += e.amount
        values["合計金額"] += e.amount
    return values


def finish(errors: list[ParseError]) -> list[ParseError]:
    """Errors in line order (a record's errors keep their field order)."""
    errors.sort(key=lambda e: e.line)
    return errors

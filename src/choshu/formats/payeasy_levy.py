"""Pay-easy levy data (調定データ) for the Multi-Payment Network: layout ``payeasy-levy`` v1, ours.

Seed 002 has the ward upload 調定データ to the MPN server of an LGWAN-ASP provider, so that a payer
who types a slip's keys at a bank ATM or in net banking is shown the bill and can pay it. The MPN's
biller-side file specifications are not public (formats.md §1.2: only a vendor manual's messages
and batch-file name are known; the MPN preparation FAQ is confidential), so **this layout is ours**,
not the official one. When the provider's layout is known it becomes a new codec; choshu's data do
not change.

**Sourced**: the four keys and their widths (収納機関番号 5 digits, 納付番号, 確認番号 4–6 digits,
納付区分 3 digits; formats.md §1.1) and that the MPN finds a local-tax bill by 納付番号 + 確認番号 +
納付区分 (§1.2). **Ours**: the columns, the trailer, the encoding, the name rule.

What a line carries is the minimum a payer needs at the ATM or in net banking: the keys that find
the bill, what to pay (納付金額: the installment's unpaid principal, as on the slip; a late fee is
billed on its own slip), until when (支払期限: the slip's deadline, YYYYMMDD 西暦), and whose bill it
is (氏名(カナ), so the payer can confirm before paying; ATM screens show single-byte kana). 納付区分
tells the tax. No address, birth date, 宛名番号 or kanji name is needed, so none is sent.

The file: CSV per RFC 4180 (a field is quoted only when it holds a comma or quote), CRLF (LF is
read too), Shift_JIS (cp932), every line 8 fields. The line kind is told by column 1 (整理番号):

======== ============= =================================================================
line     kind          columns
======== ============= =================================================================
1        header        exactly ``COLUMNS`` (the labels the export engine writes)
2 … N+1  data          整理番号 ``1`` … ``N`` in order, then one unpaid installment (table below)
N+2      trailer       整理番号 ``T``: its own meaning per column (``TRAILER``), last line
======== ============= =================================================================

Data line:

== ============ ==================================================================================
#  column       content
== ============ ==================================================================================
1  整理番号     1 … N, the line's serial (no leading zeros)
2  収納機関番号 5 digits; the same on every line and in the trailer
3  納付番号     16 digits: choshu's payment key (``payment_key``), modulus 10 w 3/1 check digit;
                unique within the file
4  確認番号     4–6 digits
5  納付区分     3 digits
6  納付金額     1–10 digits, no leading zero, > 0 (yen)
7  支払期限     YYYYMMDD, 2000–2099, not before the trailer's 作成日
8  氏名(カナ)   1–30 characters of the Zengin set (half-width kana, A–Z, 0–9, space, ``().-/\\,``),
                as ``zengin_kana.to_zengin_kana`` writes them (no leading, trailing or double spaces)
== ============ ==================================================================================

Trailer line (column: meaning): 1 ``T`` · 2 収納機関番号 · 3 件数 (data lines) · 4 empty · 5 empty ·
6 合計金額 (sum of 納付金額) · 7 作成日 (YYYYMMDD) · 8 版 (the layout version, ``1``).

Why CSV and not 120-byte records: the ward's export engine (governance/exports.py) writes every
package as one CSV with the column labels as its first line; this layout is exactly what it writes,
so the upload goes through the same contract check, four-eyes approval and encryption as every
other export. The trailer is the last CSV line (the engine counts it as a line of the package).

``lines`` gives the data and trailer lines as cells (what the export kind yields), ``dump`` a whole
file, ``parse`` reads one back (round-trip tests, checking a file before it is sent). Every problem
is a ``ParseError(line, column, reason)``; ``LevyFileError`` carries them all. The writer checks each
line with the reader's rules, so what it writes always reads back; uniqueness of 納付番号 is
checked by the reader only (the writer would have to hold every key of a city in memory; choshu's
keys are unique by construction, one per installment).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from choshu.formats.channel_fields import (
    RECORD_COLUMN,
    SHIFT_JIS,
    UTF8_BOM,
    CsvText,
    barcode_check_digit,
    csv_rows,
    date_problem,
    finish,
    is_digits,
    show,
    ymd,
)
from choshu.formats.errors import ParseError
from choshu.formats.payeasy import CATEGORY_LENGTH, INSTITUTION_NO_LENGTH, PayEasyKeys
from choshu.formats.payment_key import KEY_LENGTH
from choshu.formats.zengin_kana import ZENGIN_CHARS, ZENGIN_NAME_WIDTH

FORMAT = "payeasy-levy"
VERSION = "1"
ENCODING = SHIFT_JIS
COLUMNS = ("整理番号", "収納機関番号", "納付番号", "確認番号", "納付区分", "納付金額", "支払期限", "氏名(カナ)")
WIDTH = len(COLUMNS)
TRAILER_MARK = "T"
TRAILER = ("整理番号", "収納機関番号", "件数", "", "", "合計金額", "作成日", "版")  # column names on the trailer
AMOUNT_DIGITS = 10
MAX_AMOUNT = 10**AMOUNT_DIGITS - 1
NAME_WIDTH = ZENGIN_NAME_WIDTH  # 30, as a Zengin name field
MAX_ERRORS_SHOWN = 20
_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes that are not Shift_JIS, kept by surrogateescape


class LevyFileError(ValueError):
    """A file (or records) that does not fit the layout; ``errors`` names every line and field."""

    def __init__(self, errors: list[ParseError]) -> None:
        self.errors = finish(list(errors))
        shown = "; ".join(str(e) for e in self.errors[:MAX_ERRORS_SHOWN])
        more = len(self.errors) - MAX_ERRORS_SHOWN
        super().__init__(shown + (f"; and {more} more" if more > 0 else ""))


@dataclass(frozen=True, slots=True)
class LevyRecord:
    """One unpaid installment as the MPN is to show it."""

    keys: PayEasyKeys
    amount: int  # 納付金額 (yen)
    deadline: date  # 支払期限
    name_kana: str  # 氏名(カナ), Zengin characters


@dataclass(frozen=True)
class LevyFile:
    institution_no: str
    created_on: date  # 作成日
    records: list[LevyRecord]

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.records)


# ---- checking ------------------------------------------------------------------------------------


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a 氏名(カナ) of this layout, or None."""
    if not name:
        return "is empty"
    if len(name) > NAME_WIDTH:
        return f"{show(name)} is {len(name)} characters, at most {NAME_WIDTH}"
    bad = dict.fromkeys(c for c in name if c not in ZENGIN_CHARS)
    if bad:
        return f"{show(name)} has characters outside the Zengin set: " + " ".join(
            f"'{c}' (U+{ord(c):04X})" for c in bad
        )
    if name != name.strip(" ") or "  " in name:
        return f"{show(name)} has leading, trailing or double spaces"
    return None


def _amount(cell: str) -> int | None:
    if not is_digits(cell, 1, AMOUNT_DIGITS) or cell[0] == "0":
        return None
    return int(cell)


def _data(line: int, cells: Sequence[str], errors: list[ParseError]) -> LevyRecord | None:
    """The record of a data line (整理番号 checked by the caller), or None with its errors appended."""
    before = len(errors)

    def error(column: str, reason: str) -> None:
        errors.append(ParseError(line, column, reason))

    _, institution_no, payment_no, confirmation_no, category, amount_cell, deadline_cell, name = cells
    if not is_digits(institution_no, INSTITUTION_NO_LENGTH, INSTITUTION_NO_LENGTH):
        error("収納機関番号", f"{show(institution_no)} is not {INSTITUTION_NO_LENGTH} digits")
    if not is_digits(payment_no, KEY_LENGTH, KEY_LENGTH):
        error("納付番号", f"{show(payment_no)} is not {KEY_LENGTH} digits")
    elif barcode_check_digit(payment_no[:-1]) != int(payment_no[-1]) or not payment_no[:-1].strip("0"):
        # the payment key's check digit (payment_key.mod10_w31), computed on byte sums for speed
        error("納付番号", f"{payment_no}: bad check digit (modulus 10, weights 3/1) or zero body")
    if not is_digits(confirmation_no, 4, 6):
        error("確認番号", f"{show(confirmation_no)} is not 4–6 digits")
    if not is_digits(category, CATEGORY_LENGTH, CATEGORY_LENGTH):
        error("納付区分", f"{show(category)} is not {CATEGORY_LENGTH} digits")
    amount = _amount(amount_cell)
    if amount is None:
        error("納付金額", f"{show(amount_cell)} is not an amount of 1–{AMOUNT_DIGITS} digits above 0 (no leading zero)")
    deadline = ymd(deadline_cell)
    if deadline is None:
        error("支払期限", date_problem(deadline_cell))
    if problem := name_problem(name):
        error("氏名(カナ)", problem)
    if len(errors) > before or amount is None or deadline is None:
        return None
    return LevyRecord(PayEasyKeys(institution_no, payment_no, confirmation_no, category), amount, deadline, name)


@dataclass
class _Trailer:
    line: int
    institution_no: str
    count: int | None
    total: int | None
    created_on: date | None


def _trailer(line: int, cells: Sequence[str], errors: list[ParseError]) -> _Trailer:
    def error(column: str, reason: str) -> None:
        errors.append(ParseError(line, column, reason))

    _, institution_no, count_cell, empty4, empty5, total_cell, created_cell, version = cells
    if not is_digits(institution_no, INSTITUTION_NO_LENGTH, INSTITUTION_NO_LENGTH):
        error("収納機関番号", f"{show(institution_no)} is not {INSTITUTION_NO_LENGTH} digits")
    count = int(count_cell) if is_digits(count_cell, 1, 9) else None
    if count is None:
        error("件数", f"{show(count_cell)} is not a count (1–9 digits)")
    for position, cell in ((4, empty4), (5, empty5)):
        if cell:
            error(f"column {position}", f"{show(cell)}: must be empty on the trailer")
    total = int(total_cell) if is_digits(total_cell, 1, 15) else None
    if total is None:
        error("合計金額", f"{show(total_cell)} is not an amount (1–15 digits)")
    created_on = ymd(created_cell)
    if created_on is None:
        error("作成日", date_problem(created_cell))
    if version != VERSION:
        error("版", f"layout version {show(version)} is not supported; this reader knows {VERSION}")
    return _Trailer(line, institution_no, count, total, created_on)


# ---- writing -------------------------------------------------------------------------------------


def data_cells(record: LevyRecord, *, serial: int, created_on: date) -> list[str]:
    """The cells of data line ``serial + 1``; ``LevyFileError`` names the line and field that do not fit."""
    k = record.keys
    cells = [
        str(serial),
        k.institution_no,
        k.payment_no,
        k.confirmation_no,
        k.category,
        str(record.amount),
        f"{record.deadline:%Y%m%d}",
        record.name_kana,
    ]
    line = serial + 1
    errors: list[ParseError] = []
    if _data(line, cells, errors) is not None and record.deadline < created_on:
        errors.append(ParseError(line, "支払期限", f"{record.deadline:%Y%m%d} is before 作成日 {created_on:%Y%m%d}"))
    if errors:
        raise LevyFileError(errors)
    return cells


def trailer_cells(*, institution_no: str, count: int, total: int, created_on: date) -> list[str]:
    return [TRAILER_MARK, institution_no, str(count), "", "", str(total), f"{created_on:%Y%m%d}", VERSION]


def lines(records: Iterable[LevyRecord], *, institution_no: str, created_on: date) -> Iterator[list[str]]:
    """The data lines, then the trailer, as cells: the file without its header line.

    Lazy: records are read one at a time (a city's upload holds a million), only the count and the
    total are kept. Raises ``LevyFileError`` at the first record that does not fit.
    """
    if not is_digits(institution_no, INSTITUTION_NO_LENGTH, INSTITUTION_NO_LENGTH):
        raise LevyFileError([ParseError(0, "収納機関番号", f"{show(institution_no)} is not 5 digits")])
    count = total = 0
    for count, record in enumerate(records, start=1):  # noqa: B007 - the last value is the count
        if record.keys.institution_no != institution_no:
            reason = f"{record.keys.institution_no} differs from the file's {institution_no}"
            raise LevyFileError([ParseError(count + 1, "収納機関番号", reason)])
        yield data_cells(record, serial=count, created_on=created_on)
        total += record.amount
    yield trailer_cells(institution_no=institution_no, count=count, total=total, created_on=created_on)


def dump(records: Iterable[LevyRecord], *, institution_no: str, created_on: date) -> bytes:
    """A whole file, byte for byte as the export engine writes it (csv module, CRLF, cp932)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(lines(records, institution_no=institution_no, created_on=created_on))
    return text.getvalue().encode(ENCODING)


# ---- reading -------------------------------------------------------------------------------------


def _decode(data: bytes, errors: list[ParseError]) -> CsvText:
    if data.startswith(UTF8_BOM):
        errors.append(ParseError(1, RECORD_COLUMN, "starts with a UTF-8 BOM: the layout is Shift_JIS"))
        data = data[len(UTF8_BOM) :]
    text = data.decode(ENCODING, errors="surrogateescape")
    return CsvText(text, ENCODING, _SURROGATE.search(text) is None)


def parse(data: bytes) -> LevyFile:
    """Read and check a whole file; ``LevyFileError`` lists every problem by line and column."""
    errors: list[ParseError] = []
    text = _decode(data, errors)
    records: list[tuple[int, LevyRecord]] = []
    trailer: _Trailer | None = None
    header_seen = False
    expected = 1
    for line, cells in csv_rows(text.text, errors):
        if not header_seen:
            header_seen = True
            if tuple(cells) != COLUMNS:
                errors.append(ParseError(line, RECORD_COLUMN, f"the header line must be: {','.join(COLUMNS)}"))
            continue
        if trailer is not None:
            errors.append(ParseError(line, RECORD_COLUMN, f"a line after the trailer (line {trailer.line})"))
            continue
        if len(cells) != WIDTH:
            errors.append(ParseError(line, RECORD_COLUMN, f"{len(cells)} fields, expected {WIDTH}"))
            expected += cells[0] != TRAILER_MARK  # keep counting data lines: one bad line, one error
            continue
        if not text.clean:
            bad = [name for name, cell in zip(COLUMNS, cells, strict=True) if text.bad_cell(cell)]
            if bad:
                errors.extend(ParseError(line, name, "not valid Shift_JIS") for name in bad)
                expected += cells[0] != TRAILER_MARK
                continue
        serial = cells[0]
        if serial == TRAILER_MARK:
            trailer = _trailer(line, cells, errors)
            continue
        if serial != str(expected):
            reason = f"{show(serial)}: expected {expected} (data lines count 1, 2, …; the trailer has {TRAILER_MARK})"
            errors.append(ParseError(line, "整理番号", reason))
        expected += 1
        record = _data(line, cells, errors)
        if record is not None:
            records.append((line, record))
    if not header_seen:
        errors.append(ParseError(0, RECORD_COLUMN, "empty file: no header line"))
    elif trailer is None:
        errors.append(ParseError(0, RECORD_COLUMN, f"no trailer line (整理番号 {TRAILER_MARK})"))
    _cross_checks(records, trailer, expected - 1, errors)
    if errors or trailer is None or trailer.created_on is None:
        raise LevyFileError(errors)
    return LevyFile(trailer.institution_no, trailer.created_on, [record for _, record in records])


def _cross_checks(
    records: list[tuple[int, LevyRecord]], trailer: _Trailer | None, data_lines: int, errors: list[ParseError]
) -> None:
    """Unique 納付番号, one 収納機関番号, deadlines from 作成日 on, the trailer's count and total."""
    first_line: dict[str, int] = {}
    for line, record in records:
        seen = first_line.setdefault(record.keys.payment_no, line)
        if seen != line:
            errors.append(ParseError(line, "納付番号", f"{record.keys.payment_no} is already on line {seen}"))
    if trailer is None:
        return
    for line, record in records:
        if trailer.institution_no and record.keys.institution_no != trailer.institution_no:
            reason = f"{record.keys.institution_no} differs from the trailer's {trailer.institution_no}"
            errors.append(ParseError(line, "収納機関番号", reason))
        if trailer.created_on is not None and record.deadline < trailer.created_on:
            reason = f"{record.deadline:%Y%m%d} is before 作成日 {trailer.created_on:%Y%m%d}"
            errors.append(ParseError(line, "支払期限", reason))
    if trailer.count is not None and trailer.count != data_lines:
        errors.append(ParseError(trailer.line, "件数", f"{trailer.count}, but the file has {data_lines} data lines"))
    if trailer.total is not None and len(records) == data_lines:
        total = sum(record.amount for _, record in records)
        if trailer.total != total:
            errors.append(ParseError(trailer.line, "合計金額", f"{trailer.total}, but the data lines sum to {total}"))

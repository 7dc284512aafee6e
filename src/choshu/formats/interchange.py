"""Interchange files from the assessment side: persons.csv, levies.csv, accounts.csv (pure Python).

The layout is /work/shared/specs/interchange.md (summarised in docs/interchange.md): CSV per
RFC 4180 in UTF-8 (a leading BOM allowed), first row = column names in any order, unknown
columns are an error, a column that is not always required may be left out of the header.

``parse(kind, data, banks=...)`` validates a whole file and returns typed rows and every
problem found as ``ParseError(line, column, reason)`` (the header is line 1; a record that
spans several physical lines is reported at its first line). Checks that need the database
(does the person exist, is the revision the next one) are made by choshu.interchange.services.
``dump(kind, rows)`` writes rows back in the same layout (used by tests and by sample files).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from choshu.formats.errors import ParseError
from choshu.formats.zengin_kana import ZENGIN_NAME_WIDTH, ZenginKanaError, to_zengin_kana
from choshu.rules.revenue import REVENUES

KINDS = ("persons", "levies", "accounts")
ROW_COLUMN = "-"  # column shown for problems of a whole row or of the whole file


class BankDirectory(Protocol):
    """The bank code table (金融機関コード): which banks and branches exist."""

    def has_bank(self, bank_code: str) -> bool: ...

    def has_branch(self, bank_code: str, branch_code: str) -> bool: ...


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One row of persons.csv (宛名). Empty optional cells are "" (or None for dates/keys)."""

    line: int
    atena_no: str
    kind: str
    name: str
    name_kana: str
    birth_date: date | None
    sex: str
    postal_code: str
    address: str
    address_extra: str
    residency: str
    moved_out_on: date | None
    phone: str
    household_no: str | None
    is_household_head: bool
    corporate_no: str
    designation_no: str | None


@dataclass(frozen=True, slots=True)
class LevyRow:
    """One row of levies.csv: one installment (期別) of one revision of a levy (調定)."""

    line: int
    levy_no: str
    revision_no: int
    revised_on: date | None
    atena_no: str
    revenue: str
    fiscal_year: int
    notice_no: str
    installment_no: int
    nominal_due_date: date
    amount: int


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One row of accounts.csv: a direct-debit mandate (口座振替). holder_kana is in Zengin form."""

    line: int
    atena_no: str
    revenue: str
    bank_code: str
    branch_code: str
    account_type: str
    account_no: str
    holder_kana: str
    start_on: date
    end_on: date | None


Row = TypeVar("Row", PersonRow, LevyRow, AccountRow)


@dataclass
class ParsedFile(Generic[Row]):
    kind: str
    columns: frozenset[str]  # the columns present in the header (known ones only)
    rows: list[Row]  # the valid rows
    errors: list[ParseError]
    records: int = 0  # data rows in the file, valid or not

    @property
    def ok(self) -> bool:
        return not self.errors


# Columns per kind: name → required in the header.
PERSON_COLUMNS: dict[str, bool] = {
    "atena_no": True,
    "kind": True,
    "name": True,
    "name_kana": True,
    "birth_date": False,  # required for individuals
    "sex": False,
    "postal_code": True,
    "address": True,
    "address_extra": False,
    "residency": True,
    "moved_out_on": False,  # required if moved_out
    "phone": False,
    "household_no": False,
    "is_household_head": False,
    "corporate_no": False,
    "designation_no": False,
}
LEVY_COLUMNS: dict[str, bool] = {
    "levy_no": True,
    "revision_no": True,
    "revised_on": False,  # required if revision_no > 0
    "atena_no": True,
    "revenue": True,
    "fiscal_year": True,
    "notice_no": True,
    "installment_no": True,
    "nominal_due_date": True,
    "amount": True,
}
ACCOUNT_COLUMNS: dict[str, bool] = {
    "atena_no": True,
    "revenue": True,
    "bank_code": True,
    "branch_code": True,
    "account_type": True,
    "account_no": True,
    "holder_kana": True,
    "start_on": True,
    "end_on": False,
}
COLUMNS: dict[str, dict[str, bool]] = {
    "persons": PERSON_COLUMNS,
    "levies": LEVY_COLUMNS,
    "accounts": ACCOUNT_COLUMNS,
}

PERSON_KINDS = ("individual", "business")
RESIDENCIES = ("resident", "nonresident", "moved_out", "deceased")
ACCOUNT_TYPES = ("1", "2", "3", "9")
FISCAL_YEAR_RANGE = (1970, 2099)
DATE_RANGE = (date(1900, 1, 1), date(2099, 12, 31))
MAX_AMOUNT = 999_999_999_999  # 12 digits
MAX_REVISION = 999

_ATENA = re.compile(r"[0-9]{1,15}")
_YEAR = re.compile(r"[0-9]{4}")
_POSTAL = re.compile(r"[0-9]{3}-[0-9]{4}")
_PHONE = re.compile(r"[0-9]+(-[0-9]+)*")
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UINT = re.compile(r"[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")
# Full-width katakana ァ..ヶ, ー, ・, separated by single (full- or half-width) spaces.
_KANA_WORD = "[\u30a1-\u30f6\u30fc\u30fb]+"
_NAME_KANA = re.compile(rf"{_KANA_WORD}(?:[ \u3000]{_KANA_WORD})*")


def corporate_no_check_digit(base12: str) -> int:
    """法人番号 check digit (法人番号の指定等に関する省令 第2条): 9 − (Σ Pn×Qn mod 9).

    Pn is the n-th digit of the 12-digit base counted from the least significant one, Qn is 1
    for odd n and 2 for even n. 7123456789012 → base 123456789012 → 74 mod 9 = 2 → 7.
    """
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def is_valid_corporate_no(value: str) -> bool:
    return (
        len(value) == 13
        and value.isascii()
        and value.isdigit()
        and int(value[0]) == corporate_no_check_digit(value[1:])
    )


class _Invalid(Exception):
    pass


class _Cells:
    """The cells of one record, with validators that record errors instead of raising."""

    def __init__(
        self,
        line: int,
        cells: Mapping[str, str],
        present: frozenset[str],
        errors: list[ParseError],
        check_utf8: bool = True,
    ) -> None:
        self.check_utf8 = check_utf8
        self.line = line
        self.cells = cells
        self.present = present
        self.errors = errors
        self.failed = False

    def error(self, column: str, reason: str) -> None:
        self.errors.append(ParseError(self.line, column, reason))
        self.failed = True

    def _get(self, name: str, required: bool, check: Callable[[str], Any], empty: Any) -> Any:
        raw = self.cells.get(name, "")
        if raw == "":
            if required and name in self.present:
                self.error(name, "required")
            return empty
        if self.check_utf8 and _SURROGATE.search(raw):
            self.error(name, "not valid UTF-8")
            return empty
        try:
            return check(raw)
        except _Invalid as exc:
            self.error(name, str(exc))
            return empty

    def text(self, name: str, *, max_len: int, required: bool = False) -> str:
        def check(raw: str) -> str:
            if len(raw) > max_len:
                raise _Invalid(f"longer than {max_len} characters ({len(raw)})")
            if _CONTROL.search(raw):
                raise _Invalid("contains a control character (line break or tab)")
            if raw != raw.strip():
                raise _Invalid("leading or trailing space")
            return raw

        result: str = self._get(name, required, check, "")
        return result

    def pattern(self, name: str, regex: re.Pattern[str], rule: str, *, required: bool = False) -> str:
        def check(raw: str) -> str:
            if not regex.fullmatch(raw):
                raise _Invalid(f"{_show(raw)} is not {rule}")
            return raw

        result: str = self._get(name, required, check, "")
        return result

    def choice(self, name: str, choices: Sequence[str], *, required: bool = False) -> str:
        def check(raw: str) -> str:
            if raw not in choices:
                raise _Invalid(f"{_show(raw)} is not one of {', '.join(choices)}")
            return raw

        result: str = self._get(name, required, check, "")
        return result

    def day(self, name: str, *, required: bool = False) -> date | None:
        def check(raw: str) -> date:
            if not _DATE.fullmatch(raw):
                raise _Invalid(f"{_show(raw)} is not a date YYYY-MM-DD")
            try:
                value = date.fromisoformat(raw)
            except ValueError:
                raise _Invalid(f"{_show(raw)} is not a valid date") from None
            if not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
                raise _Invalid(f"{raw} is outside {DATE_RANGE[0].year}–{DATE_RANGE[1].year}")
            return value

        result: date | None = self._get(name, required, check, None)
        return result

    def integer(self, name: str, low: int, high: int, rule: str, *, required: bool = False) -> int | None:
        def check(raw: str) -> int:
            if not _UINT.fullmatch(raw):
                raise _Invalid(f"{_show(raw)} is not {rule}")
            value = int(raw)
            if not low <= value <= high:
                raise _Invalid(f"{raw} is not {rule}")
            return value

        result: int | None = self._get(name, required, check, None)
        return result


def _show(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


# --- reading ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Record:
    line: int
    cells: dict[str, str]


class _Reader:
    """Decodes the file, checks the header, then yields the data records one by one."""

    def __init__(self, data: bytes, known: Mapping[str, bool], errors: list[ParseError]) -> None:
        self.errors = errors
        self.count = 0  # data rows, well-formed or not
        self.present: frozenset[str] = frozenset()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        # Undecodable bytes survive as lone surrogates and are reported at their cell.
        text = data.decode("utf-8", errors="surrogateescape")
        self.check_utf8 = bool(_SURROGATE.search(text))
        self._reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        self._header: list[str] = []
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            errors.append(ParseError(1, ROW_COLUMN, f"malformed CSV: {exc}"))
            return
        if header is None:
            errors.append(ParseError(1, ROW_COLUMN, "empty file: no header row"))
            return
        if header in ([], [""]):
            errors.append(ParseError(1, ROW_COLUMN, "the header row is empty"))
            return
        present: set[str] = set()
        for name in header:
            if _SURROGATE.search(name):
                errors.append(ParseError(1, _show(name), "column name is not valid UTF-8"))
            elif name in present:
                errors.append(ParseError(1, name, "duplicate column"))
            elif name not in known:
                errors.append(ParseError(1, name, "unknown column"))
            else:
                present.add(name)
        for name, required in known.items():
            if required and name not in present:
                errors.append(ParseError(1, name, "required column missing"))
        self.present = frozenset(present)
        self._header = header

    def __iter__(self) -> Iterator[_Record]:
        if not self._header:
            return
        reader, width = self._reader, len(self._header)
        last_line = reader.line_num
        try:
            for raw in reader:
                line = last_line + 1
                last_line = reader.line_num
                if not raw:  # an empty line (typically a trailing one)
                    continue
                self.count += 1
                if len(raw) != width:
                    self.errors.append(ParseError(line, ROW_COLUMN, f"{len(raw)} fields, the header has {width}"))
                    continue
                yield _Record(line, dict(zip(self._header, raw, strict=True)))
        except csv.Error as exc:
            self.errors.append(ParseError(last_line + 1, ROW_COLUMN, f"malformed CSV: {exc}"))


def parse(kind: str, data: bytes, *, banks: BankDirectory | None = None) -> ParsedFile[Any]:
    """Validate a whole file of ``kind`` (persons, levies, accounts). accounts needs ``banks``."""
    if kind == "persons":
        return parse_persons(data)
    if kind == "levies":
        return parse_levies(data)
    if kind == "accounts":
        if banks is None:
            raise ValueError("accounts files need a bank directory")
        return parse_accounts(data, banks=banks)
    raise ValueError(f"unknown interchange kind {kind!r}; known: {', '.join(KINDS)}")


def parse_persons(data: bytes) -> ParsedFile[PersonRow]:
    errors: list[ParseError] = []
    reader = _Reader(data, PERSON_COLUMNS, errors)
    present = reader.present
    rows: list[PersonRow] = []
    for rec in reader:
        c = _Cells(rec.line, rec.cells, present, errors, reader.check_utf8)
        atena_no = c.pattern("atena_no", _ATENA, "1–15 digits", required=True)
        kind = c.choice("kind", PERSON_KINDS, required=True)
        name = c.text("name", max_len=100, required=True)
        name_kana = c.text("name_kana", max_len=100, required=True)
        if name_kana and not _NAME_KANA.fullmatch(name_kana):
            c.error("name_kana", "must be full-width katakana (ー, ・ and single spaces between words allowed)")
        birth_date = c.day("birth_date")
        if kind == "individual" and birth_date is None and not rec.cells.get("birth_date"):
            c.error("birth_date", "required for individuals")
        sex = c.choice("sex", ("1", "2"))
        postal_code = c.pattern("postal_code", _POSTAL, "a postal code NNN-NNNN", required=True)
        address = c.text("address", max_len=200, required=True)
        address_extra = c.text("address_extra", max_len=100)
        residency = c.choice("residency", RESIDENCIES, required=True)
        moved_out_on = c.day("moved_out_on")
        if residency == "moved_out" and moved_out_on is None and not rec.cells.get("moved_out_on"):
            c.error("moved_out_on", "required when residency is moved_out")
        phone = c.pattern("phone", _PHONE, "digits and hyphens")
        if len(phone) > 20:
            c.error("phone", "longer than 20 characters")
        household_no = c.pattern("household_no", _ATENA, "1–15 digits")
        head = c.choice("is_household_head", ("1", "0"))
        corporate_no = c.pattern("corporate_no", re.compile(r"[0-9]{13}"), "13 digits")
        if corporate_no:
            if not is_valid_corporate_no(corporate_no):
                c.error("corporate_no", f"check digit does not match (expected {_expected_cd(corporate_no)})")
            elif kind == "individual":
                c.error("corporate_no", "only a business has a corporate number")
        designation_no = c.pattern("designation_no", _CODE, "letters, digits and hyphens")
        if len(designation_no) > 20:
            c.error("designation_no", "longer than 20 characters")
        if c.failed:
            continue
        rows.append(
            PersonRow(
                line=rec.line,
                atena_no=atena_no,
                kind=kind,
                name=name,
                name_kana=name_kana,
                birth_date=birth_date,
                sex=sex,
                postal_code=postal_code,
                address=address,
                address_extra=address_extra,
                residency=residency,
                moved_out_on=moved_out_on,
                phone=phone,
                household_no=household_no or None,
                is_household_head=head == "1",
                corporate_no=corporate_no,
                designation_no=designation_no or None,
            )
        )
    errors.extend(_check_person_file(rows))
    return ParsedFile("persons", present, rows, sort_errors(errors, PERSON_COLUMNS), reader.count)


def sort_errors(errors: Iterable[ParseError], known: Mapping[str, bool]) -> list[ParseError]:
    """Errors by line, then in the spec's column order (``known``: the kind's COLUMNS)."""
    order = {name: i for i, name in enumerate(known)}
    return sorted(errors, key=lambda e: (e.line, order.get(e.column, len(order)), e.column, e.reason))


def _expected_cd(corporate_no: str) -> int:
    return corporate_no_check_digit(corporate_no[1:])


def _check_person_file(rows: Sequence[PersonRow]) -> list[ParseError]:
    """A later row for the same atena_no replaces the earlier one; designation_no stays unique."""
    final: dict[str, PersonRow] = {}
    for row in rows:
        final[row.atena_no] = row
    holders: dict[str, PersonRow] = {}
    errors: list[ParseError] = []
    for row in final.values():
        if row.designation_no is None:
            continue
        other = holders.setdefault(row.designation_no, row)
        if other is not row:
            errors.append(
                ParseError(row.line, "designation_no", f"also given to atena_no {other.atena_no} on line {other.line}")
            )
    return errors


def parse_levies(data: bytes) -> ParsedFile[LevyRow]:
    errors: list[ParseError] = []
    reader = _Reader(data, LEVY_COLUMNS, errors)
    present = reader.present
    rows: list[LevyRow] = []
    for rec in reader:
        c = _Cells(rec.line, rec.cells, present, errors, reader.check_utf8)
        levy_no = c.pattern("levy_no", _CODE, "letters, digits and hyphens", required=True)
        if len(levy_no) > 30:
            c.error("levy_no", "longer than 30 characters")
        revision_no = c.integer("revision_no", 0, MAX_REVISION, f"an integer 0–{MAX_REVISION}", required=True)
        revised_on = c.day("revised_on")
        if revision_no and revised_on is None and not rec.cells.get("revised_on"):
            c.error("revised_on", "required when revision_no > 0")
        atena_no = c.pattern("atena_no", _ATENA, "1–15 digits", required=True)
        revenue = c.choice("revenue", tuple(REVENUES), required=True)
        low, high = FISCAL_YEAR_RANGE
        fiscal_year = c.integer("fiscal_year", low, high, f"a 4-digit year {low}–{high}", required=True)
        if fiscal_year is not None and not _YEAR.fullmatch(rec.cells["fiscal_year"]):
            c.error("fiscal_year", f"{_show(rec.cells['fiscal_year'])} is not a 4-digit year")
        notice_no = c.pattern("notice_no", _CODE, "letters, digits and hyphens", required=True)
        if len(notice_no) > 30:
            c.error("notice_no", "longer than 30 characters")
        installment_no = c.integer("installment_no", 1, 12, "an integer 1–12", required=True)
        nominal = c.day("nominal_due_date", required=True)
        amount = c.integer("amount", 0, MAX_AMOUNT, "an amount of whole yen ≥ 0 without separators", required=True)
        if c.failed or revision_no is None or fiscal_year is None or installment_no is None:
            continue
        if nominal is None or amount is None:
            continue
        rows.append(
            LevyRow(
                line=rec.line,
                levy_no=levy_no,
                revision_no=revision_no,
                revised_on=revised_on,
                atena_no=atena_no,
                revenue=revenue,
                fiscal_year=fiscal_year,
                notice_no=notice_no,
                installment_no=installment_no,
                nominal_due_date=nominal,
                amount=amount,
            )
        )
    errors.extend(_check_levy_file(rows))
    return ParsedFile("levies", present, rows, sort_errors(errors, LEVY_COLUMNS), reader.count)


LEVY_HEADER_FIELDS = ("atena_no", "revenue", "fiscal_year", "notice_no")


def _check_levy_file(rows: Sequence[LevyRow]) -> list[ParseError]:
    """Rows of one levy agree; a revision sends each installment once, and all of them."""
    errors: list[ParseError] = []
    first_of_levy: dict[str, LevyRow] = {}
    first_of_revision: dict[tuple[str, int], LevyRow] = {}
    seen: dict[tuple[str, int, int], LevyRow] = {}
    for row in rows:
        key = (row.levy_no, row.revision_no, row.installment_no)
        if key in seen:
            errors.append(
                ParseError(
                    row.line,
                    "installment_no",
                    f"installment {row.installment_no} of levy {row.levy_no} revision {row.revision_no} "
                    f"already on line {seen[key].line}",
                )
            )
            continue
        seen[key] = row
        levy_first = first_of_levy.setdefault(row.levy_no, row)
        for name in LEVY_HEADER_FIELDS:
            if getattr(row, name) != getattr(levy_first, name):
                errors.append(
                    ParseError(
                        row.line,
                        name,
                        f"differs from line {levy_first.line} for levy {row.levy_no} "
                        f"({getattr(levy_first, name)}); a revision changes amounts and dates only",
                    )
                )
        rev_first = first_of_revision.setdefault((row.levy_no, row.revision_no), row)
        if row.revised_on != rev_first.revised_on:
            errors.append(
                ParseError(
                    row.line,
                    "revised_on",
                    f"differs from line {rev_first.line} for levy {row.levy_no} revision {row.revision_no}",
                )
            )
    # A revision sends every installment of the revision before it (it may add new ones), and
    # an installment keeps its nominal due date across revisions.
    installments: dict[tuple[str, int], set[int]] = {}
    nominal: dict[tuple[str, int], LevyRow] = {}
    for (levy_no, revision_no, installment_no), row in seen.items():
        installments.setdefault((levy_no, revision_no), set()).add(installment_no)
        first = nominal.setdefault((levy_no, installment_no), row)
        if row.nominal_due_date != first.nominal_due_date:
            errors.append(
                ParseError(
                    row.line,
                    "nominal_due_date",
                    f"differs from line {first.line} for installment {installment_no} of levy {levy_no}; "
                    "a revision does not change due dates",
                )
            )
    by_levy: dict[str, list[int]] = {}
    for levy_no, revision_no in installments:
        by_levy.setdefault(levy_no, []).append(revision_no)
    for levy_no, revisions in by_levy.items():
        revisions.sort()
        for before, after in zip(revisions, revisions[1:], strict=False):
            missing = installments[(levy_no, before)] - installments[(levy_no, after)]
            if missing:
                errors.append(
                    ParseError(
                        first_of_revision[(levy_no, after)].line,
                        "installment_no",
                        f"levy {levy_no} revision {after} lacks installments {_nos(missing)} of revision {before}; "
                        "a revision sends every installment",
                    )
                )
    return errors


def _nos(values: Iterable[int]) -> str:
    return ",".join(str(v) for v in sorted(values))


def parse_accounts(data: bytes, *, banks: BankDirectory) -> ParsedFile[AccountRow]:
    errors: list[ParseError] = []
    reader = _Reader(data, ACCOUNT_COLUMNS, errors)
    present = reader.present
    rows: list[AccountRow] = []
    for rec in reader:
        c = _Cells(rec.line, rec.cells, present, errors, reader.check_utf8)
        atena_no = c.pattern("atena_no", _ATENA, "1–15 digits", required=True)
        revenue = c.choice("revenue", tuple(REVENUES), required=True)
        bank_code = c.pattern("bank_code", re.compile(r"[0-9]{4}"), "4 digits", required=True)
        branch_code = c.pattern("branch_code", re.compile(r"[0-9]{3}"), "3 digits", required=True)
        if bank_code and not banks.has_bank(bank_code):
            c.error("bank_code", f"bank {bank_code} is not in the bank code table")
        elif bank_code and branch_code and not banks.has_branch(bank_code, branch_code):
            c.error("branch_code", f"branch {branch_code} of bank {bank_code} is not in the bank code table")
        account_type = c.choice("account_type", ACCOUNT_TYPES, required=True)
        account_no = c.pattern("account_no", re.compile(r"[0-9]{7}"), "7 digits", required=True)
        holder_raw = c.text("holder_kana", max_len=100, required=True)
        holder_kana = ""
        if holder_raw:
            try:
                holder_kana = to_zengin_kana(holder_raw)
            except ZenginKanaError as exc:
                c.error("holder_kana", str(exc))
            else:
                if not holder_kana:
                    c.error("holder_kana", "required")
                elif len(holder_kana) > ZENGIN_NAME_WIDTH:
                    c.error(
                        "holder_kana",
                        f"{len(holder_kana)} characters in Zengin form, the field holds {ZENGIN_NAME_WIDTH}",
                    )
        start_on = c.day("start_on", required=True)
        end_on = c.day("end_on")
        if start_on and end_on and end_on < start_on:
            c.error("end_on", f"{end_on.isoformat()} is before start_on {start_on.isoformat()}")
        if c.failed or start_on is None:
            continue
        rows.append(
            AccountRow(
                line=rec.line,
                atena_no=atena_no,
                revenue=revenue,
                bank_code=bank_code,
                branch_code=branch_code,
                account_type=account_type,
                account_no=account_no,
                holder_kana=holder_kana,
                start_on=start_on,
                end_on=end_on,
            )
        )
    seen: dict[tuple[str, str, date], AccountRow] = {}
    for row in rows:
        key = (row.atena_no, row.revenue, row.start_on)
        first = seen.setdefault(key, row)
        if first is not row:
            errors.append(
                ParseError(
                    row.line,
                    "start_on",
                    f"a mandate for atena_no {row.atena_no}, {row.revenue} from {row.start_on.isoformat()} "
                    f"is already on line {first.line}",
                )
            )
    return ParsedFile("accounts", present, rows, sort_errors(errors, ACCOUNT_COLUMNS), reader.count)


# --- writing ----------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_ROW_TYPES: dict[str, type] = {"persons": PersonRow, "levies": LevyRow, "accounts": AccountRow}


def dump(kind: str, rows: Iterable[PersonRow | LevyRow | AccountRow], *, bom: bool = False) -> bytes:
    """Write rows as an interchange file of ``kind`` (all columns, in the spec's order)."""
    names = [f.name for f in fields(_ROW_TYPES[kind]) if f.name != "line"]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in names])
    data = out.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data

"""Convenience-store barcode (コンビニ収納, GS1-128 標準料金代理収納): 44 digits (formats.md §3.1).

| pos   | len | field (code name)                                   |
|-------|-----|-----------------------------------------------------|
| 1–2   | 2   | AI, always ``91``                                   |
| 3–8   | 6   | 請求書発行企業コード ``company_code``                 |
| 9–29  | 21  | 自由使用欄 ``free_area``: agent prefix + biller key   |
| 30    | 1   | 再発行区分 ``reissue`` (0 = original, 1 = 1st reissue …) |
| 31–36 | 6   | 支払期限日 ``due_date`` YYMMDD (20YY), ``999999`` = none |
| 37    | 1   | 印紙フラグ ``stamp_flag`` (0 for public money)         |
| 38–43 | 6   | 支払金額 ``amount`` in yen                            |
| 44    | 1   | check digit, modulus 10 weights 3/1 over digits 1–43 |

The symbol is Code 128 with FNC1 in first position (GS1-128); FNC1 is not part of the digits.
``build_barcode`` writes the digits choshu prints (stamp flag always 0); ``parse_barcode`` reads
any well-formed barcode (stamp flag 0 or 1) and reports every field that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from choshu.formats.errors import ParseError
from choshu.formats.payment_key import KEY_LENGTH, mod10_w31

AI = "91"
LENGTH = 44
COMPANY_CODE_LENGTH = 6
FREE_AREA_LENGTH = 21
NO_DUE_DATE = "999999"
MAX_AMOUNT = 999_999

# (field, first position 0-based, length) in the 44 digits.
FIELDS: tuple[tuple[str, int, int], ...] = (
    ("ai", 0, 2),
    ("company_code", 2, 6),
    ("free_area", 8, 21),
    ("reissue", 29, 1),
    ("due_date", 30, 6),
    ("stamp_flag", 36, 1),
    ("amount", 37, 6),
    ("check_digit", 43, 1),
)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    reason: str


class BarcodeError(ValueError):
    """A barcode that cannot be built or read; ``problems`` names every bad field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in self.problems))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(p.field for p in self.problems)

    def as_parse_errors(self, *, line: int, column: str = "barcode") -> list[ParseError]:
        """The problems as file errors of one record, e.g. column ``barcode.due_date``."""
        return [ParseError(line, f"{column}.{p.field}", p.reason) for p in self.problems]


@dataclass(frozen=True, slots=True)
class CvsBarcode:
    company_code: str
    free_area: str
    reissue: int
    due_date: date | None  # None: 999999, no due date
    stamp_flag: int
    amount: int
    check_digit: int

    @property
    def digits(self) -> str:
        due = NO_DUE_DATE if self.due_date is None else self.due_date.strftime("%y%m%d")
        return (
            f"{AI}{self.company_code}{self.free_area}{self.reissue}{due}{self.stamp_flag}"
            f"{self.amount:06d}{self.check_digit}"
        )

    def biller_key(self, prefix_length: int) -> str:
        """The 16-digit biller key after the agent's prefix of ``prefix_length`` digits."""
        return split_free_area(self.free_area, prefix_length=prefix_length)[1]


def _is_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def free_area(*, prefix: str, key: str) -> str:
    """The 21-digit free area: the agent's prefix, the biller key, zeros to fill (Hitachi EUR rule)."""
    if not _is_digits(prefix) and prefix != "":
        raise BarcodeError([FieldProblem("free_area", f"agent prefix must be digits: {prefix!r}")])
    if not _is_digits(key):
        raise BarcodeError([FieldProblem("free_area", f"biller key must be digits: {key!r}")])
    if len(prefix) + len(key) > FREE_AREA_LENGTH:
        raise BarcodeError(
            [FieldProblem("free_area", f"prefix ({len(prefix)}) + key ({len(key)}) exceed {FREE_AREA_LENGTH} digits")]
        )
    return (prefix + key).ljust(FREE_AREA_LENGTH, "0")


def split_free_area(value: str, *, prefix_length: int, key_length: int = KEY_LENGTH) -> tuple[str, str]:
    """(agent prefix, biller key) of a 21-digit free area; the rest (zero padding) is dropped."""
    if len(value) != FREE_AREA_LENGTH or not _is_digits(value):
        raise BarcodeError([FieldProblem("free_area", f"must be {FREE_AREA_LENGTH} digits: {value!r}")])
    if not 0 <= prefix_length <= FREE_AREA_LENGTH - key_length:
        raise BarcodeError(
            [FieldProblem("free_area", f"prefix length {prefix_length} leaves no {key_length}-digit key")]
        )
    return value[:prefix_length], value[prefix_length : prefix_length + key_length]


def build_barcode(*, company_code: str, free_area: str, reissue: int, due_date: date | None, amount: int) -> str:
    """The 44 digits of a slip's barcode (stamp flag 0: public money bears no stamp duty)."""
    problems = []
    if len(company_code) != COMPANY_CODE_LENGTH or not _is_digits(company_code):
        problems.append(FieldProblem("company_code", f"must be {COMPANY_CODE_LENGTH} digits: {company_code!r}"))
    if len(free_area) != FREE_AREA_LENGTH or not _is_digits(free_area):
        problems.append(FieldProblem("free_area", f"must be {FREE_AREA_LENGTH} digits: {free_area!r}"))
    if not 0 <= reissue <= 9:
        problems.append(FieldProblem("reissue", f"must be 0–9: {reissue}"))
    if due_date is not None and not 2000 <= due_date.year <= 2099:
        problems.append(FieldProblem("due_date", f"YYMMDD holds years 2000–2099 only: {due_date.isoformat()}"))
    if not 1 <= amount <= MAX_AMOUNT:
        problems.append(FieldProblem("amount", f"must be 1–{MAX_AMOUNT:,} yen: {amount}"))
    if problems:
        raise BarcodeError(problems)
    due = NO_DUE_DATE if due_date is None else due_date.strftime("%y%m%d")
    body = f"{AI}{company_code}{free_area}{reissue}{due}0{amount:06d}"
    return body + str(mod10_w31(body))


def parse_barcode(digits: str) -> CvsBarcode:
    """Read 44 digits; raises ``BarcodeError`` naming every bad field."""
    if not _is_digits(digits):
        raise BarcodeError([FieldProblem("barcode", f"must be digits only: {digits!r}")])
    if len(digits) != LENGTH:
        raise BarcodeError([FieldProblem("barcode", f"must be {LENGTH} digits, not {len(digits)}")])
    part = {name: digits[start : start + size] for name, start, size in FIELDS}
    problems = []
    if part["ai"] != AI:
        problems.append(FieldProblem("ai", f"must be {AI}: {part['ai']}"))
    due_date: date | None = None
    if part["due_date"] != NO_DUE_DATE:
        yy, mm, dd = (int(part["due_date"][i : i + 2]) for i in (0, 2, 4))
        try:
            due_date = date(2000 + yy, mm, dd)
        except ValueError:
            problems.append(FieldProblem("due_date", f"no such date (YYMMDD): {part['due_date']}"))
    if part["stamp_flag"] not in ("0", "1"):
        problems.append(FieldProblem("stamp_flag", f"must be 0 or 1: {part['stamp_flag']}"))
    expected = mod10_w31(digits[:-1])
    if int(part["check_digit"]) != expected:
        problems.append(FieldProblem("check_digit", f"is {part['check_digit']}, modulus 10/3-1 gives {expected}"))
    if problems:
        raise BarcodeError(problems)
    return CvsBarcode(
        company_code=part["company_code"],
        free_area=part["free_area"],
        reissue=int(part["reissue"]),
        due_date=due_date,
        stamp_flag=int(part["stamp_flag"]),
        amount=int(part["amount"]),
        check_digit=int(part["check_digit"]),
    )


def human_readable(digits: str) -> str:
    """The digits as printed under the symbol, grouped by field: ``(91) 912345 … 3``."""
    if len(digits) != LENGTH:
        raise BarcodeError([FieldProblem("barcode", f"must be {LENGTH} digits, not {len(digits)}")])
    ai, *rest = (digits[start : start + size] for _, start, size in FIELDS)
    return f"({ai}) " + " ".join(rest)

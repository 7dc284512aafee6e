"""Export kinds (外部提供データの種類) and the encrypted package they are written into.

An export kind declares the catalogue fields it writes (its columns, in order), the CSV
encoding, how a clerk's list of keys becomes a selection of persons, and how rows are built.
The registry is code: `EXPORT_KINDS`; a later app adds its kinds with `register_export_kind`
(from its AppConfig.ready()).

Kinds today:
- ``persons-field-survey`` 現地調査対象者 (seed 000): moved-out delinquents chosen by 宛名番号;
  ONLY 郵便番号・住所・方書・氏名, plus 整理番号 (the row's serial within the package, not a data
  item: it lets the survey results come back without sending any identifier). UTF-8 with BOM.

Other apps register theirs: the Pay-easy levy upload (payments/levy_upload.py), the print data of
letters and tax-notice slips (notices/print_data.py). A kind in Shift_JIS (cp932) refuses a
character Shift_JIS cannot carry and names the row and column.

The package: a ZIP encrypted with AES-256 (WinZip AE-2, pyzipper) holding one CSV; 7-Zip and
every current archiver open it with the password. The password is random (`new_password`),
printed on the password notice (パスワード通知書) and never stored.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import pyzipper
from django.db.models import F, QuerySet

from choshu.governance.catalogue import CATALOGUE, label_of
from choshu.ledger.models import Installment
from choshu.payments.selectors import payment_pending_installments
from choshu.people.models import Person

# Letters and digits a person can read off paper without doubt: no 0/O/o, 1/l/I, nor 5/S, 2/Z.
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYabcdefghijkmnpqrstuvwxyz346789"
PASSWORD_LENGTH = 20
SERIAL_COLUMN = "整理番号"


class ExportError(ValueError):
    """An export the engine refuses; the message is shown to the user."""


def new_password(length: int = PASSWORD_LENGTH) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


Selector = Callable[[Sequence[str], frozenset[str], date], list[int]]


@dataclass(frozen=True)
class Request:
    """What a kind builds its rows from: the keys the clerk gave, the persons they chose, the day."""

    keys: Sequence[str]
    person_ids: Sequence[int]
    revenues: frozenset[str]
    as_of: date


RowBuilder = Callable[[Request], Iterator[list[str]]]


@dataclass(frozen=True)
class ExportKind:
    code: str
    label: str
    fields: tuple[str, ...]  # catalogue codes, in column order
    encoding: str  # "utf-8-sig" (UTF-8 with BOM) or "cp932" (Shift_JIS)
    key_label: str  # what the clerk types, one per line (宛名番号, 指定番号)
    max_records: int
    revenues: frozenset[str]  # the revenues whose delinquency the kind serves
    select: Selector  # keys → person ids, or ExportError naming every bad key
    rows: RowBuilder  # the request → rows (strings), in the fields' order (+ serial if `serial`)
    serial: bool = False  # prepend 整理番号 (1, 2, …)
    trailer_lines: int = 0  # last rows that are a trailer (件数・合計), not records: not counted
    description: str = ""

    @property
    def encoding_label(self) -> str:
        return "UTF-8(BOM付き)" if self.encoding == "utf-8-sig" else "Shift_JIS"

    def header(self) -> list[str]:
        return ([SERIAL_COLUMN] if self.serial else []) + [label_of(code) for code in self.fields]


EXPORT_KINDS: dict[str, ExportKind] = {}


def register_export_kind(kind: ExportKind) -> None:
    unknown = [code for code in kind.fields if code not in CATALOGUE]
    if unknown:
        raise ValueError(f"export kind {kind.code}: fields outside the catalogue: {unknown}")
    EXPORT_KINDS[kind.code] = kind


def export_kind(code: str) -> ExportKind:
    try:
        return EXPORT_KINDS[code]
    except KeyError:
        raise ExportError(f"未登録の出力種類です: {code}") from None


def clean_keys(text: str) -> list[str]:
    """One key per line (commas and spaces also separate); duplicates dropped, order kept."""
    parts = text.replace(",", "\n").replace("、", "\n").split()
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _overdue_installments(person_ids: Sequence[int], revenues: frozenset[str], as_of: date) -> QuerySet[Installment]:
    """Unpaid after their due date, and no payment pending (速報 without its 確報: no letter, 行き違い)."""
    return Installment.objects.filter(
        levy__person_id__in=list(person_ids),
        levy__revenue__in=sorted(revenues),
        due_date__lt=as_of,
        paid_principal__lt=F("amount"),
    ).exclude(pk__in=payment_pending_installments())


def _delinquent_ids(person_ids: Sequence[int], revenues: frozenset[str], as_of: date) -> set[int]:
    return set(_overdue_installments(person_ids, revenues, as_of).values_list("levy__person_id", flat=True))


def _check_count(kind_max: int, keys: Sequence[str]) -> None:
    if not keys:
        raise ExportError("対象を1件以上入力してください。")
    if len(keys) > kind_max:
        raise ExportError(f"対象は{kind_max:,}件までです({len(keys):,}件)。")


# ---- persons-field-survey (seed 000) ---------------------------------------------------------


def _survey_select(keys: Sequence[str], revenues: frozenset[str], as_of: date) -> list[int]:
    _check_count(800, keys)
    found = {
        atena_no: (pk, residency)
        for pk, atena_no, residency in Person.objects.filter(atena_no__in=list(keys)).values_list(
            "pk", "atena_no", "residency"
        )
    }
    problems = [f"{k}: 宛名番号がありません" for k in keys if k not in found]
    problems += [f"{k}: 区外転出者ではありません" for k in keys if k in found and found[k][1] != "moved_out"]
    ids = [found[k][0] for k in keys if k in found]
    delinquent = _delinquent_ids(ids, revenues, as_of)
    problems += [
        f"{k}: 担当税目に滞納がありません"
        for k in keys
        if k in found and found[k][1] == "moved_out" and found[k][0] not in delinquent
    ]
    if problems:
        raise ExportError("対象にできない宛名があります: " + "; ".join(problems))
    return ids


def _survey_rows(request: Request) -> Iterator[list[str]]:
    person_ids = request.person_ids
    rows = {
        pk: [postal, address, extra, name]
        for pk, postal, address, extra, name in Person.objects.filter(pk__in=list(person_ids)).values_list(
            "pk", "postal_code", "address", "address_extra", "name"
        )
    }
    for serial, pk in enumerate(person_ids, start=1):
        yield [str(serial), *rows[pk]]


FIELD_SURVEY = ExportKind(
    code="persons-field-survey",
    label="現地調査対象者(区外転出滞納者)",
    fields=("person.postal_code", "person.address", "person.address_extra", "person.name"),
    encoding="utf-8-sig",
    key_label="宛名番号",
    max_records=800,
    revenues=frozenset({"resident_ordinary", "resident_special", "light_vehicle", "nhi"}),
    select=_survey_select,
    rows=_survey_rows,
    serial=True,
    description="区外に転出した滞納者(担当税目に納期限を過ぎた未納がある者)、最大800件。",
)


register_export_kind(FIELD_SURVEY)


# ---- the package -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltPackage:
    content: bytes  # the encrypted ZIP
    csv_name: str
    record_count: int


def csv_bytes(kind: ExportKind, rows: Iterator[list[str]]) -> tuple[bytes, int]:
    """The CSV (RFC 4180, CRLF) in the kind's encoding; refuses a character it cannot carry."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    header = kind.header()
    writer.writerow(header)
    count = 0
    try:
        for count, row in enumerate(rows, start=1):  # noqa: B007 - the last value is the count
            if kind.encoding == "cp932":
                for column, value in zip(header, row, strict=True):
                    try:
                        value.encode("cp932")
                    except UnicodeEncodeError as error:
                        bad = value[error.start : error.end]
                        raise ExportError(
                            f"{count}件目の{column}にShift_JISで表せない文字「{bad}」があります。"
                        ) from None
            writer.writerow(row)
    finally:
        if isinstance(rows, Generator):
            rows.close()  # a refusal mid-way closes the rows' database cursor now, inside the transaction
    return text.getvalue().encode(kind.encoding), max(count - kind.trailer_lines, 0)


def build_package(*, kind: ExportKind, rows: Iterator[list[str]], csv_name: str, password: str) -> BuiltPackage:
    """The AES-256 encrypted ZIP (WinZip AES, 256-bit key) holding one CSV."""
    data, count = csv_bytes(kind, rows)
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(password.encode("ascii"))
        zf.setencryption(pyzipper.WZ_AES, nbits=256)
        zf.writestr(csv_name, data)
    return BuiltPackage(content=buffer.getvalue(), csv_name=csv_name, record_count=count)

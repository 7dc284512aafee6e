"""Print data (印字データ) for the print house, as export kinds of the export engine.

**Letters** (``PRINT_KINDS``): a kind takes batch numbers as its keys (督促処理番号 of fixed demand
batches, 催告処理番号 of generated reminder batches): the letters of those batches, of the kind's
revenues and within the preparer's scope, become rows, one per installment on the letter. The
first column, 整理番号, is the letter's number (`DemandLetter.pk`, `Reminder.pk`): not a data item
but the reference printed on each piece, by which the contractor's piece list is reconciled at
delivery (納品検査, notices/delivery.py) and a returned letter is recorded (返戻).

- ``employers-demand-print`` 督促状(特別徴収分), seed 001: ONLY 郵便番号・所在地・事業者氏名・
  指定番号・督促対象期別・課税額・督促額. Shift_JIS.
- ``demand-print`` 督促状(普通徴収・軽自動車税), seed 002 (印字出力処理業務の委託): the tax-form
  letters of persons other than employers, 特別区民税・都民税(普通徴収) and 軽自動車税 lines only
  (not NHI: seed 002 does not cover it). ONLY 郵便番号・住所・方書・氏名・督促対象期別・課税額・
  督促額 and the enclosed 納付書 of the line: 使用期限・コンビニ収納用バーコード (empty above
  ``CVS_BARCODE_CAP``)・収納機関番号・納付番号・確認番号・納付区分・eL-QR. Shift_JIS.
- ``reminder-print`` 催告書(普通徴収・軽自動車税), seed 002: the same letters' reminders (before
  dispatch). ONLY 郵便番号・住所・方書・氏名・文書名・催告対象期別・納期限・本税額・催告額 and the
  enclosed 納付書 as above. Shift_JIS.

The amounts are those the batch fixed (demands: re-read under lock at the fix; reminders: at
generation), not recomputed at export; the enclosed slip bills the line's amount as of the batch's
issue date, exactly as the letter printed in house (letter_pdf.py, ``slips_for_amounts``). The
issue date and the 指定期限 are the batch's, the same for every letter, and are given with the
print order rather than in the rows.

**Slips of the annual notices** (not a letter kind, no delivery inspection by letter number):

- ``tax-notice-slips`` 納付書(税額通知), seed 002: the key is one 年度 (西暦, ``2026``); the
  persons with an unpaid installment of that year's 特別区民税・都民税(普通徴収) or 軽自動車税
  levies (within the preparer's scope), one row per such installment with its slip as of the day
  the package is built (the outstanding principal; a fully paid installment has no slip). ONLY
  郵便番号・住所・方書・氏名・年度・税目・期別・納期限・納付金額・使用期限・バーコード・Pay-easy keys・
  eL-QR, plus 整理番号 = the row's serial. Shift_JIS. Persons in 宛名番号 order, a person's slips
  by levy (通知書) and 期別. Read in chunks of ``CHUNK`` persons, two queries per chunk.

Dates are written in 和暦 as the slip prints them (``令和8年6月30日``), amounts as plain digits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby, islice
from typing import Any, TypeVar

from django.db.models import Exists, F, OuterRef, QuerySet

from choshu.governance.catalogue import label_of
from choshu.governance.exports import ExportError, ExportKind, Request, Selector, register_export_kind
from choshu.ledger.models import Installment, Levy
from choshu.notices.models import DemandBatch, DemandLetter, DemandLine, ReminderBatch, ReminderLine
from choshu.notices.slips import Slip, slips_for_amounts
from choshu.people.models import Person
from choshu.rules.calendar import fiscal_year_label, wareki
from choshu.rules.revenue import REVENUES

PRINTED_TAXES = frozenset({"resident_ordinary", "light_vehicle"})  # seed 002: 特別区民税・都民税及び軽自動車税
MAX_LETTERS = 20_000  # seed 001: about 17,000 letters a year
MAX_SLIPS = 2_000_000  # seed 002: a 350,000-person city has about 500,000 notice slips a year
CHUNK = 5_000  # persons (tax-notice-slips) or lines (demand-print) read at once
PROBLEMS_SHOWN = 30
T = TypeVar("T")


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def installment_label(fiscal_year: int, revenue: str, installment_no: int) -> str:
    """年度・税目・期別 as printed: 「令和8年度 個人住民税(普通徴収) 第1期」."""
    return f"{fiscal_year_label(fiscal_year)} {REVENUES[revenue].label} 第{installment_no}期"


def slip_columns(slip: Slip) -> list[str]:
    """使用期限・コンビニ収納用バーコード・収納機関番号・納付番号・確認番号・納付区分・eL-QR."""
    keys = slip.payeasy
    return [
        wareki(slip.deadline),
        slip.barcode or "",
        keys.institution_no,
        keys.payment_no,
        keys.confirmation_no,
        keys.category,
        slip.qr,
    ]


SLIP_FIELDS = (
    "slip.deadline",
    "slip.barcode",
    "payeasy.institution_no",
    "payeasy.payment_no",
    "payeasy.confirmation_no",
    "payeasy.payment_class",
    "slip.elqr",
)
ADDRESSEE_FIELDS = ("person.postal_code", "person.address", "person.address_extra", "person.name")


@dataclass(frozen=True)
class LetterType:
    """Demand letters or reminders: where their lines are, which batch state prints."""

    name: str  # 督促, 催告: 「督促処理番号」
    batch: type[DemandBatch] | type[ReminderBatch]
    line: type[DemandLine] | type[ReminderLine]
    letter: str  # the line's field naming its letter
    printable: str  # the one batch state whose letters print
    live: Mapping[str, bool]  # the lines that print


DEMANDS = LetterType("督促", DemandBatch, DemandLine, "letter", DemandBatch.State.FIXED, {"active": True})
REMINDERS = LetterType("催告", ReminderBatch, ReminderLine, "reminder", ReminderBatch.State.GENERATED, {})


@dataclass(frozen=True)
class LetterScope:
    """Which letters a kind prints: demands or reminders, of its revenues, of employers or of
    everyone else, and optionally of one form (tax or NHI)."""

    type: LetterType
    revenues: frozenset[str]
    employers: bool
    form: str | None = None

    def lines(self, batch_ids: Sequence[int], revenues: frozenset[str]) -> QuerySet[Any]:
        letter = self.type.letter
        lines = self.type.line._default_manager.filter(
            installment__levy__revenue__in=sorted(self.revenues & revenues),
            **{f"{letter}__batch_id__in": list(batch_ids)},
            **self.type.live,
        )
        if self.form is not None:
            lines = lines.filter(**{f"{letter}__form": self.form})
        business = {f"{letter}__person__kind": Person.Kind.BUSINESS}
        return lines.filter(**business) if self.employers else lines.exclude(**business)

    def letter_ids(self, lines: QuerySet[Any]) -> QuerySet[Any]:
        return lines.values_list(f"{self.type.letter}_id", flat=True)


def _batch_ids(letters: LetterType, keys: Sequence[str]) -> list[int]:
    """処理番号 → batch ids, refusing with every bad key named; only batches in print state print."""
    label = f"{letters.name}処理"
    if not keys:
        raise ExportError(f"{label}番号を1件以上入力してください。")
    numbers = {key: int(key) for key in keys if key.isdigit()}
    states = dict(letters.batch._default_manager.filter(pk__in=list(numbers.values())).values_list("pk", "state"))
    printable = letters.batch.State(letters.printable).label
    problems = [f"{k}: {label}番号は数字です" for k in keys if k not in numbers]
    problems += [f"{k}: {label}がありません" for k, n in numbers.items() if n not in states]
    problems += [
        f"{k}: {letters.batch.State(states[n]).label}の処理です({printable}の処理のみ印字できます)"
        for k, n in numbers.items()
        if n in states and states[n] != letters.printable
    ]
    if problems:
        raise ExportError(f"印字できない{label}があります: " + "; ".join(problems))
    return list(numbers.values())


def letter_selector(scope: LetterScope) -> Selector:
    """A kind's `select`: 処理番号 → the persons of the scope's letters, in letter order."""

    def select(keys: Sequence[str], revenues: frozenset[str], as_of: date) -> list[int]:
        if not scope.revenues & revenues:
            raise ExportError("この印字データの税目が担当税目にありません。")
        batch_ids = _batch_ids(scope.type, keys)
        letter = scope.type.letter
        rows = scope.lines(batch_ids, revenues).order_by(f"{letter}_id").values_list(f"{letter}__person_id", flat=True)
        person_ids = list(dict.fromkeys(rows))
        if not person_ids:
            raise ExportError(f"指定の{scope.type.name}処理に、この印字データの対象となる文書がありません。")
        if len(person_ids) > MAX_LETTERS:
            raise ExportError(f"文書は{MAX_LETTERS:,}通までです({len(person_ids):,}通)。")
        return person_ids

    return select


def printed_lines(scope: LetterScope, request: Request) -> QuerySet[Any]:
    """The lines a package of the kind prints, in print order."""
    letter = scope.type.letter
    return (
        scope.lines([int(k) for k in request.keys], request.revenues)
        .filter(**{f"{letter}__person_id__in": list(request.person_ids)})
        .order_by(f"{letter}_id", "installment__levy__fiscal_year", "installment__due_date", "installment_id")
    )


# ---- employers-demand-print (seed 001) -------------------------------------------------------

EMPLOYERS = LetterScope(DEMANDS, frozenset({"resident_special"}), employers=True)


def _employer_rows(request: Request) -> Iterator[list[str]]:
    rows = printed_lines(EMPLOYERS, request).values_list(
        "letter_id",
        "letter__person__postal_code",
        "letter__person__address",
        "letter__person__name",
        "letter__person__designation_no",
        "installment__levy__fiscal_year",
        "installment__installment_no",
        "tax_amount",
        "amount",
    )
    for letter_id, postal, address, name, designation_no, fiscal_year, no, tax_amount, amount in rows.iterator(
        chunk_size=2000
    ):
        yield [
            str(letter_id),
            postal,
            address,
            name,
            designation_no or "",
            f"{fiscal_year_label(fiscal_year)} 第{no}期",
            str(tax_amount),
            str(amount),
        ]


EMPLOYERS_DEMAND = ExportKind(
    code="employers-demand-print",
    label="督促状(特別徴収分)印字データ",
    fields=(
        "employer.postal_code",
        "employer.location",
        "employer.name",
        "employer.designation_no",
        "demand.installment",
        "demand.tax_amount",
        "demand.demand_amount",
    ),
    encoding="cp932",
    key_label="督促処理番号",
    max_records=MAX_LETTERS,
    revenues=EMPLOYERS.revenues,
    select=letter_selector(EMPLOYERS),
    rows=_employer_rows,
    serial=True,
    description="確定した督促処理の特別徴収義務者あて督促状。督促対象期別ごとに1行、整理番号は文書番号。",
)

# ---- demand-print (seed 002) ------------------------------------------------------------------

PERSONS = LetterScope(DEMANDS, PRINTED_TAXES, employers=False, form=DemandLetter.Form.TAX)


def _demand_rows(request: Request) -> Iterator[list[str]]:
    """One row per line, with the slip enclosed for its 督促額 as of the batch's issue date.

    One query (read in chunks of ``CHUNK`` lines, letters, persons and levies joined); the slips
    of a chunk are built from what it loaded, batch by batch (a batch has one issue date).
    """
    lines = printed_lines(PERSONS, request).select_related("letter__batch", "letter__person", "installment__levy")
    for chunk in _batched(lines.iterator(chunk_size=CHUNK), CHUNK):
        slips: list[Slip] = []
        for issue_date, group in groupby(chunk, key=lambda line: line.letter.batch.issue_date):
            slips += slips_for_amounts(((line.installment, line.amount) for line in group), as_of=issue_date)
        for line, slip in zip(chunk, slips, strict=True):
            person = line.letter.person
            yield [
                str(line.letter_id),
                person.postal_code,
                person.address,
                person.address_extra,
                person.name,
                installment_label(slip.fiscal_year, slip.revenue, slip.installment_no),
                str(line.tax_amount),
                str(line.amount),
                *slip_columns(slip),
            ]


PERSONS_DEMAND = ExportKind(
    code="demand-print",
    label="督促状(普通徴収・軽自動車税)印字データ",
    fields=(*ADDRESSEE_FIELDS, "demand.installment", "demand.tax_amount", "demand.demand_amount", *SLIP_FIELDS),
    encoding="cp932",
    key_label="督促処理番号",
    max_records=MAX_LETTERS,
    revenues=PERSONS.revenues,
    select=letter_selector(PERSONS),
    rows=_demand_rows,
    serial=True,
    description=(
        "確定した督促処理の個人あて督促状(地方税の様式、特別区民税・都民税(普通徴収)・軽自動車税)。"
        "督促対象期別ごとに1行、同封の納付書(督促額、発付日現在)の使用期限・バーコード・ペイジー番号・eL-QR付き。"
        "整理番号は文書番号。"
    ),
)

# ---- reminder-print (seed 002) ----------------------------------------------------------------

REMINDED = LetterScope(REMINDERS, PRINTED_TAXES, employers=False, form=DemandLetter.Form.TAX)


def _reminder_rows(request: Request) -> Iterator[list[str]]:
    """One row per installment owed, with the slip enclosed for it as of the batch's issue date."""
    lines = printed_lines(REMINDED, request).select_related(
        "reminder__batch", "reminder__person", "reminder__level", "installment__levy"
    )
    for chunk in _batched(lines.iterator(chunk_size=CHUNK), CHUNK):
        slips: list[Slip] = []
        for issue_date, group in groupby(chunk, key=lambda line: line.reminder.batch.issue_date):
            slips += slips_for_amounts(((line.installment, line.amount) for line in group), as_of=issue_date)
        for line, slip in zip(chunk, slips, strict=True):
            reminder = line.reminder
            person = reminder.person
            yield [
                str(line.reminder_id),
                person.postal_code,
                person.address,
                person.address_extra,
                person.name,
                reminder.level.get_template_display(),
                installment_label(slip.fiscal_year, slip.revenue, slip.installment_no),
                wareki(slip.due_date),
                str(line.installment.amount),
                str(line.amount),
                *slip_columns(slip),
            ]


REMINDER_PRINT = ExportKind(
    code="reminder-print",
    label="催告書(普通徴収・軽自動車税)印字データ",
    fields=(
        *ADDRESSEE_FIELDS,
        "reminder.document",
        "reminder.installment",
        "slip.due_date",
        "reminder.principal",
        "reminder.amount",
        *SLIP_FIELDS,
    ),
    encoding="cp932",
    key_label="催告処理番号",
    max_records=MAX_LETTERS,
    revenues=REMINDED.revenues,
    select=letter_selector(REMINDED),
    rows=_reminder_rows,
    serial=True,
    description=(
        "作成済(発送前)の催告処理の個人あて催告書(地方税の様式、特別区民税・都民税(普通徴収)・軽自動車税)。"
        "未納の期別ごとに1行、文書名(催告書・最終催告書・差押予告書)と同封の納付書(未納額、発付日現在)付き。"
        "整理番号は文書番号。"
    ),
)

PRINT_KINDS: dict[str, tuple[ExportKind, LetterScope]] = {
    EMPLOYERS_DEMAND.code: (EMPLOYERS_DEMAND, EMPLOYERS),
    PERSONS_DEMAND.code: (PERSONS_DEMAND, PERSONS),
    REMINDER_PRINT.code: (REMINDER_PRINT, REMINDED),
}


# ---- tax-notice-slips (seed 002) -------------------------------------------------------------

NOTICE_ORDER = ("levy__levy_no", "installment_no")  # by levy (通知書), then 期別


def notice_year(keys: Sequence[str]) -> int:
    """The one 年度 (西暦4桁) a notice run is for; ExportError naming what was typed otherwise."""
    if len(keys) == 1 and len(keys[0]) == 4 and keys[0].isascii() and keys[0].isdigit():
        return int(keys[0])
    typed = "、".join(keys) if keys else "なし"
    raise ExportError(f"年度を西暦4桁で1つだけ入力してください(例: 2026)。入力: {typed}")


def _notice_installments(year: int, revenues: frozenset[str]) -> QuerySet[Installment]:
    """The installments with a slip: of the year's levies in ``revenues``, principal outstanding."""
    return Installment.objects.filter(
        levy__fiscal_year=year, levy__revenue__in=sorted(revenues), paid_principal__lt=F("amount")
    )


def _encodes(text: str) -> bool:
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _cp932_problem(code: str, value: str) -> str | None:
    """「氏名(漢字)にShift_JISで表せない文字「𠮷」があります」, or None when Shift_JIS carries it."""
    if _encodes(value):
        return None
    bad = "".join(f"「{c}」" for c in dict.fromkeys(value) if not _encodes(c))
    return f"{label_of(code)}にShift_JISで表せない文字{bad}があります"


def _notice_select(keys: Sequence[str], revenues: frozenset[str], as_of: date) -> list[int]:
    """年度 → the persons with a notice slip, in 宛名番号 order.

    Refuses a key that is not one 4-digit year, a year with no levy (or no unpaid installment) in
    scope, more than ``MAX_SLIPS`` slips, and addressees Shift_JIS cannot carry (naming each
    宛名番号, so that the register can be corrected before the run rather than the build failing
    at a row number).
    """
    scope = PRINTED_TAXES & revenues
    if not scope:
        raise ExportError("この印字データの税目が担当税目にありません。")
    year = notice_year(keys)
    taxes = "・".join(r.label for code, r in REVENUES.items() if code in scope)
    unpaid = _notice_installments(year, scope)
    persons = (
        Person.objects.filter(Exists(unpaid.filter(levy__person_id=OuterRef("pk"))))
        .order_by("atena_no")
        .values_list("pk", "atena_no", "postal_code", "address", "address_extra", "name")
    )
    person_ids: list[int] = []
    problems: list[str] = []
    for pk, atena_no, *texts in persons.iterator(chunk_size=CHUNK):
        person_ids.append(pk)
        for code, text in zip(ADDRESSEE_FIELDS, texts, strict=True):
            if problem := _cp932_problem(code, text):
                problems.append(f"{atena_no}: {problem}")
    if not person_ids:
        if Levy.objects.filter(fiscal_year=year, revenue__in=sorted(scope)).exists():
            raise ExportError(f"{year}年度の{taxes}の調定に、未納の期別がありません。")
        raise ExportError(f"{year}年度の{taxes}の調定がありません。")
    if problems:
        shown = "; ".join(problems[:PROBLEMS_SHOWN])
        more = f"; ほか{len(problems) - PROBLEMS_SHOWN:,}件" if len(problems) > PROBLEMS_SHOWN else ""
        raise ExportError(f"印字できない宛名があります({len(problems):,}件): {shown}{more}")
    records = unpaid.count()
    if records > MAX_SLIPS:
        raise ExportError(f"納付書が{records:,}件あり、1回の上限{MAX_SLIPS:,}件を超えます。")
    return person_ids


def _notice_rows(request: Request) -> Iterator[list[str]]:
    """One row per installment with a slip, as of the build day: two queries per chunk of persons."""
    year = notice_year(request.keys)
    scope = PRINTED_TAXES & request.revenues
    serial = 0
    for chunk in _batched(request.person_ids, CHUNK):
        addressees = {
            pk: [postal, address, extra, name]
            for pk, postal, address, extra, name in Person.objects.filter(pk__in_array=chunk).values_list(
                "pk", "postal_code", "address", "address_extra", "name"
            )
        }
        by_person: dict[int, list[Installment]] = {}
        installments = (
            _notice_installments(year, scope)
            .filter(levy__person_id__in_array=chunk)
            .select_related("levy")
            .order_by("levy__person_id", *NOTICE_ORDER)
        )
        for installment in installments:
            by_person.setdefault(installment.levy.person_id, []).append(installment)
        ordered = [(pk, inst) for pk in chunk for inst in by_person.get(pk, ())]
        slips = slips_for_amounts(
            ((inst, inst.amount - inst.paid_principal) for _, inst in ordered), as_of=request.as_of
        )
        for (pk, _), slip in zip(ordered, slips, strict=True):
            serial += 1
            yield [
                str(serial),
                *addressees[pk],
                installment_label(slip.fiscal_year, slip.revenue, slip.installment_no),
                wareki(slip.due_date),
                str(slip.amount),
                *slip_columns(slip),
            ]


TAX_NOTICE_SLIPS = ExportKind(
    code="tax-notice-slips",
    label="納付書(税額通知)印字データ",
    fields=(
        *ADDRESSEE_FIELDS,
        "slip.installment",
        "slip.due_date",
        "slip.amount",
        *SLIP_FIELDS,
    ),
    encoding="cp932",
    key_label="年度(西暦4桁、例: 2026)",
    max_records=MAX_SLIPS,
    revenues=PRINTED_TAXES,
    select=_notice_select,
    rows=_notice_rows,
    serial=True,
    description=(
        "1年度分の特別区民税・都民税(普通徴収)・軽自動車税の納付書。未納の期別ごとに1行"
        "(作成日現在の未納本税、完納の期別は除く)、バーコード・ペイジー番号・eL-QR付き。"
        f"整理番号は通し番号。最大{MAX_SLIPS:,}件。"
    ),
)


def register() -> None:
    """Called from ``NoticesConfig.ready()``."""
    for kind, _ in PRINT_KINDS.values():
        register_export_kind(kind)
    register_export_kind(TAX_NOTICE_SLIPS)

"""Print data (印字データ) of letters for the print house, as export kinds of the export engine.

A kind takes demand batch numbers (督促処理番号) as its keys: the letters of those fixed batches,
of the kind's revenues and within the preparer's scope, become rows, one per demanded installment
(督促対象期別). The first column, 整理番号, is the letter's number (`DemandLetter.pk`): not a data
item but the reference printed on each piece, by which the contractor's piece list is reconciled
at delivery (納品検査, notices/delivery.py) and a returned letter is recorded (返戻).

- ``employers-demand-print`` 督促状(特別徴収分), seed 001: ONLY 郵便番号・所在地・事業者氏名・
  指定番号・督促対象期別・課税額・督促額. Shift_JIS.

The amounts are those the batch fixed (re-read under lock at the fix), not recomputed at export.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from choshu.governance.exports import ExportError, ExportKind, Request, register_export_kind
from choshu.notices.models import DemandBatch, DemandLine
from choshu.people.models import Person
from choshu.rules.calendar import fiscal_year_label

MAX_LETTERS = 20_000  # seed 001: about 17,000 letters a year


@dataclass(frozen=True)
class LetterScope:
    """Which letters of a batch a kind prints: the revenues, and employers or everyone else."""

    revenues: frozenset[str]
    employers: bool

    def lines(self, batch_ids: Sequence[int], revenues: frozenset[str]) -> QuerySet[DemandLine]:
        lines = DemandLine.objects.filter(
            letter__batch_id__in=list(batch_ids),
            active=True,
            installment__levy__revenue__in=sorted(self.revenues & revenues),
        )
        if self.employers:
            return lines.filter(letter__person__kind=Person.Kind.BUSINESS)
        return lines.exclude(letter__person__kind=Person.Kind.BUSINESS)


def _batch_ids(keys: Sequence[str]) -> list[int]:
    """督促処理番号 → batch ids, refusing with every bad key named; only fixed batches print."""
    if not keys:
        raise ExportError("督促処理番号を1件以上入力してください。")
    numbers = {key: int(key) for key in keys if key.isdigit()}
    states = dict(DemandBatch.objects.filter(pk__in=list(numbers.values())).values_list("pk", "state"))
    problems = [f"{k}: 督促処理番号は数字です" for k in keys if k not in numbers]
    problems += [f"{k}: 督促処理がありません" for k, n in numbers.items() if n not in states]
    problems += [
        f"{k}: {DemandBatch.State(states[n]).label}の処理です(確定した処理のみ印字できます)"
        for k, n in numbers.items()
        if n in states and states[n] != DemandBatch.State.FIXED
    ]
    if problems:
        raise ExportError("印字できない督促処理があります: " + "; ".join(problems))
    return list(numbers.values())


def letter_selector(scope: LetterScope):  # type: ignore[no-untyped-def]
    def select(keys: Sequence[str], revenues: frozenset[str], as_of: date) -> list[int]:
        if not scope.revenues & revenues:
            raise ExportError("この印字データの税目が担当税目にありません。")
        batch_ids = _batch_ids(keys)
        person_ids = list(
            dict.fromkeys(
                scope.lines(batch_ids, revenues).order_by("letter_id").values_list("letter__person_id", flat=True)
            )
        )
        if not person_ids:
            raise ExportError("指定の督促処理に、この印字データの対象となる督促状がありません。")
        if len(person_ids) > MAX_LETTERS:
            raise ExportError(f"督促状は{MAX_LETTERS:,}通までです({len(person_ids):,}通)。")
        return person_ids

    return select


def printed_letters(scope: LetterScope, request: Request) -> QuerySet[DemandLine]:
    """The active lines a package of the kind prints, in print order."""
    return (
        scope.lines([int(k) for k in request.keys], request.revenues)
        .filter(letter__person_id__in=list(request.person_ids))
        .order_by("letter_id", "installment__levy__fiscal_year", "installment__due_date", "installment_id")
    )


# ---- employers-demand-print (seed 001) -------------------------------------------------------

EMPLOYERS = LetterScope(revenues=frozenset({"resident_special"}), employers=True)


def _employer_rows(request: Request) -> Iterator[list[str]]:
    rows = printed_letters(EMPLOYERS, request).values_list(
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

PRINT_KINDS: dict[str, tuple[ExportKind, LetterScope]] = {
    EMPLOYERS_DEMAND.code: (EMPLOYERS_DEMAND, EMPLOYERS),
}


def register() -> None:
    """Called from ``NoticesConfig.ready()``."""
    for kind, _ in PRINT_KINDS.values():
        register_export_kind(kind)

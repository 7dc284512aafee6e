"""現地調査 (field survey of moved-out delinquents, seed 000): choosing whom to survey, and taking
the contractor's results back onto the cases.

**Candidates** (`survey_candidates`, `choshu survey candidates`, 現地調査候補): persons with an open
case holding a revenue of the officer's scope, who moved out of the ward (住登区分 転出), still owe
an installment of that scope past its due date (no payment pending: what the export itself
requires), and could not be reached —

- 返戻: a letter came back from the address on record (`notices.delivery.unreachable_person_ids`), or
- 90日接触なし: no contact with the person for `NO_CONTACT_DAYS` days (the last contact is older,
  or there is none and the case has been open that long — the rule of the work queue 90日接触なし);

leaving out whoever is in a field-survey export (`persons-field-survey`, not cancelled) prepared
in the last `RECENT_SURVEY_DAYS` days. Largest amount owed first (case amount, then 宛名番号), at
most `SURVEY_LIMIT` (the export's limit, seed 000). Three queries whatever the number of persons.
A read: the caller logs the persons it shows (screen, command).

The 宛名番号 go into the export form (governance: kind ``persons-field-survey``, a contract
approving 郵便番号・住所・方書・氏名, a second supervisor's approval, the encrypted medium).

**Results** (`survey_results_import`, `choshu survey import`, 調査結果の取込): the contractor's CSV
(`formats.survey_result`, layout ``choshu-survey-result/1``) for a package that was handed over
(受渡済, 返却済 or 消去確認済) and lies within the officer's scope. The whole file is checked —
its layout, then every 整理番号 against the package (a row of it, not imported before: a package's
results may come in parts, each 整理番号 once) and every 訪問日 (not before the medium was handed
over, not in the future) — and any problem rejects it all, naming file, line and column; nothing
is written. Otherwise, in one transaction: a `SurveyResult` per record (the person is row N of the
package's selection; linked to the person's open case when that case holds a revenue of the
officer's scope), an `Activity` 現地調査 per result with a case (not a contact; dated the visit day
at 12:00; the officer's revenues within the case, so it shows on their timeline), and one
access-log entry (change; ``exportpackage:<id>``, ``count:survey_result:<n>``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.models import Activity, Case, CaseRevenue, SurveyResult
from choshu.cases.selectors import NO_CONTACT_DAYS
from choshu.cases.services import CaseError, case_revenues, delinquent
from choshu.formats.errors import ParseError
from choshu.formats.survey_result import RESIDENCE_LABELS, SERIAL, VISITED_ON, SurveyRecord, describe, read
from choshu.governance.exports import FIELD_SURVEY
from choshu.governance.models import ExportPackage
from choshu.notices.delivery import unreachable_person_ids
from choshu.payments.selectors import payment_pending_installments
from choshu.people.models import Person
from choshu.staff.models import User

SURVEY_KIND = FIELD_SURVEY.code
SURVEY_LIMIT = FIELD_SURVEY.max_records  # 800 (seed 000: 最大800件)
RECENT_SURVEY_DAYS = 180
RETURNED = "返戻"
NO_CONTACT = f"{NO_CONTACT_DAYS}日接触なし"
VISIT_TIME = time(12, 0)  # the contractor reports the day of a visit, not its time
# A package whose medium went to the contractor: the results can only come back from these.
HANDED_OVER_STATES = (
    ExportPackage.State.HANDED_OVER,
    ExportPackage.State.RETURNED,
    ExportPackage.State.ERASED,
)


# ---- candidates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    person_id: int
    atena_no: str
    name: str
    postal_code: str
    address: str
    address_extra: str
    amount: int  # the case's 滞納額(本税), as of its last refresh
    reason: str  # 返戻 / 90日接触なし
    case_id: int
    last_contact_on: date | None

    def as_dict(self) -> dict[str, object]:
        return {
            "person_id": self.person_id,
            "atena_no": self.atena_no,
            "name": self.name,
            "postal_code": self.postal_code,
            "address": self.address,
            "address_extra": self.address_extra,
            "amount": self.amount,
            "reason": self.reason,
            "case_id": self.case_id,
            "last_contact_on": self.last_contact_on.isoformat() if self.last_contact_on else None,
        }


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def recently_surveyed_person_ids(as_of: date, days: int = RECENT_SURVEY_DAYS) -> set[int]:
    """Persons in a field-survey export (not cancelled) prepared on or after ``as_of − days``."""
    selections = (
        ExportPackage.objects.filter(kind=SURVEY_KIND, prepared_at__gte=_local_midnight(as_of - timedelta(days=days)))
        .exclude(state=ExportPackage.State.CANCELLED)
        .values_list("selection", flat=True)
    )
    return {pk for selection in selections for pk in selection}


def survey_candidates(*, actor: User | None, as_of: date, limit: int = SURVEY_LIMIT) -> list[Candidate]:
    """現地調査候補: moved-out delinquents in the actor's scope not reached (see the module)."""
    revenues = case_revenues(actor)
    if not 1 <= limit <= SURVEY_LIMIT:
        raise CaseError(f"件数は1〜{SURVEY_LIMIT}件で指定してください。")
    since = as_of - timedelta(days=NO_CONTACT_DAYS)
    unreachable = unreachable_person_ids()
    surveyed = recently_surveyed_person_ids(as_of)
    held = CaseRevenue.objects.filter(case=OuterRef("pk"), revenue__in=revenues)
    overdue = (
        delinquent(as_of)
        .filter(levy__person=OuterRef("person"), levy__revenue__in=revenues)
        .exclude(pk__in=payment_pending_installments())
    )
    no_contact = Q(last_contact_on__lt=since) | Q(last_contact_on__isnull=True, opened_on__lte=since)
    rows = (
        Case.objects.filter(state=Case.State.OPEN, person__residency=Person.Residency.MOVED_OUT)
        .filter(Exists(held), Exists(overdue))
        .filter(Q(person_id__in_array=sorted(unreachable)) | no_contact)
        .exclude(person_id__in_array=sorted(surveyed))
        .order_by("-amount", "person__atena_no")
        .values_list(
            "person_id",
            "person__atena_no",
            "person__name",
            "person__postal_code",
            "person__address",
            "person__address_extra",
            "amount",
            "pk",
            "last_contact_on",
        )[:limit]
    )
    return [
        Candidate(
            person_id=person_id,
            atena_no=atena_no,
            name=name,
            postal_code=postal_code,
            address=address,
            address_extra=address_extra,
            amount=amount,
            reason=RETURNED if person_id in unreachable else NO_CONTACT,
            case_id=case_id,
            last_contact_on=last_contact_on,
        )
        for person_id, atena_no, name, postal_code, address, address_extra, amount, case_id, last_contact_on in rows
    ]


def candidate_counts(candidates: list[Candidate]) -> dict[str, int]:
    """件数: the total and per reason, and the amount owed."""
    reasons = Counter(c.reason for c in candidates)
    return {
        "total": len(candidates),
        "returned": reasons[RETURNED],
        "no_contact": reasons[NO_CONTACT],
        "amount": sum(c.amount for c in candidates),
    }


# ---- results --------------------------------------------------------------------------------


class SurveyImportError(CaseError):
    """A results file refused as a whole: every problem with its line and column (line 0: the file)."""

    def __init__(self, file_name: str, problems: list[ParseError]) -> None:
        self.file_name = file_name
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__(
            f"{file_name} を取り込めません(問題 {len(self.problems)}件)。ファイル全体を受け付けていません:\n"
            + "\n".join(self.lines())
        )

    def lines(self) -> list[str]:
        """「results.csv 3行目 居住の有無: …」, one per problem."""
        return [describe(self.file_name, p) for p in self.problems]


@dataclass
class ImportSummary:
    package_id: int
    file_name: str
    encoding: str
    imported: int = 0
    with_case: int = 0  # results linked to an open case (each with its activity)
    residence: dict[str, int] = field(default_factory=dict)  # 居住あり/居住なし/不明 → count
    slips_handed: int = 0
    serials: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "package_id": self.package_id,
            "file": self.file_name,
            "encoding": self.encoding,
            "imported": self.imported,
            "with_case": self.with_case,
            "without_case": self.imported - self.with_case,
            "residence": self.residence,
            "slips_handed": self.slips_handed,
        }


def survey_package(actor: User, package_id: int) -> ExportPackage:
    """A field-survey package the actor may take results for; refuses anything else."""
    case_revenues(actor)
    package = ExportPackage.objects.filter(pk=package_id).first()
    if package is None or package.kind != SURVEY_KIND:
        raise CaseError(f"出力番号 {package_id} は現地調査対象者の外部提供データではありません。")
    if set(package.revenues) - actor.scopes():
        raise PermissionDenied("担当外の税目のデータです。")
    return package


def survey_summary(result: SurveyResult, package_id: int) -> str:
    """The activity's text: 「現地調査: 居住あり・外観 …・連絡票交付(出力番号 3・整理番号 12)」."""
    parts = [RESIDENCE_LABELS[result.residence]]
    if result.exterior:
        parts.append(f"外観 {result.exterior}")
    parts.append("連絡票交付" if result.slip_handed else "連絡票交付なし")
    return f"現地調査: {'・'.join(parts)}(出力番号 {package_id}・整理番号 {result.serial})"


def _check(package: ExportPackage, records: list[SurveyRecord], today: date) -> list[ParseError]:
    """The records against the package: rows of it, not imported before, visited while it was out."""
    problems: list[ParseError] = []
    rows = len(package.selection)
    done = dict(
        SurveyResult.objects.filter(package=package, serial__in=[r.serial for r in records]).values_list(
            "serial", "imported_at"
        )
    )
    assert package.handed_over_at is not None
    handed_over_on = timezone.localdate(package.handed_over_at)
    for r in records:
        if not 1 <= r.serial <= rows:
            problems.append(
                ParseError(r.line, SERIAL, f"整理番号 {r.serial} は出力番号 {package.pk} にありません(1〜{rows})")
            )
        elif r.serial in done:
            on = timezone.localdate(done[r.serial])
            problems.append(ParseError(r.line, SERIAL, f"整理番号 {r.serial} は取込済みです({on.isoformat()})"))
        if r.visited_on < handed_over_on:
            problems.append(
                ParseError(
                    r.line,
                    VISITED_ON,
                    f"訪問日 {r.visited_on.isoformat()} が媒体の受渡日({handed_over_on.isoformat()})より前です",
                )
            )
        elif r.visited_on > today:
            problems.append(ParseError(r.line, VISITED_ON, f"訪問日 {r.visited_on.isoformat()} は未来の日付です"))
    return problems


def survey_results_import(
    *,
    actor: User,
    package: ExportPackage,
    text_or_bytes: bytes | str,
    file_name: str,
    channel: str = AccessChannel.WEB,
    client_address: str | None = None,
) -> ImportSummary:
    """調査結果の取込: all of the file or nothing (`SurveyImportError` lists every problem)."""
    scope = set(case_revenues(actor))
    parsed = read(text_or_bytes, file_name=file_name)
    with transaction.atomic():
        # Locked: two imports of the same package's results take their turn.
        package = ExportPackage.objects.select_for_update().get(pk=package.pk)
        if package.kind != SURVEY_KIND:
            raise CaseError(f"出力番号 {package.pk} は現地調査対象者の外部提供データではありません。")
        if set(package.revenues) - scope:
            raise PermissionDenied("担当外の税目のデータです。")
        if package.state not in HANDED_OVER_STATES or package.handed_over_at is None:
            raise CaseError(
                f"出力番号 {package.pk} は委託先に受け渡されていません({package.get_state_display()})。"
                "調査結果は媒体の受渡し後に取り込めます。"
            )
        problems = parsed.problems + _check(package, parsed.records, timezone.localdate())
        if problems:
            raise SurveyImportError(file_name, problems)
        persons = {r.serial: package.selection[r.serial - 1] for r in parsed.records}
        cases = _open_cases(set(persons.values()), scope)
        results = [
            SurveyResult(
                package=package,
                serial=r.serial,
                person_id=persons[r.serial],
                case_id=cases[persons[r.serial]][0] if persons[r.serial] in cases else None,
                residence=r.residence,
                exterior=r.exterior,
                visited_on=r.visited_on,
                slip_handed=r.slip_handed,
                imported_by=actor,
            )
            for r in parsed.records
        ]
        SurveyResult.objects.bulk_create(results)
        zone = timezone.get_current_timezone()
        Activity.objects.bulk_create(
            Activity(
                case_id=result.case_id,
                kind=Activity.Kind.SURVEY,
                occurred_at=datetime.combine(result.visited_on, VISIT_TIME, tzinfo=zone),
                recorded_by=actor,
                contacted=False,
                acknowledged=False,
                summary=survey_summary(result, package.pk),
                revenues=cases[result.person_id][1],
            )
            for result in results
            if result.case_id is not None
        )
        access_log_write(
            actor=actor,
            action=Action.CHANGE,
            subjects=[ref("exportpackage", package.pk), f"count:survey_result:{len(results)}"],
            purpose=f"batch:survey:{package.pk}",
            channel=channel,
            client_address=client_address,
        )
    residence = Counter(RESIDENCE_LABELS[r.residence] for r in results)
    return ImportSummary(
        package_id=package.pk,
        file_name=file_name,
        encoding=parsed.encoding,
        imported=len(results),
        with_case=sum(1 for r in results if r.case_id is not None),
        residence={label: residence[label] for label in RESIDENCE_LABELS.values()},
        slips_handed=sum(1 for r in results if r.slip_handed),
        serials=[r.serial for r in results],
    )


def _open_cases(person_ids: set[int], scope: set[str]) -> dict[int, tuple[int, list[str]]]:
    """person → (open case, its revenues within ``scope``), for the cases holding one of them."""
    held: dict[int, set[str]] = defaultdict(set)
    owner: dict[int, int] = {}
    for case_id, person_id, revenue in CaseRevenue.objects.filter(
        case__state=Case.State.OPEN, case__person_id__in_array=sorted(person_ids), revenue__in=sorted(scope)
    ).values_list("case_id", "case__person_id", "revenue"):
        held[case_id].add(revenue)
        owner[case_id] = person_id
    return {owner[case_id]: (case_id, sorted(revenues)) for case_id, revenues in held.items()}


def package_results(package: ExportPackage) -> list[SurveyResult]:
    """The results imported for a package, by 整理番号 (with person and case)."""
    return list(
        SurveyResult.objects.filter(package=package).select_related("person", "case", "imported_by").order_by("serial")
    )

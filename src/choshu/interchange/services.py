"""Import of interchange files (persons.csv, levies.csv, accounts.csv) into choshu.

``interchange_import`` validates the whole file — first the file itself (formats.interchange),
then against the database — and writes only if nothing is wrong, in one transaction. Every run,
accepted or rejected, is recorded as an ImportRun. Writes are set-based: existing keys are read
in chunks with ``__in`` and rows are written with bulk_create / bulk_update, a handful of
queries per chunk. Only a levy revision of a levy already recorded goes through
``ledger.services.levy_revise`` (it may release paid principal into overpayments).

Natural keys: persons by atena_no; levies by (levy_no, revision_no); accounts by
(atena_no, revenue, start_on). Importing the same content again changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.formats.interchange import (
    COLUMNS,
    LEVY_HEADER_FIELDS,
    PERSON_COLUMNS,
    AccountRow,
    BankDirectory,
    LevyRow,
    ParsedFile,
    ParseError,
    PersonRow,
    parse,
    sort_errors,
)
from choshu.interchange.banks import default_directory
from choshu.interchange.models import ImportRun
from choshu.ledger.models import DebitMandate, Installment, InstallmentAmount, Levy, LevyRevision
from choshu.ledger.services import LedgerError, levy_revise
from choshu.people.kana import kana_key
from choshu.people.models import Household, Person
from choshu.rules.calendar import shift_due_date
from choshu.staff.models import User

CHUNK = 2000
STORED_ERRORS = 200  # how many problems an ImportRun keeps for the result screen

T = TypeVar("T")


@dataclass
class ImportResult:
    file_name: str
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    overpayments: int = 0  # levies only: overpayments (過誤納金) created by revisions
    errors: list[ParseError] = field(default_factory=list)
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "kind": self.kind,
            "ok": self.ok,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "overpayments": self.overpayments,
            "errors": [{"line": e.line, "column": e.column, "reason": e.reason} for e in self.errors],
        }


class _Rejected(Exception):
    def __init__(self, errors: list[ParseError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def interchange_import(
    *,
    actor: User | None,
    kind: str,
    file_name: str,
    data: bytes,
    banks: BankDirectory | None = None,
    chunk_size: int = CHUNK,
    channel: str = AccessChannel.CLI,
    actor_label: str = "",
) -> ImportResult:
    """Import one interchange file of ``kind`` (persons, levies, accounts): all of it or nothing.

    An accepted import writes one access-log entry (action change, purpose
    ``batch:import:<run id>``, subjects ``importrun:<id>`` and ``count:<kind>:<rows>``) in its
    transaction; a rejected one changes nothing and writes none.
    """
    started_at = timezone.now()
    if kind == "accounts" and banks is None:
        banks = default_directory()
    parsed = parse(kind, data, banks=banks)
    result = ImportResult(file_name=file_name, kind=kind, rows=parsed.records, errors=list(parsed.errors))
    run = ImportRun(
        kind=kind,
        file_name=file_name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        started_at=started_at,
        actor=actor,
    )
    if not result.errors:
        try:
            with transaction.atomic():
                if kind == "persons":
                    _import_persons(parsed, result, chunk_size)
                elif kind == "levies":
                    _import_levies(parsed, result, chunk_size, actor)
                else:
                    _import_accounts(parsed, result, chunk_size)
                _save_run(run, result)
                access_log_write(
                    actor=actor,
                    action=Action.CHANGE,
                    subjects=[ref("importrun", run.pk), f"count:{kind}:{result.rows}"],
                    purpose=f"batch:import:{run.pk}",
                    channel=channel,
                    actor_label=actor_label,
                )
        except _Rejected as exc:
            result.errors = sort_errors(exc.errors, COLUMNS[kind])
            result.created = result.updated = result.unchanged = result.overpayments = 0
    if result.errors:
        with transaction.atomic():
            _save_run(run, result)
    result.run_id = run.pk
    return result


def _save_run(run: ImportRun, result: ImportResult) -> None:
    run.rows = result.rows
    run.created, run.updated, run.unchanged = result.created, result.updated, result.unchanged
    run.error_count = len(result.errors)
    run.errors = result.as_dict()["errors"][:STORED_ERRORS]
    run.ok = result.ok
    run.finished_at = timezone.now()
    run.save()


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _person_ids(atena_nos: Iterable[str], size: int) -> dict[str, int]:
    keys = sorted(set(atena_nos))
    found: dict[str, int] = {}
    for part in _chunks(keys, size):
        found.update(Person.objects.filter(atena_no__in=part).values_list("atena_no", "pk"))
    return found


# --- persons ----------------------------------------------------------------------------------

# Column → the Person field it fills (household_no fills the household foreign key).
_PERSON_FIELDS = {name: name for name in PERSON_COLUMNS if name not in ("household_no",)}


def _person_values(row: PersonRow, columns: Sequence[str]) -> tuple[object, ...]:
    return tuple(getattr(row, name) for name in columns)


def _import_persons(parsed: ParsedFile[PersonRow], result: ImportResult, size: int) -> None:
    columns = [name for name in PERSON_COLUMNS if name in parsed.columns]
    db_lookups = ["household__household_no" if name == "household_no" else name for name in columns]
    final: dict[str, PersonRow] = {}
    for row in parsed.rows:
        final[row.atena_no] = row
    keys = sorted(final)

    existing: dict[str, tuple[int, tuple[object, ...]]] = {}
    for part in _chunks(keys, size):
        for values in Person.objects.filter(atena_no__in=part).values_list("pk", *db_lookups):
            pk, *rest = values
            existing[str(rest[0])] = (pk, tuple(rest))

    errors: list[ParseError] = []
    if "designation_no" in parsed.columns:
        wanted = {row.designation_no: row for row in final.values() if row.designation_no}
        for part in _chunks(sorted(wanted), size):
            holders = Person.objects.filter(designation_no__in=part).values_list("designation_no", "atena_no")
            for designation_no, atena_no in holders:
                row = wanted[str(designation_no)]
                if atena_no != row.atena_no:
                    errors.append(
                        ParseError(
                            row.line,
                            "designation_no",
                            f"{designation_no} already belongs to atena_no {atena_no}; clear it there first",
                        )
                    )
    if "birth_date" not in parsed.columns:
        # A file without birth dates may not turn a recorded person without one into an individual.
        individuals = sorted(a for a in existing if final[a].kind == "individual")
        for part in _chunks(individuals, size):
            for atena_no in Person.objects.filter(atena_no__in=part, birth_date__isnull=True).values_list(
                "atena_no", flat=True
            ):
                errors.append(ParseError(final[atena_no].line, "birth_date", "required for individuals"))
    if errors:
        raise _Rejected(errors)

    # Count row by row: the first row of a new number creates, a later different row updates.
    state = {atena_no: values for atena_no, (_pk, values) in existing.items()}
    for row in parsed.rows:
        values = _person_values(row, columns)
        before = state.get(row.atena_no)
        if before is None:
            result.created += 1
        elif before == values:
            result.unchanged += 1
        else:
            result.updated += 1
        state[row.atena_no] = values

    households = _household_ids(final.values(), size) if "household_no" in parsed.columns else {}

    def person_fields(row: PersonRow) -> dict[str, object]:
        values: dict[str, object] = {
            _PERSON_FIELDS[name]: getattr(row, name) for name in columns if name in _PERSON_FIELDS
        }
        if "household_no" in parsed.columns:
            values["household_id"] = households.get(row.household_no) if row.household_no else None
        values["kana_key"] = kana_key(row.name_kana)
        return values

    new = [final[a] for a in keys if a not in existing]
    for new_rows in _chunks(new, size):
        Person.objects.bulk_create([Person(**person_fields(row)) for row in new_rows])
    changed = [
        Person(pk=existing[a][0], **person_fields(final[a]))
        for a in keys
        if a in existing and existing[a][1] != _person_values(final[a], columns)
    ]
    update_fields = [_PERSON_FIELDS[name] for name in columns if name in _PERSON_FIELDS and name != "atena_no"]
    update_fields += ["kana_key"] + (["household"] if "household_no" in parsed.columns else [])
    for people in _chunks(changed, size):
        Person.objects.bulk_update(people, update_fields, batch_size=500)


def _household_ids(rows: Iterable[PersonRow], size: int) -> dict[str, int]:
    wanted = sorted({row.household_no for row in rows if row.household_no})
    found: dict[str, int] = {}
    for part in _chunks(wanted, size):
        found.update(Household.objects.filter(household_no__in=part).values_list("household_no", "pk"))
        missing = [no for no in part if no not in found]
        if missing:
            Household.objects.bulk_create([Household(household_no=no) for no in missing])
            found.update(Household.objects.filter(household_no__in=missing).values_list("household_no", "pk"))
    return found


# --- levies -----------------------------------------------------------------------------------


@dataclass
class _Recorded:
    """What the database holds of one levy."""

    levy: Levy
    atena_no: str
    # revision_no → (revised_on, {installment_no: amount})
    revisions: dict[int, tuple[date | None, dict[int, int]]] = field(default_factory=dict)
    nominal: dict[int, date] = field(default_factory=dict)  # installment_no → nominal due date


def _load_levies(levy_nos: Sequence[str], size: int) -> dict[str, _Recorded]:
    recorded: dict[str, _Recorded] = {}
    for part in _chunks(levy_nos, size):
        levies = {
            levy.pk: _Recorded(levy=levy, atena_no=atena_no)
            for levy, atena_no in (
                (levy, levy.person.atena_no)
                for levy in Levy.objects.filter(levy_no__in=part)
                .select_related("person")
                .only("pk", "levy_no", "revenue", "fiscal_year", "notice_no", "person_id", "person__atena_no")
            )
        }
        if not levies:
            continue
        revision_nos: dict[int, tuple[int, int]] = {}
        for pk, levy_id, revision_no, revised_on in LevyRevision.objects.filter(levy_id__in=levies).values_list(
            "pk", "levy_id", "revision_no", "revised_on"
        ):
            levies[levy_id].revisions[revision_no] = (revised_on, {})
            revision_nos[pk] = (levy_id, revision_no)
        for levy_id, installment_no, nominal in Installment.objects.filter(levy_id__in=levies).values_list(
            "levy_id", "installment_no", "nominal_due_date"
        ):
            levies[levy_id].nominal[installment_no] = nominal
        for revision_id, installment_no, amount in InstallmentAmount.objects.filter(
            revision__levy_id__in=levies
        ).values_list("revision_id", "installment__installment_no", "amount"):
            levy_id, revision_no = revision_nos[revision_id]
            levies[levy_id].revisions[revision_no][1][installment_no] = amount
        recorded.update((r.levy.levy_no, r) for r in levies.values())
    return recorded


def _levy_field(levy: Levy, recorded: _Recorded, name: str) -> object:
    return recorded.atena_no if name == "atena_no" else getattr(levy, name)


def _import_levies(parsed: ParsedFile[LevyRow], result: ImportResult, size: int, actor: User | None) -> None:
    by_levy: dict[str, dict[int, list[LevyRow]]] = {}
    for row in parsed.rows:
        by_levy.setdefault(row.levy_no, {}).setdefault(row.revision_no, []).append(row)
    people = _person_ids((row.atena_no for row in parsed.rows), size)
    recorded = _load_levies(sorted(by_levy), size)

    errors: list[ParseError] = []
    errors += [
        ParseError(row.line, "atena_no", f"no person with atena_no {row.atena_no} (import persons first)")
        for row in parsed.rows
        if row.atena_no not in people
    ]
    new_levies: list[list[LevyRow]] = []  # revision 0 rows of levies not yet recorded
    revisions: list[tuple[str, int, list[LevyRow]]] = []  # new revisions (> 0), in order
    for levy_no, by_revision in by_levy.items():
        rec = recorded.get(levy_no)
        first = by_revision[min(by_revision)][0]
        if rec is not None:
            for name in LEVY_HEADER_FIELDS:
                if getattr(first, name) != _levy_field(rec.levy, rec, name):
                    errors.append(
                        ParseError(
                            first.line,
                            name,
                            f"levy {levy_no} is recorded with {name} {_levy_field(rec.levy, rec, name)}",
                        )
                    )
        known = dict(rec.nominal) if rec else {}
        next_no = max(rec.revisions) + 1 if rec else 0
        for revision_no in sorted(by_revision):
            rows = sorted(by_revision[revision_no], key=lambda r: r.installment_no)
            if rec is not None and revision_no in rec.revisions:
                errors += _compare_recorded(rec, revision_no, rows)
                result.unchanged += len(rows)
                continue
            if revision_no != next_no:
                what = "is not recorded" if next_no == 0 else f"has revision {next_no - 1} as its latest"
                errors.append(
                    ParseError(
                        rows[0].line,
                        "revision_no",
                        f"levy {levy_no} {what}; revision {revision_no} cannot follow (revision {next_no} expected)",
                    )
                )
                break
            sent = {row.installment_no: row for row in rows}
            missing = sorted(set(known) - set(sent))
            if missing:
                errors.append(
                    ParseError(
                        rows[0].line,
                        "installment_no",
                        f"revision {revision_no} of levy {levy_no} lacks installments "
                        f"{','.join(map(str, missing))}; a revision sends every installment",
                    )
                )
            for no, row in sent.items():
                if no in known and known[no] != row.nominal_due_date:
                    errors.append(
                        ParseError(
                            row.line,
                            "nominal_due_date",
                            f"installment {no} of levy {levy_no} is recorded with {known[no].isoformat()}; "
                            "a revision does not change due dates",
                        )
                    )
                known.setdefault(no, row.nominal_due_date)
            if revision_no == 0:
                new_levies.append(rows)
                result.created += len(rows)
            else:
                revisions.append((levy_no, revision_no, rows))
                result.updated += len(rows)
            next_no = revision_no + 1
    if errors:
        raise _Rejected(errors)

    levies = {no: rec.levy for no, rec in recorded.items()}
    revised = {levy_no for levy_no, _revision_no, _rows in revisions}
    for part in _chunks(new_levies, max(1, size // 4)):
        levies.update((levy.levy_no, levy) for levy in _create_levies(part, people) if levy.levy_no in revised)
    for levy_no, revision_no, rows in revisions:
        revised_on = rows[0].revised_on
        assert revised_on is not None  # the codec requires it when revision_no > 0
        try:
            overpayments = levy_revise(
                actor=actor,
                levy=levies[levy_no],
                revision_no=revision_no,
                revised_on=revised_on,
                installments={row.installment_no: (row.nominal_due_date, row.amount) for row in rows},
            )
        except LedgerError as exc:
            raise _Rejected([ParseError(rows[0].line, "revision_no", str(exc))]) from exc
        result.overpayments += len(overpayments)


def _compare_recorded(rec: _Recorded, revision_no: int, rows: Sequence[LevyRow]) -> list[ParseError]:
    """A revision already recorded must come again with identical content (then it is skipped)."""
    revised_on, amounts = rec.revisions[revision_no]
    levy_no = rec.levy.levy_no
    head = f"revision {revision_no} of levy {levy_no} is already recorded"
    errors = []
    if revision_no > 0 and rows[0].revised_on != revised_on:
        shown = revised_on.isoformat() if revised_on else "no date"
        errors.append(ParseError(rows[0].line, "revised_on", f"{head} with revised_on {shown}"))
    sent = {row.installment_no: row for row in rows}
    for no in sorted(set(amounts) - set(sent)):
        errors.append(ParseError(rows[0].line, "installment_no", f"{head} with installment {no}, not sent"))
    for no, row in sent.items():
        if no not in amounts:
            errors.append(ParseError(row.line, "installment_no", f"{head} without installment {no}"))
        elif amounts[no] != row.amount:
            errors.append(ParseError(row.line, "amount", f"{head} with amount {amounts[no]} for installment {no}"))
        elif rec.nominal.get(no) != row.nominal_due_date:
            recorded = rec.nominal[no].isoformat()
            errors.append(ParseError(row.line, "nominal_due_date", f"{head} with {recorded} for installment {no}"))
    return errors


@lru_cache(maxsize=4096)
def _due(nominal: date) -> date:
    return shift_due_date(nominal)


def _create_levies(groups: Sequence[list[LevyRow]], people: dict[str, int]) -> list[Levy]:
    """Revision 0 of new levies: Levy, LevyRevision, Installment and InstallmentAmount rows in bulk.

    Both supported databases return the primary keys of bulk-inserted rows (SQLite ≥ 3.35).
    """
    levies = Levy.objects.bulk_create(
        [
            Levy(
                levy_no=rows[0].levy_no,
                person_id=people[rows[0].atena_no],
                revenue=rows[0].revenue,
                fiscal_year=rows[0].fiscal_year,
                notice_no=rows[0].notice_no,
            )
            for rows in groups
        ]
    )
    revisions = LevyRevision.objects.bulk_create(
        [
            LevyRevision(levy_id=levy.pk, revision_no=0, revised_on=rows[0].revised_on)
            for levy, rows in zip(levies, groups, strict=True)
        ]
    )
    installments: list[Installment] = []
    amounts: list[tuple[int, int]] = []  # (revision id, amount) per installment
    for levy, revision, rows in zip(levies, revisions, groups, strict=True):
        for row in rows:
            due = _due(row.nominal_due_date)
            installments.append(
                Installment(
                    levy_id=levy.pk,
                    installment_no=row.installment_no,
                    nominal_due_date=row.nominal_due_date,
                    due_date=due,
                    legal_due_date=due,
                    amount=row.amount,
                )
            )
            amounts.append((revision.pk, row.amount))
    Installment.objects.bulk_create(installments)
    if any(obj.pk is None for obj in (*levies[:1], *revisions[:1], *installments[:1])):
        raise RuntimeError("the database did not return the keys of bulk-inserted rows")
    InstallmentAmount.objects.bulk_create(
        [
            InstallmentAmount(installment_id=inst.pk, revision_id=revision_id, amount=amount)
            for inst, (revision_id, amount) in zip(installments, amounts, strict=True)
        ]
    )
    return levies


# --- accounts ---------------------------------------------------------------------------------

_MANDATE_FIELDS = ("bank_code", "branch_code", "account_type", "account_no", "holder_kana", "end_on")


def _import_accounts(parsed: ParsedFile[AccountRow], result: ImportResult, size: int) -> None:
    people = _person_ids((row.atena_no for row in parsed.rows), size)
    errors = [
        ParseError(row.line, "atena_no", f"no person with atena_no {row.atena_no} (import persons first)")
        for row in parsed.rows
        if row.atena_no not in people
    ]
    if errors:
        raise _Rejected(errors)
    compared = [name for name in _MANDATE_FIELDS if name in parsed.columns]
    existing: dict[tuple[int, str, date], tuple[int, tuple[object, ...]]] = {}
    person_ids = sorted(set(people.values()))
    for part in _chunks(person_ids, size):
        for pk, person_id, revenue, start_on, *values in DebitMandate.objects.filter(person_id__in=part).values_list(
            "pk", "person_id", "revenue", "start_on", *compared
        ):
            existing[(person_id, revenue, start_on)] = (pk, tuple(values))

    new: list[DebitMandate] = []
    changed: list[DebitMandate] = []
    for row in parsed.rows:
        key = (people[row.atena_no], row.revenue, row.start_on)
        values = {name: getattr(row, name) for name in compared}
        if key not in existing:
            new.append(DebitMandate(person_id=key[0], revenue=row.revenue, start_on=row.start_on, **values))
            result.created += 1
        elif existing[key][1] == tuple(values.values()):
            result.unchanged += 1
        else:
            changed.append(DebitMandate(pk=existing[key][0], **values))
            result.updated += 1
    DebitMandate.objects.bulk_create(new, batch_size=size)
    DebitMandate.objects.bulk_update(changed, compared, batch_size=500)

"""滞納整理 (cases): the opening batch, assignment, activities.

**Opening batch** (`case_open_run`, `choshu case open`): a person whose demand was posted at least
``settings.CASE_OPEN_DAYS`` days before the 基準日 and who still owes principal on a demanded
installment gets a case, unless one is open. Every open case is then refreshed from the ledger —
its revenues (`CaseRevenue`) and the principal owed on its delinquent installments (due before the
基準日, principal unpaid) — and a case that owes nothing any more is closed (完結). A case without
officer is given one by the first fitting `AssignmentRule`; a new case is due for action on the
基準日 (it enters the queue 本日対応). Set-based: a fixed number of queries per run.

**Activities** (交渉経過, `activity_record`): who, when, what; contact with the person sets the
case's last contact; an acknowledgement of the debt (債務承認) records a limitation event on each
delinquent installment of the recording officer's revenues (law.md §6: it renews the period).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.models import Activity, AssignmentRule, Case, CaseRevenue, CaseRun, LimitationEvent
from choshu.ledger import bulk
from choshu.ledger.models import Installment
from choshu.notices.models import DemandBatch, DemandLine
from choshu.rules.revenue import REVENUES
from choshu.staff.models import User


class CaseError(ValueError):
    """Refused; the message is shown to the officer."""


def case_revenues(actor: User | None) -> list[str]:
    """The revenues the actor works cases for (all for the system); refuses other roles."""
    if actor is None:
        return sorted(REVENUES)
    if not actor.can_work_cases():
        raise PermissionDenied("滞納整理の権限がありません(滞納整理担当・国保担当・係長)。")
    return sorted(actor.scopes())


def delinquent(as_of: date) -> QuerySet[Installment]:
    """Installments due before ``as_of`` with principal unpaid (滞納)."""
    return Installment.objects.filter(due_date__lt=as_of, paid_principal__lt=F("amount"))


@dataclass
class OpenResult:
    as_of: date
    opened: list[int] = field(default_factory=list)  # person ids of the new cases
    assigned: int = 0
    closed: int = 0
    run_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "opened": len(self.opened),
            "assigned": self.assigned,
            "closed": self.closed,
        }


def case_open_run(
    *,
    actor: User | None,
    as_of: date,
    days_after_demand: int | None = None,
    dry_run: bool = False,
    channel: str = AccessChannel.CLI,
) -> OpenResult:
    """案件作成: open the cases due, refresh every open case, close those paid up, assign."""
    revenues = case_revenues(actor)
    days = settings.CASE_OPEN_DAYS if days_after_demand is None else days_after_demand
    result = OpenResult(as_of)
    with transaction.atomic():
        open_cases = dict(Case.objects.filter(state=Case.State.OPEN).values_list("person_id", "pk"))
        demanded = (
            DemandLine.objects.filter(
                active=True,
                letter__batch__state=DemandBatch.State.DISPATCHED,
                letter__batch__dispatched_on__lte=as_of - timedelta(days=days),
                installment__levy__revenue__in=revenues,
                installment__paid_principal__lt=F("installment__amount"),
            )
            .values_list("letter__person_id", flat=True)
            .distinct()
        )
        result.opened = sorted(set(demanded) - set(open_cases))
        if dry_run:
            _log(actor, None, result, channel)
            return result
        run = CaseRun.objects.create(as_of=as_of, days_after_demand=days, created_by=actor)
        ids = bulk.reserve_ids(Case, len(result.opened))
        bulk.insert(
            Case,
            ("id", "person_id", "state", "opened_on", "opened_by_run_id", "next_action_on", "amount"),
            (
                (pk, person, Case.State.OPEN, as_of, run.pk, as_of, 0)
                for pk, person in zip(ids, result.opened, strict=True)
            ),
        )
        open_cases.update(zip(result.opened, ids, strict=True))
        result.closed = _refresh(open_cases, as_of)
        result.assigned = _assign(as_of)
        run.opened, run.assigned, run.closed = len(result.opened), result.assigned, result.closed
        run.save(update_fields=["opened", "assigned", "closed"])
        result.run_id = run.pk
        _log(actor, run, result, channel)
    return result


def _refresh(open_cases: dict[int, int], as_of: date) -> int:
    """Revenues and amount of every open case from the ledger; close those owing nothing."""
    owed: dict[int, int] = defaultdict(int)
    revenues: dict[int, set[str]] = defaultdict(set)
    rows = (
        delinquent(as_of)
        .filter(levy__person_id__in_array=list(open_cases))
        .values_list("levy__person_id", "levy__revenue")
        .annotate(owed=Sum(F("amount") - F("paid_principal")))
        .order_by()
    )
    for person_id, revenue, amount in rows:
        owed[open_cases[person_id]] += amount
        revenues[open_cases[person_id]].add(revenue)
    closing = [pk for pk in open_cases.values() if pk not in owed]
    # A closing case keeps the revenues it held, so that it stays visible to their officers.
    CaseRevenue.objects.filter(case_id__in_array=list(owed)).delete()
    bulk.insert(CaseRevenue, ("case_id", "revenue"), ((pk, r) for pk, rs in revenues.items() for r in sorted(rs)))
    bulk.set_column(Case, "amount", {pk: owed.get(pk, 0) for pk in open_cases.values()})
    Case.objects.filter(pk__in_array=closing).update(state=Case.State.CLOSED, closed_on=as_of, next_action_on=None)
    return len(closing)


def _assign(as_of: date) -> int:
    """Give each open case without officer the officer of the first rule it fits."""
    rules = list(AssignmentRule.objects.filter(active=True).order_by("order"))
    if not rules:
        return 0
    cases = Case.objects.filter(state=Case.State.OPEN, officer__isnull=True).values_list(
        "pk", "person__address", "amount"
    )
    held: dict[int, set[str]] = defaultdict(set)
    for case_id, revenue in CaseRevenue.objects.filter(
        case__state=Case.State.OPEN, case__officer__isnull=True
    ).values_list("case_id", "revenue"):
        held[case_id].add(revenue)
    officers: dict[int, int] = {}
    for pk, address, amount in cases:
        for rule in rules:
            if (
                address.startswith(rule.address_prefix)
                and amount >= rule.min_amount
                and (not rule.revenues or held[pk] & set(rule.revenues))
            ):
                officers[pk] = rule.officer_id
                break
    bulk.set_column(Case, "officer_id", officers)
    return len(officers)


def _log(actor: User | None, run: CaseRun | None, result: OpenResult, channel: str) -> None:
    access_log_write(
        actor=actor,
        action=Action.READ if run is None else Action.CHANGE,
        subjects=[*([ref("caserun", run.pk)] if run else []), f"count:case:{len(result.opened)}"],
        purpose=f"batch:case_open:{run.pk}" if run else f"batch:case_open_dry_run:{result.as_of:%Y%m%d}",
        channel=channel,
    )


# ---- by hand ------------------------------------------------------------------------------------


def case_scope(actor: User, case: Case) -> set[str]:
    """The revenues of the case the actor may work; refuses a case with none of them."""
    held = set(case.revenues.values_list("revenue", flat=True))
    mine = held & set(case_revenues(actor))
    if not mine:
        raise PermissionDenied("担当外の税目の案件です。")
    return mine


def case_targets(
    case: Case, *, revenues: Collection[str], on: date, installment_ids: Collection[int] | None, what: str
) -> list[Installment]:
    """The installments a deferral, seizure or suspension of the case takes: the person's delinquent
    installments on ``on`` (due before it, principal unpaid) of ``revenues``, or those chosen of
    them; refuses none, or a chosen one that is not such an installment."""
    owed = delinquent(on + timedelta(days=1)).filter(levy__person_id=case.person_id, levy__revenue__in=sorted(revenues))
    if installment_ids is not None:
        owed = owed.filter(pk__in=list(installment_ids))
    targets = list(owed.select_related("levy").order_by("due_date", "pk"))
    if not targets or (installment_ids is not None and len(targets) != len(set(installment_ids))):
        raise CaseError(f"{what}の対象となる滞納の期別(担当税目)がありません。")
    return targets


@transaction.atomic
def case_assign(*, actor: User, case: Case, officer: User | None, client_address: str | None = None) -> Case:
    """担当者の変更 by a supervisor (係長)."""
    case_scope(actor, case)
    if actor.role != "supervisor":
        raise PermissionDenied("担当者を変更できるのは係長です。")
    if officer is not None and not officer.can_work_cases():
        raise CaseError(f"{officer.get_username()} は滞納整理の担当者になれません。")
    case.officer = officer
    case.save(update_fields=["officer"])
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("person", case.person_id), ref("case", case.pk)],
        purpose=f"case:{case.pk}",
        client_address=client_address,
    )
    return case


@transaction.atomic
def activity_record(
    *,
    actor: User,
    case: Case,
    kind: str,
    occurred_at: datetime,
    summary: str,
    contacted: bool = False,
    acknowledged: bool = False,
    next_action_on: date | None = None,
    client_address: str | None = None,
    channel: str = AccessChannel.WEB,
) -> Activity:
    """交渉経過の記録. An acknowledgement (債務承認) needs contact with the person and renews the
    limitation of the delinquent installments of the officer's revenues in the case."""
    revenues = case_scope(actor, case)
    if kind not in Activity.Kind.values:
        raise CaseError(f"種別が正しくありません: {kind}")
    if not summary.strip():
        raise CaseError("内容を入力してください。")
    if occurred_at > timezone.now():
        raise CaseError("日時が未来です。")
    if acknowledged and not contacted:
        raise CaseError("債務の承認は、本人と接触した記録にのみ付けられます。")
    day = timezone.localdate(occurred_at)
    if next_action_on is not None and next_action_on < day:
        raise CaseError("次回対応日は対応日以降にしてください。")
    activity = Activity.objects.create(
        case=case,
        kind=kind,
        occurred_at=occurred_at,
        recorded_by=actor,
        contacted=contacted,
        acknowledged=acknowledged,
        summary=summary.strip(),
        revenues=sorted(revenues),
    )
    if acknowledged:
        installments = delinquent(day + timedelta(days=1)).filter(
            levy__person_id=case.person_id, levy__revenue__in=sorted(revenues)
        )
        LimitationEvent.objects.bulk_create(
            LimitationEvent(installment_id=pk, kind="acknowledgement", on=day, source=f"activity:{activity.pk}")
            for pk in installments.values_list("pk", flat=True)
        )
    fields = ["next_action_on"]
    case.next_action_on = next_action_on
    if contacted and (case.last_contact_on is None or day > case.last_contact_on):
        case.last_contact_on = day
        fields.append("last_contact_on")
    case.save(update_fields=fields)
    access_log_write(
        actor=actor,
        action=Action.CHANGE,
        subjects=[ref("person", case.person_id), ref("activity", activity.pk)],
        purpose=f"case:{case.pk}",
        client_address=client_address,
        channel=channel,
    )
    return activity

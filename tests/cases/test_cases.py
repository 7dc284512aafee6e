"""Cases: the opening batch (open, refresh, close, assign), one case per obligor across revenues,
activities and the acknowledgement they may carry, and the work queues."""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from choshu.audit.models import AccessLogEntry
from choshu.cases.models import AssignmentRule, Case, CaseRun, LimitationEvent
from choshu.cases.selectors import case_page, queue_cases
from choshu.cases.services import CaseError, activity_record, case_assign, case_open_run
from choshu.ledger.services import counter_payment_post
from choshu.notices.demands import demand_dispatch, demand_run
from choshu.notices.models import DemandBatch
from choshu.people.models import Person
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DUE = date(2025, 6, 30)
ISSUE = date(2025, 7, 15)
OPEN_ON = date(2025, 8, 14)  # 30 days after the demand was posted
TOKYO = ZoneInfo("Asia/Tokyo")


def _demand(due_on: date = DUE, issue: date = ISSUE) -> None:
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=due_on, issue_date=issue).batch_id)
    demand_dispatch(actor=None, batch=batch, dispatched_on=issue)


def _both(**fields: object) -> Person:
    """A person owing resident tax and NHI premiums, both demanded."""
    person = make_person(**fields)
    make_levy(person, [30_000], [DUE], revenue="resident_ordinary")
    make_levy(person, [12_000], [DUE], revenue="nhi")
    return person


def test_one_case_per_obligor_covers_every_revenue_and_each_officer_sees_their_part() -> None:
    person = _both(name="滞納 一郎")
    _demand()
    assert case_open_run(actor=None, as_of=OPEN_ON - timedelta(days=1)).opened == []  # 29 days
    result = case_open_run(actor=None, as_of=OPEN_ON)
    assert result.opened == [person.pk]
    [case] = Case.objects.all()
    assert case.amount == 42_000 and case.next_action_on == OPEN_ON
    assert sorted(case.revenues.values_list("revenue", flat=True)) == ["nhi", "resident_ordinary"]

    both = make_user(Role.OFFICER, ["resident_ordinary", "nhi"])
    page = case_page(case, user=both, today=OPEN_ON)
    assert {line.revenue for line in page.delinquent} == {"resident_ordinary", "nhi"}
    assert sum(line.balance for line in page.delinquent) == 42_000
    nhi = make_user(Role.NHI_OFFICER, ["nhi"])
    page = case_page(case, user=nhi, today=OPEN_ON)
    assert page.revenues == ["nhi"] and [line.revenue for line in page.delinquent] == ["nhi"]
    assert [i.title for i in page.timeline] == ["督促状 発付(督促状(国民健康保険料))"]  # not the tax letter
    light = make_user(Role.OFFICER, ["light_vehicle"])
    assert not queue_cases(light, "open", today=OPEN_ON).exists()
    with pytest.raises(PermissionDenied):
        activity_record(
            actor=light, case=case, kind="phone", occurred_at=datetime(2025, 8, 14, 10, tzinfo=TOKYO), summary="x"
        )


def test_running_again_opens_nothing_twice_and_a_paid_up_case_closes() -> None:
    person = make_person()
    levy = make_levy(person, [9_000], [DUE])
    _demand()
    case_open_run(actor=None, as_of=OPEN_ON)
    assert case_open_run(actor=None, as_of=OPEN_ON).opened == []
    clerk = make_user(Role.CLERK)
    counter_payment_post(
        actor=clerk, person=person, installment_ids=[levy.installments.get().pk], amount=9_000, paid_on=OPEN_ON
    )
    result = case_open_run(actor=None, as_of=OPEN_ON + timedelta(days=1))
    case = Case.objects.get()
    assert result.closed == 1 and case.state == Case.State.CLOSED and case.closed_on == OPEN_ON + timedelta(days=1)
    assert list(case.revenues.values_list("revenue", flat=True)) == ["resident_ordinary"]  # still visible
    assert CaseRun.objects.count() == 3


def test_new_cases_are_assigned_by_the_first_fitting_rule() -> None:
    west = make_person(address="東京都新宿区西新宿2丁目8番1号")
    make_levy(west, [50_000], [DUE])
    small = make_person(address="東京都新宿区西新宿3丁目1番1号")
    make_levy(small, [3_000], [DUE])
    other = make_person(address="東京都新宿区高田馬場1丁目1番1号")
    make_levy(other, [8_000], [DUE], revenue="nhi")
    _demand()
    big_officer, nhi_officer = make_user(Role.OFFICER), make_user(Role.NHI_OFFICER, ["nhi"])
    AssignmentRule.objects.create(order=1, address_prefix="東京都新宿区西新宿", min_amount=10_000, officer=big_officer)
    AssignmentRule.objects.create(order=2, revenues=["nhi"], officer=nhi_officer)
    result = case_open_run(actor=None, as_of=OPEN_ON)
    officers = dict(Case.objects.values_list("person_id", "officer_id"))
    assert result.assigned == 2
    assert officers == {west.pk: big_officer.pk, small.pk: None, other.pk: nhi_officer.pk}


def test_the_dry_run_writes_nothing_but_its_log_and_the_command_reports() -> None:
    _both()
    _demand()
    before = AccessLogEntry.objects.count()
    assert len(case_open_run(actor=None, as_of=OPEN_ON, dry_run=True).opened) == 1
    assert not Case.objects.exists() and AccessLogEntry.objects.count() == before + 1
    call_command("case", "open", "--as-of", OPEN_ON.isoformat(), "--json")
    assert Case.objects.count() == 1


def test_the_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    _both()
    _demand()
    call_command("case", "open", "--as-of", OPEN_ON.isoformat(), "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["opened"] == 1 and out["closed"] == 0 and not out["dry_run"]


def test_the_query_count_does_not_grow_with_the_cases() -> None:
    def run(persons: int, as_of: date) -> int:
        due = as_of - timedelta(days=45)
        for _ in range(persons):
            person = make_person()
            make_levy(person, [30_000], [due], revenue="resident_ordinary")
            make_levy(person, [12_000], [due], revenue="nhi")
        _demand(due, as_of - timedelta(days=30))
        with CaptureQueriesContext(connection) as queries:
            assert len(case_open_run(actor=None, as_of=as_of).opened) == persons
        return len(queries)

    assert run(2, date(2025, 8, 14)) == run(12, date(2025, 9, 14))


def test_an_acknowledged_call_renews_limitation_and_sets_the_contact() -> None:
    person = _both()
    _demand()
    case_open_run(actor=None, as_of=OPEN_ON)
    case = Case.objects.get()
    officer = make_user(Role.OFFICER, ["resident_ordinary"])
    at = datetime(2025, 8, 14, 10, 30, tzinfo=TOKYO)
    with pytest.raises(CaseError, match="本人と接触"):
        activity_record(actor=officer, case=case, kind="phone", occurred_at=at, summary="留守", acknowledged=True)
    activity = activity_record(
        actor=officer,
        case=case,
        kind="phone",
        occurred_at=at,
        summary="本人と話し、9月から分納したいとの申出",
        contacted=True,
        acknowledged=True,
        next_action_on=date(2025, 8, 20),
    )
    case.refresh_from_db()
    assert case.last_contact_on == date(2025, 8, 14) and case.next_action_on == date(2025, 8, 20)
    events = LimitationEvent.objects.filter(source=f"activity:{activity.pk}")
    assert [(e.installment.levy.revenue, e.kind, e.on) for e in events] == [
        ("resident_ordinary", "acknowledgement", date(2025, 8, 14))
    ]  # the officer's revenue only: the NHI premiums were not discussed by them
    assert activity.revenues == ["resident_ordinary"]
    nhi = make_user(Role.NHI_OFFICER, ["nhi"])
    assert all(item.kind != "交渉経過" for item in case_page(case, user=nhi, today=OPEN_ON).timeline)
    assert person.pk == case.person_id


def test_queues() -> None:
    _both()
    _demand()
    case_open_run(actor=None, as_of=OPEN_ON)
    officer = make_user(Role.OFFICER)
    assert queue_cases(officer, "today", today=OPEN_ON).count() == 1
    assert queue_cases(officer, "today", today=OPEN_ON, mine=True).count() == 0
    assert queue_cases(officer, "no_contact", today=OPEN_ON + timedelta(days=89)).count() == 0
    assert queue_cases(officer, "no_contact", today=OPEN_ON + timedelta(days=90)).count() == 1
    assert queue_cases(officer, "breach", today=OPEN_ON).count() == 0


def test_only_a_supervisor_assigns_by_hand() -> None:
    _both()
    _demand()
    case_open_run(actor=None, as_of=OPEN_ON)
    case = Case.objects.get()
    officer = make_user(Role.OFFICER)
    with pytest.raises(PermissionDenied):
        case_assign(actor=officer, case=case, officer=officer)
    with pytest.raises(CaseError, match="担当者になれません"):
        case_assign(actor=make_user(Role.SUPERVISOR), case=case, officer=make_user(Role.CLERK))
    case_assign(actor=make_user(Role.SUPERVISOR), case=case, officer=officer)
    assert Case.objects.get().officer == officer

"""分納誓約: creating a plan (targets, schedule, one plan in force per case, scope, the acknowledgement
it records), its progress (partial and reversed payments), the breach run (grace days, completion,
dry run, a constant number of queries), the command, the two PDFs, and a property test over random
schedules and payments."""

import json
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pytest_django import DjangoAssertNumQueries

from choshu.audit.models import AccessLogEntry
from choshu.cases.models import Case, LimitationEvent, PaymentPlan, PlanTarget
from choshu.cases.plan_pdf import breach_notice_pdf, pledge_pdf
from choshu.cases.plans import PlanError, case_plans, plan_breach_run, plan_cancel, plan_create, plan_progress
from choshu.ledger.models import Installment, Payment
from choshu.ledger.services import LedgerError, counter_payment_post, payment_reverse
from choshu.people.models import Person
from choshu.rules.calendar import wareki
from choshu.staff.models import Role, User
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user

pytestmark = pytest.mark.django_db

PLEDGED = date(2025, 12, 1)
SCHEDULE = [(date(2025, 12, 25), 40_000), (date(2026, 1, 26), 30_000), (date(2026, 2, 25), 30_000)]
GRACE = 10  # settings.PLAN_GRACE_DAYS
State = PaymentPlan.State


@dataclass
class World:
    officer: User  # 滞納整理担当, resident tax only
    clerk: User
    person: Person
    case: Case
    resident: list[Installment]  # 100,000 delinquent, in three installments
    nhi: Installment  # 20,000 delinquent, outside the officer's scope


@pytest.fixture
def world() -> World:
    person = make_person()
    levy = make_levy(person, [30_000, 30_000, 40_000], [date(2025, 6, 30), date(2025, 7, 31), date(2025, 9, 30)])
    nhi = make_levy(person, [20_000], [date(2025, 7, 31)], revenue="nhi")
    return World(
        officer=make_user(Role.OFFICER, ["resident_ordinary"]),
        clerk=make_user(Role.CLERK, ALL_REVENUES),
        person=person,
        case=Case.objects.create(person=person, opened_on=date(2025, 11, 1)),
        resident=list(levy.installments.order_by("installment_no")),
        nhi=nhi.installments.get(),
    )


def _plan(
    w: World, schedule: list[tuple[date, int]] = SCHEDULE, installment_ids: list[int] | None = None, note: str = ""
) -> PaymentPlan:
    return plan_create(
        actor=w.officer, case=w.case, pledged_on=PLEDGED, schedule=schedule, installment_ids=installment_ids, note=note
    )


def _pay(w: World, amount: int, paid_on: date, installments: list[Installment] | None = None) -> Payment:
    ids = [i.pk for i in installments or w.resident]
    return counter_payment_post(actor=w.clerk, person=w.person, installment_ids=ids, amount=amount, paid_on=paid_on)


def _state(plan: PaymentPlan) -> str:
    plan.refresh_from_db()
    return plan.state


# ---- creating a plan ----------------------------------------------------------------------------


def test_a_plan_covers_the_delinquent_principal_of_the_officers_revenues(world: World) -> None:
    _pay(world, 5_000, date(2025, 10, 15), [world.resident[0]])  # before the pledge: 95,000 remain
    schedule = [(date(2025, 12, 25), 35_000), *SCHEDULE[1:]]
    plan = _plan(world, schedule, note="毎月25日に窓口で納付")
    assert (plan.state, plan.total, plan.revenues, plan.created_by) == (
        State.ACTIVE,
        95_000,
        ["resident_ordinary"],
        world.officer,
    )
    targets = dict(PlanTarget.objects.filter(plan=plan).values_list("installment_id", "amount"))
    assert targets == {world.resident[0].pk: 25_000, world.resident[1].pk: 30_000, world.resident[2].pk: 40_000}
    assert [(s.number, s.due_on, s.amount) for s in plan.schedule.all()] == [
        (n, d, a) for n, (d, a) in enumerate(schedule, start=1)
    ]
    world.case.refresh_from_db()
    assert world.case.next_action_on == date(2025, 12, 25) + timedelta(days=GRACE)
    assert world.case.last_contact_on == PLEDGED
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.actor_id == world.officer.pk
    assert entry.subjects == [f"person:{world.person.pk}", f"paymentplan:{plan.pk}"]
    assert entry.purpose == f"case:{world.case.pk}"


def test_the_pledge_records_an_acknowledgement_per_target(world: World) -> None:
    plan = _plan(world)
    events = LimitationEvent.objects.filter(source=f"plan:{plan.pk}")
    assert sorted(events.values_list("installment_id", "kind", "on")) == [
        (i.pk, "acknowledgement", PLEDGED) for i in world.resident
    ]
    plan_cancel(actor=world.officer, plan=plan, reason="誓約内容の変更")
    assert events.count() == 3  # the acknowledgement was made: a cancellation leaves it


def test_the_schedule_must_add_up_to_the_unpaid_principal(world: World) -> None:
    short = [*SCHEDULE[:2], (date(2026, 2, 25), 29_000)]
    with pytest.raises(PlanError, match="差額 1,000円 不足") as info:
        _plan(world, short)
    assert "99,000円" in str(info.value) and "100,000円" in str(info.value)
    with pytest.raises(PlanError, match="差額 500円 超過"):
        _plan(world, [*SCHEDULE[:2], (date(2026, 2, 25), 30_500)])
    assert not PaymentPlan.objects.exists() and not LimitationEvent.objects.exists()


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ([], "1回以上"),
        ([(date(2025, 12, 25), 100_000), (date(2026, 1, 25), 0)], "第2回の金額は1円以上"),
        ([(date(2025, 11, 30), 100_000)], "第1回の納付予定日は誓約日以降"),
        ([(date(2026, 1, 25), 50_000), (date(2026, 1, 25), 50_000)], "第2回の納付予定日は第1回より後"),
    ],
)
def test_a_malformed_schedule_is_refused(world: World, schedule: list[tuple[date, int]], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        _plan(world, schedule)


def test_one_plan_in_force_per_case(world: World) -> None:
    first = _plan(world)
    with pytest.raises(PlanError, match="先に取り消してください"):
        _plan(world)
    PaymentPlan.objects.filter(pk=first.pk).update(state=State.BREACHED)  # a breached plan is in force too
    with pytest.raises(PlanError, match="不履行の分納誓約"):
        _plan(world)
    cancelled = plan_cancel(actor=world.officer, plan=first, reason="分納額の見直し", cancelled_on=date(2026, 1, 5))
    assert (cancelled.state, cancelled.closed_on) == (State.CANCELLED, date(2026, 1, 5))
    assert cancelled.note.startswith("取消理由: 分納額の見直し")
    with pytest.raises(PlanError, match="取消です"):
        plan_cancel(actor=world.officer, plan=first, reason="再度")
    assert _plan(world).state == State.ACTIVE


def test_cancelling_needs_a_reason_and_the_plans_revenues(world: World) -> None:
    plan = _plan(world)
    with pytest.raises(PlanError, match="取消理由"):
        plan_cancel(actor=world.officer, plan=plan, reason="  ")
    with pytest.raises(PermissionDenied, match="担当外"):
        plan_cancel(actor=make_user(Role.NHI_OFFICER, ["nhi"]), plan=plan, reason="誤り")
    assert _state(plan) == State.ACTIVE


def test_out_of_scope_foreign_or_paid_installments_are_refused(world: World) -> None:
    total = [(date(2025, 12, 25), 120_000)]
    with pytest.raises(PermissionDenied, match="担当外の税目です: 国民健康保険料"):
        _plan(world, total, installment_ids=[i.pk for i in world.resident] + [world.nhi.pk])
    stranger = make_levy(make_person(), [10_000], [date(2025, 6, 30)]).installments.get()
    with pytest.raises(PlanError, match="この宛名の期別ではない"):
        _plan(world, [(date(2025, 12, 25), 10_000)], installment_ids=[stranger.pk])
    _pay(world, 30_000, date(2025, 10, 1), [world.resident[0]])
    with pytest.raises(PlanError, match="完納済み"):
        _plan(world, [(date(2025, 12, 25), 60_000)], installment_ids=[world.resident[0].pk, world.resident[1].pk])
    with pytest.raises(PermissionDenied, match="分納誓約の権限"):
        plan_create(actor=world.clerk, case=world.case, pledged_on=PLEDGED, schedule=SCHEDULE)
    assert not PaymentPlan.objects.exists()


def test_chosen_installments_may_cross_revenues_for_an_officer_holding_both(world: World) -> None:
    world.officer = make_user(Role.SUPERVISOR, ALL_REVENUES)
    plan = _plan(world, [(date(2025, 12, 25), 50_000)], installment_ids=[world.resident[0].pk, world.nhi.pk])
    assert plan.total == 50_000 and plan.revenues == ["nhi", "resident_ordinary"]
    default = Case.objects.create(person=make_person(), opened_on=PLEDGED)
    with pytest.raises(PlanError, match="対象となる滞納"):
        plan_create(actor=world.officer, case=default, pledged_on=PLEDGED, schedule=SCHEDULE)


# ---- progress -----------------------------------------------------------------------------------


def test_progress_with_a_partial_payment(world: World, django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    _pay(world, 5_000, date(2025, 11, 20), [world.resident[0]])  # before the pledge: not the plan's
    plan = _plan(world, [(date(2025, 12, 25), 35_000), *SCHEDULE[1:]])
    _pay(world, 25_000, date(2025, 12, 20))
    with django_assert_max_num_queries(2):
        p = plan_progress(plan, date(2026, 1, 31))
    assert (p.total, p.promised, p.paid, p.arrears, p.remaining, p.unpaid) == (
        95_000,
        65_000,
        25_000,
        40_000,
        70_000,
        70_000,
    )
    assert [(r.due, r.met, r.covered) for r in p.rows] == [(True, False, 25_000), (True, False, 0), (False, False, 0)]
    assert (p.next_due_on, p.next_amount) == (date(2026, 2, 25), 30_000)
    ahead = plan_progress(plan, date(2025, 12, 21))  # paid ahead of the first date: nothing in arrears
    assert (ahead.promised, ahead.arrears, ahead.next_due_on, ahead.next_amount) == (0, 0, date(2025, 12, 25), 10_000)


def test_progress_counts_a_reversal_negatively(world: World) -> None:
    before = _pay(world, 5_000, date(2025, 11, 20), [world.resident[0]])
    plan = _plan(world, [(date(2025, 12, 25), 35_000), *SCHEDULE[1:]])
    paid = _pay(world, 35_000, date(2025, 12, 24))
    assert plan_progress(plan, date(2026, 1, 5)).rows[0].met
    boss = make_user(Role.SUPERVISOR, ALL_REVENUES)
    payment_reverse(actor=boss, payment=paid, reason="不渡り")
    p = plan_progress(plan, date(2026, 1, 5))
    assert (p.paid, p.arrears, p.remaining, p.rows[0].met) == (0, 35_000, 95_000, False)
    payment_reverse(actor=boss, payment=before, reason="誤入力")  # before the pledge: not the plan's either way
    p = plan_progress(plan, date(2026, 1, 5))
    assert (p.paid, p.remaining, p.unpaid) == (0, 95_000, 100_000)


def test_case_plans_lists_the_plans_with_their_progress(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    old = _plan(world)
    plan_cancel(actor=world.officer, plan=old, reason="見直し")
    new = _plan(world, [(date(2025, 12, 26), 100_000)])
    _pay(world, 60_000, date(2025, 12, 26))
    with django_assert_max_num_queries(2):
        plans = case_plans(world.case, as_of=date(2026, 1, 10))
        assert [(p.plan.pk, p.paid, p.arrears, [r.number for r in p.rows]) for p in plans] == [
            (new.pk, 60_000, 40_000, [1]),
            (old.pk, 60_000, 0, [1, 2, 3]),
        ]
    assert case_plans(world.case, revenues=["nhi"]) == []


# ---- the breach run -----------------------------------------------------------------------------


def test_a_plan_is_breached_after_the_grace_days_not_before(world: World) -> None:
    plan = _plan(world)
    last_day = date(2025, 12, 25) + timedelta(days=GRACE - 1)
    result = plan_breach_run(actor=world.officer, as_of=last_day)
    assert (result.checked, result.breached, _state(plan)) == (1, [], State.ACTIVE)
    result = plan_breach_run(actor=world.officer, as_of=last_day + timedelta(days=1))
    assert [(b.plan_id, b.promised, b.paid, b.arrears) for b in result.breached] == [(plan.pk, 40_000, 0, 40_000)]
    plan.refresh_from_db()
    world.case.refresh_from_db()
    assert (plan.state, plan.breached_on) == (State.BREACHED, date(2026, 1, 4))
    assert world.case.next_action_on == date(2026, 1, 4)  # into the work queue
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "change" and entry.purpose == "batch:plan_breach:20260104"
    assert "count:plan_breached:1" in entry.subjects


def test_a_payment_within_the_grace_days_keeps_the_plan(world: World) -> None:
    plan = _plan(world)
    _pay(world, 40_000, date(2026, 1, 2))  # late, but within the grace days
    assert plan_breach_run(actor=None, as_of=date(2026, 1, 20)).breached == []
    assert plan_breach_run(actor=None, as_of=date(2026, 2, 6)).breached[0].arrears == 30_000
    assert _state(plan) == State.BREACHED


def test_a_plan_paid_in_full_is_completed_breached_or_not(world: World) -> None:
    kept = _plan(world)
    _pay(world, 100_000, date(2025, 12, 20))
    result = plan_breach_run(actor=None, as_of=date(2026, 3, 31))
    assert (result.completed, result.breached) == ([kept.pk], [])
    kept.refresh_from_db()
    assert (kept.state, kept.closed_on) == (State.COMPLETED, date(2026, 3, 31))

    other = make_person()
    levy = make_levy(other, [50_000], [date(2025, 6, 30)])
    case = Case.objects.create(person=other, opened_on=PLEDGED)
    late = plan_create(actor=world.officer, case=case, pledged_on=PLEDGED, schedule=[(date(2025, 12, 25), 50_000)])
    plan_breach_run(actor=None, as_of=date(2026, 1, 10))
    assert _state(late) == State.BREACHED
    counter_payment_post(
        actor=world.clerk,
        person=other,
        installment_ids=[levy.installments.get().pk],
        amount=60_000,
        paid_on=date(2026, 2, 1),
    )  # paid at last, with its late fee
    assert plan_breach_run(actor=None, as_of=date(2026, 2, 2)).completed == [late.pk]
    assert _state(late) == State.COMPLETED


def test_the_breach_run_keeps_to_the_actors_revenues(world: World) -> None:
    plan = _plan(world)
    nhi_officer = make_user(Role.NHI_OFFICER, ["nhi"])
    result = plan_breach_run(actor=nhi_officer, as_of=date(2026, 3, 1))
    assert (result.checked, result.breached) == (0, [])
    assert _state(plan) == State.ACTIVE
    with pytest.raises(PermissionDenied):
        plan_breach_run(actor=world.clerk, as_of=date(2026, 3, 1))


def test_a_dry_run_writes_nothing_but_its_log(world: World) -> None:
    plan = _plan(world)
    world.case.refresh_from_db()
    before = (world.case.next_action_on, AccessLogEntry.objects.count())
    result = plan_breach_run(actor=world.officer, as_of=date(2026, 3, 1), dry_run=True)
    assert result.dry_run and len(result.breached) == 1
    world.case.refresh_from_db()
    assert _state(plan) == State.ACTIVE and world.case.next_action_on == before[0]
    assert AccessLogEntry.objects.count() == before[1] + 1
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "read" and entry.purpose == "batch:plan_breach_dry_run:20260301"


def _plans(n: int, officer: User, clerk: User) -> list[PaymentPlan]:
    """``n`` plans: a third paid in full, a third not paid, a third paid for the first row."""
    made = []
    for k in range(n):
        person = make_person()
        levy = make_levy(person, [20_000, 10_000], [date(2025, 6, 30), date(2025, 8, 31)])
        case = Case.objects.create(person=person, opened_on=PLEDGED)
        plan = plan_create(
            actor=officer,
            case=case,
            pledged_on=PLEDGED,
            schedule=[(date(2025, 12, 25), 15_000), (date(2026, 1, 26), 15_000)],
        )
        if k % 3:
            ids = list(levy.installments.values_list("pk", flat=True))
            amount = 30_000 if k % 3 == 1 else 15_000
            counter_payment_post(
                actor=clerk, person=person, installment_ids=ids, amount=amount, paid_on=date(2025, 12, 20)
            )
        made.append(plan)
    return made


def test_the_breach_run_issues_as_many_queries_for_30_plans_as_for_3(world: World) -> None:
    _plans(3, world.officer, world.clerk)
    with transaction.atomic(), CaptureQueriesContext(connection) as three:
        few = plan_breach_run(actor=world.officer, as_of=date(2026, 2, 10))
        transaction.set_rollback(True)
    _plans(27, world.officer, world.clerk)
    with CaptureQueriesContext(connection) as thirty:
        many = plan_breach_run(actor=world.officer, as_of=date(2026, 2, 10))
    assert (few.checked, len(few.breached), len(few.completed)) == (3, 2, 1)
    assert (many.checked, len(many.breached), len(many.completed)) == (30, 20, 10)
    assert len(thirty.captured_queries) == len(three.captured_queries)
    assert PaymentPlan.objects.filter(state=State.BREACHED).count() == 20


def test_the_command_reports_json(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(world)
    call_command("plan", "breach", "--as-of", "2026-01-04", "--dry-run", "--json", "--user", world.officer.username)
    dry = json.loads(capsys.readouterr().out)
    assert (dry["dry_run"], dry["plans"], dry["breached"], dry["arrears"]) == (True, 1, 1, 40_000)
    assert _state(plan) == State.ACTIVE
    call_command("plan", "breach", "--as-of", "2026-01-04", "--json", "--user", world.officer.username)
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "as_of": "2026-01-04",
        "grace_days": GRACE,
        "promised_by": "2025-12-25",
        "dry_run": False,
        "plans": 1,
        "breached": 1,
        "completed": 0,
        "arrears": 40_000,
    }
    assert _state(plan) == State.BREACHED
    call_command("plan", "breach", "--as-of", "2026-01-05")
    assert "対象 1 件、不履行 0 件" in capsys.readouterr().out  # a breached plan is not breached again


# ---- the documents ------------------------------------------------------------------------------


def _text(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    run = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return run.stdout.split("\f")[:-1]


def _row(text: str, *cells: str) -> bool:
    """Some line of the text holds every cell, left to right."""
    pattern = r"\s(?:.*\s)?".join(re.escape(cell) for cell in cells)
    return any(re.search(pattern, line) for line in text.splitlines())


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_pledge_lists_the_installments_and_the_schedule(world: World, tmp_path: Path) -> None:
    plan = _plan(world)
    [page] = _text(pledge_pdf(plan), tmp_path)
    assert "分納誓約書" in page and f"分納誓約第{plan.pk}号" in page and wareki(PLEDGED) in page
    assert "(宛先)" in page and "新宿区長" in page and world.person.atena_no in page
    first = world.resident[0]
    assert _row(
        page, "令和7年度", "個人住民税(普通徴収)", "第1期", wareki(first.due_date), first.levy.levy_no, "30,000"
    )
    for n, (due_on, amount) in enumerate(SCHEDULE, start=1):
        assert _row(page, f"第{n}回", wareki(due_on), f"{amount:,}")
    assert _row(page, "合計", "100,000円")
    flat = _flat(page)
    assert "滞納していることを承認し" in flat and "この分納誓約は取り消され" in flat and "滞納処分" in flat
    assert "延滞金は本税の完納後に別に納付します" in flat
    assert all(_row(page, label) for label in ("誓約者", "住所", "氏名", "電話番号", "印"))


def test_a_long_schedule_goes_on_to_a_second_page(world: World, tmp_path: Path) -> None:
    schedule = [(date(2025, 12, 1) + timedelta(days=7 * n), 2_000) for n in range(50)]
    plan = _plan(world, schedule)
    pages = _text(pledge_pdf(plan), tmp_path)
    assert len(pages) >= 2 and "分納誓約書(続き)" in pages[1]
    text = "\n".join(pages)
    assert all(_row(text, f"第{n}回", wareki(d), "2,000") for n, (d, _) in enumerate(schedule, start=1))
    assert "氏名" in pages[-1]


def test_the_breach_notice_names_the_unpaid_amounts_and_the_deadline(world: World, tmp_path: Path) -> None:
    plan = _plan(world)
    _pay(world, 25_000, date(2025, 12, 24))
    plan_breach_run(actor=None, as_of=date(2026, 1, 4))
    plan.refresh_from_db()
    [page] = _text(breach_notice_pdf(plan, issue_date=date(2026, 1, 6)), tmp_path)
    assert "分納不履行通知書" in page and f"{world.person.name} 様" in page and "〒160-0022" in page
    assert _row(page, "第1回", wareki(date(2025, 12, 25)), "40,000", "25,000", "15,000")
    assert not _row(page, "第2回")
    assert _row(page, "指定期限", wareki(date(2026, 1, 16)))
    assert _row(page, "未納の誓約額", "15,000円") and _row(page, "残額", "75,000円")
    flat = _flat(page)
    assert "令和7年12月1日に誓約された税の分納" in flat and "納付するか" in flat and "ご相談ください" in flat
    with pytest.raises(PlanError, match="未納の誓約額がありません"):
        breach_notice_pdf(plan, issue_date=date(2025, 12, 26), as_of=date(2025, 12, 20))


# ---- the property -------------------------------------------------------------------------------


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _split(total: int, weights: list[int]) -> list[int]:
    """``total`` in len(weights) parts of 1 yen or more, roughly by weight (fewer parts if too small)."""
    weights = weights[: max(1, min(len(weights), total))]
    rest = total - len(weights)
    parts = [1 + rest * w // sum(weights) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


payment = st.tuples(st.just("pay"), st.integers(1, 70_000), st.integers(0, 300))
reversal = st.tuples(st.just("reverse"), st.integers(0, 20), st.just(0))


def test_no_plan_balance_below_zero_and_completed_iff_paid() -> None:
    """For random schedules and payments (back-dated, reversed, overpaid): the balances never go below
    zero, every yen reaching the targets since the pledge is counted, and the run completes a plan
    exactly when its targets are paid and breaches it exactly when the promises due are not met."""
    officer = make_user(Role.OFFICER, ALL_REVENUES)
    clerk = make_user(Role.CLERK, ALL_REVENUES)
    boss = make_user(Role.SUPERVISOR, ALL_REVENUES)
    pledged = date(2025, 3, 1)

    @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        amounts=st.lists(st.integers(1, 40_000), min_size=1, max_size=3),
        weights=st.lists(st.integers(1, 100), min_size=1, max_size=6),
        gaps=st.lists(st.integers(1, 60), min_size=6, max_size=6),
        ops=st.lists(st.one_of(payment, reversal), max_size=8),
        as_of_days=st.integers(0, 400),
    )
    def check(
        amounts: list[int], weights: list[int], gaps: list[int], ops: list[tuple[str, int, int]], as_of_days: int
    ) -> None:
        with rolled_back():
            person = make_person()
            levy = make_levy(person, amounts, [date(2024, 6 + n, 28) for n in range(len(amounts))], fiscal_year=2024)
            ids = list(levy.installments.values_list("pk", flat=True))
            case = Case.objects.create(person=person, opened_on=pledged)
            parts = _split(sum(amounts), weights)
            dates = [pledged + timedelta(days=sum(gaps[: n + 1])) for n in range(len(parts))]
            schedule = list(zip(dates, parts, strict=True))
            plan = plan_create(actor=officer, case=case, pledged_on=pledged, schedule=schedule)
            for kind, value, day in ops:
                if kind == "pay":
                    counter_payment_post(
                        actor=clerk,
                        person=person,
                        installment_ids=ids,
                        amount=value,
                        paid_on=pledged + timedelta(days=day),
                    )
                    continue
                live = list(
                    Payment.objects.filter(person=person, reverses__isnull=True, reversal__isnull=True).order_by("pk")
                )
                if live:
                    try:
                        payment_reverse(actor=boss, payment=live[value % len(live)], reason="訂正")
                    except LedgerError:
                        pass
            as_of = pledged + timedelta(days=as_of_days)
            p = plan_progress(plan, as_of)
            promised = sum(a for d, a in schedule if d <= as_of)
            assert p.total == sum(amounts) and p.promised == promised
            assert 0 <= p.paid <= p.total
            assert p.paid == p.total - p.unpaid  # every yen reaching the targets since the pledge, no more
            assert p.remaining == max(p.total - p.paid, 0) == p.unpaid >= 0
            assert p.arrears == max(promised - p.paid, 0) >= 0
            met = [row.met for row in p.rows]
            assert met == sorted(met, reverse=True)  # the rows met come first
            assert sum(row.covered for row in p.rows) == p.paid

            grace_promised = sum(a for d, a in schedule if d <= as_of - timedelta(days=GRACE))
            plan_breach_run(actor=None, as_of=as_of)
            state = _state(plan)
            event(f"state {state}")
            assert (state == State.COMPLETED) == (p.unpaid == 0)
            assert (state == State.BREACHED) == (p.unpaid > 0 and grace_promised > p.paid)

    check()

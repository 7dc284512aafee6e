"""The limitation batch (時効管理): events gathered from demands, reminders and recorded events, the
kinds read from the rule rows, the stored completion dates, the summary, scope, the command."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from choshu.audit.models import AccessLogEntry, Action
from choshu.cases.limitation import (
    LimitationError,
    installment_events,
    installments_completing,
    limitation_horizon,
    limitation_kinds,
    limitation_run,
)
from choshu.cases.models import InstallmentLimitation, LimitationEvent, LimitationRule, LimitationRun
from choshu.ledger.models import Installment
from choshu.ledger.services import counter_payment_post, payment_reverse
from choshu.notices.demands import demand_cancel, demand_run
from choshu.notices.models import DemandBatch, Reminder, ReminderBatch, ReminderLevel, ReminderLine
from choshu.people.models import Person
from choshu.rules.limitation import DEFAULT_KINDS, Event
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db

TAX_DUE = date(2020, 6, 30)  # a Tuesday: due date = legal due date
PLAIN_TAX = date(2025, 6, 30)  # 5 years from the day after (民法143条)
NHI_DUE = date(2023, 7, 31)  # a Monday
PLAIN_NHI = date(2025, 7, 31)  # 2 years
AS_OF = date(2025, 3, 1)  # horizon: 2025-09-01


def _tax(person: Person | None = None, amount: int = 50_000, due: date = TAX_DUE) -> Installment:
    levy = make_levy(person or make_person(), [amount], [due], revenue="resident_ordinary", fiscal_year=2020)
    return levy.installments.get()


def _nhi(person: Person | None = None, amount: int = 20_000) -> Installment:
    return make_levy(person or make_person(), [amount], [NHI_DUE], revenue="nhi", fiscal_year=2023).installments.get()


def _stored(installment: Installment) -> InstallmentLimitation:
    return InstallmentLimitation.objects.get(installment=installment)


def _completes(installment: Installment, as_of: date = AS_OF) -> date | None:
    limitation_run(actor=None, as_of=as_of)
    return _stored(installment).completes_on


def _event(installment: Installment, kind: str, on: date, until: date | None = None) -> None:
    LimitationEvent.objects.create(installment=installment, kind=kind, on=on, until=until, source="plan:1")


def _reminder(
    installment: Installment, dispatched_on: date | None, state: str = ReminderBatch.State.DISPATCHED
) -> None:
    batch = ReminderBatch.objects.create(
        as_of=dispatched_on or AS_OF, issue_date=dispatched_on or AS_OF, state=state, dispatched_on=dispatched_on
    )
    level = ReminderLevel.objects.order_by("order").first()
    assert level is not None  # seeded by the notices migrations
    reminder = Reminder.objects.create(
        batch=batch, person=installment.levy.person, form="tax", level=level, amount=installment.amount
    )
    ReminderLine.objects.create(reminder=reminder, installment=installment, amount=installment.amount)


# ---- the periods ----------------------------------------------------------------------------------


def test_a_tax_installment_completes_after_five_years() -> None:
    inst = _tax()
    result = limitation_run(actor=None, as_of=AS_OF)
    row = _stored(inst)
    assert (row.completes_on, row.extinguished_on, row.ground, row.computed_on) == (PLAIN_TAX, None, "", AS_OF)
    assert result.horizon == date(2025, 9, 1)
    assert (result.installments, result.within_six_months, result.extinguished) == (1, 1, 0)
    run = LimitationRun.objects.get(pk=result.run_id)
    assert (run.as_of, run.installments, run.within_six_months, run.extinguished) == (AS_OF, 1, 1, 0)


def test_extinguished_the_day_after_completion() -> None:
    inst = _tax()
    limitation_run(actor=None, as_of=PLAIN_TAX)  # the last day: not extinguished yet
    assert _stored(inst).extinguished_on is None
    result = limitation_run(actor=None, as_of=date(2025, 7, 1))
    row = _stored(inst)
    assert (row.completes_on, row.extinguished_on, row.ground) == (PLAIN_TAX, date(2025, 7, 1), "limitation")
    assert (result.extinguished, result.within_six_months) == (1, 0)
    assert result.rows[0].extinguished_amount == 50_000


def test_an_nhi_installment_completes_after_two_years() -> None:
    inst = _nhi()
    assert _completes(inst) == PLAIN_NHI


# ---- events -------------------------------------------------------------------------------------


def test_a_fixed_demand_renews_after_its_tenth_day() -> None:
    inst = _tax()
    demand_run(actor=None, due_on=TAX_DUE, issue_date=date(2020, 7, 15))
    assert DemandBatch.objects.get().state == DemandBatch.State.FIXED
    assert installment_events([inst.pk]) == {inst.pk: [Event("demand", date(2020, 7, 15))]}
    assert _completes(inst) == date(2025, 7, 25)  # anew after 2020-07-25, the 指定期限


def test_a_cancelled_demand_does_not_renew() -> None:
    inst = _tax()
    result = demand_run(actor=None, due_on=TAX_DUE, issue_date=date(2020, 7, 15))
    demand_cancel(actor=None, batch=DemandBatch.objects.get(pk=result.batch_id), reason="宛先誤り")
    assert installment_events([inst.pk]) == {}
    assert _completes(inst) == PLAIN_TAX


def test_a_pledge_renews_from_the_next_day() -> None:
    inst = _tax()
    _event(inst, "acknowledgement", date(2023, 4, 10))
    assert _completes(inst) == date(2028, 4, 10)


def test_a_dispatched_reminder_postpones_completion_by_six_months() -> None:
    inst, waiting = _tax(), _tax()
    _reminder(inst, date(2025, 3, 10))
    _reminder(waiting, None, state=ReminderBatch.State.GENERATED)  # not posted: no event
    assert installment_events([inst.pk, waiting.pk]) == {inst.pk: [Event("reminder", date(2025, 3, 10))]}
    limitation_run(actor=None, as_of=date(2025, 4, 1))
    assert _stored(inst).completes_on == date(2025, 9, 10)
    assert _stored(waiting).completes_on == PLAIN_TAX


def test_only_what_happened_by_the_as_of_date_counts() -> None:
    inst, seized = _tax(), _tax()
    _event(inst, "acknowledgement", date(2025, 5, 1))  # after AS_OF: not known yet
    _event(seized, "seizure", date(2024, 1, 10), until=date(2024, 2, 1))
    limitation_run(actor=None, as_of=date(2024, 1, 20))  # the seizure is still in force
    assert _stored(seized).completes_on is None
    limitation_run(actor=None, as_of=AS_OF)
    assert _stored(inst).completes_on == PLAIN_TAX
    assert _stored(seized).completes_on == date(2029, 2, 1)  # anew from the day after the release


def test_the_kinds_are_the_rule_rows() -> None:
    assert limitation_kinds() == DEFAULT_KINDS
    demanded = _tax()
    demand_run(actor=None, due_on=TAX_DUE, issue_date=date(2020, 7, 15))
    pledged = _tax()  # after the demand batch: not demanded
    _event(pledged, "acknowledgement", date(2023, 4, 10))
    LimitationRule.objects.filter(code="demand").update(offset_days=0)
    LimitationRule.objects.filter(code="acknowledgement").update(effect="none")
    limitation_run(actor=None, as_of=AS_OF)
    assert _stored(demanded).completes_on == date(2025, 7, 15)  # anew after the issue date itself
    assert _stored(pledged).completes_on == PLAIN_TAX


def test_an_event_kind_without_a_rule_stops_the_run() -> None:
    inst = _tax()
    _event(inst, "acknowledgement", date(2023, 4, 10))
    LimitationRule.objects.filter(code="acknowledgement").delete()
    with pytest.raises(LimitationError, match=f"期別 #{inst.pk}"):
        limitation_run(actor=None, as_of=AS_OF)
    assert not InstallmentLimitation.objects.exists() and not LimitationRun.objects.exists()


# ---- what is stored -------------------------------------------------------------------------------


def test_the_run_replaces_the_rows_and_drops_paid_installments() -> None:
    person = make_person()
    paid, partly = _tax(person), _tax(person, amount=30_000)
    limitation_run(actor=None, as_of=date(2024, 1, 1))
    clerk = make_user(Role.CLERK)
    counter_payment_post(actor=clerk, person=person, installment_ids=[paid.pk], amount=50_000, paid_on=TAX_DUE)
    counter_payment_post(actor=clerk, person=person, installment_ids=[partly.pk], amount=10_000, paid_on=TAX_DUE)
    result = limitation_run(actor=None, as_of=AS_OF)
    assert list(InstallmentLimitation.objects.values_list("installment_id", "computed_on")) == [(partly.pk, AS_OF)]
    [row] = result.rows
    assert (row.revenue, row.fiscal_year, row.installments, row.amount) == ("resident_ordinary", 2020, 1, 20_000)
    assert (row.within_six_months, row.within_six_months_amount) == (1, 20_000)


def test_installments_completing_within_six_months() -> None:
    soon, later, nhi = _tax(), _tax(due=date(2021, 6, 30)), _nhi()
    limitation_run(actor=None, as_of=AS_OF)
    assert list(installments_completing(as_of=AS_OF).values_list("installment_id", flat=True)) == [soon.pk, nhi.pk]
    assert list(installments_completing(as_of=AS_OF, revenues=["nhi"]).values_list("installment_id", flat=True)) == [
        nhi.pk
    ]
    # counted from the day after the as-of date (民法140条・143条)
    assert limitation_horizon(date(2024, 12, 29)) == date(2025, 6, 29)
    assert limitation_horizon(date(2024, 12, 31)) == PLAIN_TAX
    assert not installments_completing(as_of=date(2024, 12, 29)).exists()
    assert list(installments_completing(as_of=date(2024, 12, 31)).values_list("installment_id", flat=True)) == [soon.pk]
    assert later.pk not in set(installments_completing(as_of=AS_OF, months=12).values_list("installment_id", flat=True))


def test_dry_run_writes_nothing_but_its_log_entry() -> None:
    _tax(), _nhi()
    result = limitation_run(actor=None, as_of=AS_OF, dry_run=True)
    assert result.dry_run and result.run_id is None
    assert (result.installments, result.within_six_months) == (2, 2)
    assert not InstallmentLimitation.objects.exists() and not LimitationRun.objects.exists()
    entry = AccessLogEntry.objects.get()
    assert entry.action == Action.READ and entry.purpose == "batch:limitation_dry_run:20250301"
    assert entry.subjects == ["count:installment:2"]


# ---- set-based ----------------------------------------------------------------------------------


def _population(count: int) -> None:
    for n in range(count):
        inst = _tax() if n % 2 else _nhi()
        if n % 3 == 0:
            _event(inst, "acknowledgement", date(2023, 4, 10))


def _queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        limitation_run(actor=None, as_of=AS_OF)
    return len(queries.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_installments() -> None:
    _population(3)
    demand_run(actor=None, due_on=TAX_DUE, issue_date=date(2020, 7, 15))
    few = _queries()
    _population(27)
    assert _queries() == few
    assert InstallmentLimitation.objects.count() == 30


def test_chunks_give_the_same_result() -> None:
    _population(7)
    whole = limitation_run(actor=None, as_of=AS_OF)
    stored = set(InstallmentLimitation.objects.values_list("installment_id", "completes_on"))
    chunked = limitation_run(actor=None, as_of=AS_OF, chunk_size=2)
    assert set(InstallmentLimitation.objects.values_list("installment_id", "completes_on")) == stored
    assert [r.as_dict() for r in chunked.rows] == [r.as_dict() for r in whole.rows]
    assert InstallmentLimitation.objects.count() == 7


# ---- rights, scope, log, command ------------------------------------------------------------------


def test_an_nhi_officer_computes_only_nhi_installments() -> None:
    person = make_person()
    tax, nhi = _tax(person), _nhi(person)
    limitation_run(actor=None, as_of=date(2024, 1, 1))
    officer = make_user(Role.NHI_OFFICER, ["nhi"])
    result = limitation_run(actor=officer, as_of=AS_OF)
    assert result.revenues == ["nhi"] and [r.revenue for r in result.rows] == ["nhi"]
    assert result.installments == 1
    assert _stored(nhi).computed_on == AS_OF
    assert _stored(tax).computed_on == date(2024, 1, 1)  # another revenue's row is left as it was


def test_a_clerk_may_not_run_it() -> None:
    with pytest.raises(PermissionDenied):
        limitation_run(actor=make_user(Role.CLERK), as_of=AS_OF)


def test_one_access_log_entry_per_run() -> None:
    _population(4)
    officer = make_user(Role.OFFICER)
    result = limitation_run(actor=officer, as_of=AS_OF)
    entry = AccessLogEntry.objects.get()
    assert entry.actor_id == officer.pk and entry.action == Action.CHANGE and entry.channel == "cli"
    assert entry.purpose == f"batch:limitation:{result.run_id}"
    assert entry.subjects == [f"limitationrun:{result.run_id}", "count:installment:4"]
    assert LimitationRun.objects.get().created_by == officer


def test_the_command_prints_json() -> None:
    _tax(), _tax(amount=7_000), _nhi()
    make_user(Role.SUPERVISOR, username="kakaricho")
    out = StringIO()
    call_command("limitation", "report", "--as-of", "2025-03-01", "--json", "--user", "kakaricho", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["run_id"] == LimitationRun.objects.get().pk and payload["dry_run"] is False
    assert (payload["as_of"], payload["horizon"]) == ("2025-03-01", "2025-09-01")
    assert (payload["installments"], payload["amount"]) == (3, 77_000)
    assert (payload["within_six_months"], payload["within_six_months_amount"], payload["extinguished"]) == (
        3,
        77_000,
        0,
    )
    assert [(r["revenue"], r["fiscal_year"], r["amount"]) for r in payload["rows"]] == [
        ("resident_ordinary", 2020, 57_000),
        ("nhi", 2023, 20_000),
    ]
    assert InstallmentLimitation.objects.count() == 3


def test_the_command_prints_a_table_and_a_dry_run_stores_nothing() -> None:
    _tax(), _nhi()
    out = StringIO()
    call_command("limitation", "report", "--as-of", "2025-03-01", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "試行" in text and "個人住民税(普通徴収)" in text and "国民健康保険料" in text and "合計" in text
    assert "70,000" in text
    assert not InstallmentLimitation.objects.exists()


def test_a_partial_payment_renews_but_a_reversed_one_does_not() -> None:
    paying = _tax(amount=50_000)
    counter_payment_post(
        actor=make_user(Role.CLERK),
        person=paying.levy.person,
        installment_ids=[paying.pk],
        amount=10_000,
        paid_on=date(2022, 3, 15),
    )
    assert _completes(paying) == date(2027, 3, 15)  # 承認 by payment (DESIGN.md): anew from the next day
    reversed_ = _tax(amount=50_000)
    clerk = make_user(Role.CLERK)
    payment = counter_payment_post(
        actor=clerk,
        person=reversed_.levy.person,
        installment_ids=[reversed_.pk],
        amount=10_000,
        paid_on=date(2022, 3, 15),
    )
    payment_reverse(actor=make_user(Role.SUPERVISOR), payment=payment, reason="誤入力")
    assert _completes(reversed_) == PLAIN_TAX

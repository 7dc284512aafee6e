"""催告書: one level up from the last letter actually sent, when its days and amount are reached;
generating and dispatching are separate; nothing twice while a batch waits; a constant number of
queries."""

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from choshu.ledger.services import counter_payment_post
from choshu.notices.demands import DemandError, demand_dispatch, demand_run
from choshu.notices.models import DemandBatch, Reminder, ReminderBatch, ReminderLevel
from choshu.notices.reminders import reminder_cancel, reminder_dispatch, reminder_generate, reminder_selection
from choshu.people.models import Person
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DUE = date(2025, 6, 30)
ISSUE = date(2025, 7, 15)
ALL = ["light_vehicle", "nhi", "resident_ordinary", "resident_special"]


def _demanded(*amounts: int, revenue: str = "resident_ordinary") -> list[Person]:
    people = []
    for amount in amounts:
        person = make_person()
        make_levy(person, [amount], [DUE], revenue=revenue)
        people.append(person)
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=DUE, issue_date=ISSUE).batch_id)
    demand_dispatch(actor=None, batch=batch)
    return people


def _generate(as_of: date) -> ReminderBatch | None:
    result = reminder_generate(actor=None, as_of=as_of, issue_date=as_of)
    return ReminderBatch.objects.get(pk=result.batch_id) if result.batch_id else None


def _levels(batch: ReminderBatch) -> list[str]:
    return [r.level.name for r in Reminder.objects.filter(batch=batch).select_related("level").order_by("person_id")]


def test_escalates_one_level_at_a_time_from_the_last_letter_sent() -> None:
    _demanded(12_000)
    assert _generate(date(2025, 8, 13)) is None  # 29 days after the demand was posted
    first = _generate(date(2025, 8, 14))
    assert first is not None and _levels(first) == ["催告書(第1回)"]
    assert _generate(date(2025, 8, 30)) is None  # generated, not yet sent: nothing twice
    reminder_dispatch(actor=None, batch=first, dispatched_on=date(2025, 8, 20))
    assert _generate(date(2025, 9, 18)) is None  # 29 days after the reminder was posted
    second = _generate(date(2025, 9, 19))
    assert second is not None and _levels(second) == ["最終催告書"]
    reminder_dispatch(actor=None, batch=second, dispatched_on=date(2025, 9, 19))
    third = _generate(date(2025, 10, 19))
    assert third is not None and _levels(third) == ["差押予告書"]
    reminder_dispatch(actor=None, batch=third, dispatched_on=date(2025, 10, 20))
    assert _generate(date(2026, 3, 1)) is None  # the last level has no next one


def test_a_generated_batch_that_is_never_sent_does_not_count() -> None:
    _demanded(12_000)
    batch = _generate(date(2025, 8, 20))
    assert batch is not None
    reminder_cancel(actor=None, batch=batch, reason="文面の誤り")
    again = _generate(date(2025, 8, 21))
    assert again is not None and _levels(again) == ["催告書(第1回)"]  # still the first level


def test_paid_pending_and_undemanded_installments_are_not_reminded() -> None:
    paid, owing = _demanded(5_000, 6_000)
    inst = paid.levies.get().installments.get()
    counter_payment_post(
        actor=make_user(Role.CLERK), person=paid, installment_ids=[inst.pk], amount=5_000, paid_on=ISSUE
    )
    make_levy(make_person(), [7_000], [date(2025, 7, 31)])  # overdue, never demanded
    drafts = reminder_selection(as_of=date(2025, 9, 1), revenues=ALL)
    assert [d.person_id for d in drafts] == [owing.pk]
    assert drafts[0].amount == 6_000


def test_conditions_are_data_amount_and_revenue() -> None:
    small, large = _demanded(900, 50_000)
    (nhi,) = _demanded(30_000, revenue="nhi")
    first = ReminderLevel.objects.get(order=1)
    first.min_amount = 1_000
    first.revenues = ["resident_ordinary"]
    first.save()
    drafts = reminder_selection(as_of=date(2025, 9, 1), revenues=ALL)
    assert [d.person_id for d in drafts] == [large.pk]  # below the amount; NHI outside the level's revenues
    assert small.pk != large.pk != nhi.pk


def test_dry_run_writes_nothing_and_equals_the_run() -> None:
    _demanded(10_000, 20_000)
    dry = reminder_generate(actor=None, as_of=date(2025, 9, 1), issue_date=date(2025, 9, 1), dry_run=True)
    assert not ReminderBatch.objects.exists() and len(dry.drafts) == 2
    real = reminder_generate(actor=None, as_of=date(2025, 9, 1), issue_date=date(2025, 9, 1))
    assert [(d.person_id, d.level_id, d.amount) for d in real.drafts] == [
        (d.person_id, d.level_id, d.amount) for d in dry.drafts
    ]


def test_dispatch_and_issue_dates_are_checked() -> None:
    _demanded(10_000)
    with pytest.raises(DemandError, match="基準日以降"):
        reminder_generate(actor=None, as_of=date(2025, 9, 1), issue_date=date(2025, 8, 1))
    batch = _generate(date(2025, 9, 1))
    assert batch is not None
    with pytest.raises(DemandError, match="発送日は発付日から今日まで"):
        reminder_dispatch(actor=None, batch=batch, dispatched_on=date(2025, 8, 31))


def test_the_query_count_does_not_grow_with_the_persons() -> None:
    _demanded(10_000)
    with CaptureQueriesContext(connection) as one:
        reminder_selection(as_of=date(2025, 9, 1), revenues=ALL)
    _demanded(*[10_000 + i for i in range(6)])
    with CaptureQueriesContext(connection) as seven:
        drafts = reminder_selection(as_of=date(2025, 9, 1), revenues=ALL)
    assert len(drafts) == 7 and len(seven.captured_queries) == len(one.captured_queries)


def test_the_command_generates_and_dispatches(capsys: pytest.CaptureFixture[str]) -> None:
    _demanded(10_000)
    call_command("reminder", "generate", "--as-of", "2025-09-01", "--issue-date", "2025-09-01", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["letters"] == 1 and out["amount"] == 10_000 and out["levels"] == {"催告書(第1回)": 1}
    call_command("reminder", "dispatch", str(out["batch_id"]), "--on", "2025-09-02")
    assert ReminderBatch.objects.get().state == ReminderBatch.State.DISPATCHED

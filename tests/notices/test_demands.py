"""督促状の発付: who is selected, one letter per person, the dry run equals the run, a second run
selects none, a 速報 that arrives between preparing and fixing drops its letter, cancelling
releases the lines, and the query count does not grow with the letters."""

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from choshu.formats import cvs_csv
from choshu.formats.cvs_barcode import build_barcode, free_area
from choshu.formats.payment_key import payment_key
from choshu.ledger.models import Installment
from choshu.ledger.services import counter_payment_post
from choshu.notices.demands import DemandError, demand_cancel, demand_fix, demand_prepare, demand_run
from choshu.notices.models import DemandBatch, DemandLine
from choshu.payments.services import channel_file_import
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db
DUE = date(2025, 6, 30)
ISSUE = date(2025, 7, 15)


def _owing(atena_no: str, amounts=(10_000,), revenue: str = "resident_ordinary", kind: str = "individual"):
    person = make_person(atena_no=atena_no, kind=kind)
    levy = make_levy(person, list(amounts), [DUE] * len(amounts), revenue=revenue)
    return person, list(levy.installments.order_by("installment_no"))


def _sokuho(inst: Installment) -> None:
    event = cvs_csv.make_event(
        data_type="01",
        barcode=build_barcode(
            company_code="912345",
            free_area=free_area(prefix="59919", key=payment_key(inst.pk)),
            reissue=0,
            due_date=None,
            amount=inst.balance,
        ),
        paid_on=date(2025, 7, 10),
        paid_time="1015",
    )
    result = channel_file_import(
        actor=None, format="cvs-csv", file_name=f"s{inst.pk}.csv", data=cvs_csv.dump([event]), received_on=ISSUE
    )
    assert result.ok and result.counts == {"pending": 1}


def test_one_letter_per_person_listing_their_unpaid_installments() -> None:
    _owing("100001", (10_000, 20_000))
    employer, _ = _owing("100002", (30_000,), revenue="resident_special", kind="business")
    make_levy(employer, [5_000], [DUE], revenue="resident_special")  # a second month of the employer
    paid, (paid_inst,) = _owing("100003")
    counter_payment_post(
        actor=make_user(Role.CLERK), person=paid, installment_ids=[paid_inst.pk], amount=10_000, paid_on=DUE
    )
    _, (later,) = _owing("100004")
    Installment.objects.filter(pk=later.pk).update(due_date=date(2025, 7, 31))  # another due date
    _, (pending,) = _owing("100005")
    _sokuho(pending)
    result = demand_run(actor=make_user(Role.CLERK), due_on=DUE, issue_date=ISSUE)
    assert [(letter.atena_no, [line.amount for line in letter.lines]) for letter in result.letters] == [
        ("100001", [10_000, 20_000]),
        ("100002", [30_000, 5_000]),
    ]
    batch = DemandBatch.objects.get()
    assert (batch.state, batch.letters, batch.lines, batch.amount, batch.late) == ("fixed", 2, 4, 65_000, False)


def test_the_dry_run_selects_what_the_run_does_and_a_second_run_selects_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for n in range(3):
        _owing(f"20000{n}")
    call_command("demand", "run", "--due-on", DUE.isoformat(), "--issue-date", ISSUE.isoformat(), "--dry-run", "--json")
    dry = json.loads(capsys.readouterr().out)
    assert not DemandBatch.objects.exists()
    call_command("demand", "run", "--due-on", DUE.isoformat(), "--issue-date", ISSUE.isoformat(), "--json")
    real = json.loads(capsys.readouterr().out)
    assert dry["persons"] == real["persons"] and real["letters"] == 3
    call_command("demand", "run", "--due-on", DUE.isoformat(), "--issue-date", ISSUE.isoformat(), "--json")
    assert json.loads(capsys.readouterr().out)["letters"] == 0
    assert DemandBatch.objects.count() == 1


def test_a_preliminary_between_prepare_and_fix_removes_that_letter() -> None:
    _owing("300001")
    _, (reported,) = _owing("300002")
    clerk = make_user(Role.CLERK)
    prepared = demand_prepare(actor=clerk, due_on=DUE, issue_date=ISSUE)
    assert len(prepared.letters) == 2
    _sokuho(reported)  # the store's 速報 comes in while the batch is being checked
    fixed = demand_fix(actor=clerk, batch=DemandBatch.objects.get())
    assert [letter.atena_no for letter in fixed.letters] == ["300001"] and fixed.dropped == 1
    line = DemandLine.objects.get(installment=reported)
    assert (line.active, line.dropped_reason) == (False, "納付確認中(速報あり)")
    assert DemandBatch.objects.get().letters == 1


def test_a_late_issue_date_is_marked_and_an_early_one_refused(capsys: pytest.CaptureFixture[str]) -> None:
    _owing("400001")
    with pytest.raises(DemandError, match="翌日以降"):
        demand_run(actor=None, due_on=DUE, issue_date=DUE)
    call_command("demand", "run", "--due-on", DUE.isoformat(), "--issue-date", "2025-07-25")
    assert "20日を超えています" in capsys.readouterr().err
    assert DemandBatch.objects.get().late


def test_cancel_releases_the_lines_for_a_later_batch() -> None:
    _owing("500001")
    clerk = make_user(Role.CLERK)
    first = demand_run(actor=clerk, due_on=DUE, issue_date=ISSUE)
    demand_cancel(actor=clerk, batch=DemandBatch.objects.get(pk=first.batch_id), reason="発付日の誤り")
    with pytest.raises(DemandError):
        demand_fix(actor=clerk, batch=DemandBatch.objects.get(pk=first.batch_id))
    again = demand_run(actor=clerk, due_on=DUE, issue_date=date(2025, 7, 16))
    assert len(again.letters) == 1 and again.batch_id != first.batch_id


def test_only_collection_roles_run_a_batch_and_within_their_revenues() -> None:
    _owing("600001")
    _owing("600002", revenue="nhi")
    with pytest.raises(CommandError, match="権限がありません"):
        call_command(
            "demand", "run", "--due-on", DUE.isoformat(), "--issue-date", ISSUE.isoformat(),
            "--user", make_user(Role.OFFICER).username,
        )  # fmt: skip
    result = demand_run(actor=make_user(Role.CLERK, ["nhi"]), due_on=DUE, issue_date=ISSUE)
    assert [letter.atena_no for letter in result.letters] == ["600002"]


def test_the_query_count_does_not_grow_with_the_letters() -> None:
    clerk = make_user(Role.CLERK)

    def queries(prefix: str, persons: int, due: date) -> int:
        for n in range(persons):
            person = make_person(atena_no=f"{prefix}{n:04d}")
            make_levy(person, [1_000, 2_000], [due, due])
        with CaptureQueriesContext(connection) as captured:
            assert len(demand_run(actor=clerk, due_on=due, issue_date=date(2025, 9, 10)).letters) == persons
        return len(captured.captured_queries)

    assert queries("7", 3, date(2025, 8, 29)) == queries("8", 40, date(2025, 9, 2))  # weekdays: no shift

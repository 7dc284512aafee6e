"""催告書 printed in house: each level's title and body, the installments owed, the notices of the
letter's form (no 教示: a reminder is no disposition), the enclosed slip; two queries to load."""

from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from choshu.ledger.services import counter_payment_post
from choshu.notices.demands import DemandError, demand_dispatch, demand_run
from choshu.notices.models import DemandBatch, Reminder, ReminderBatch
from choshu.notices.reminder_pdf import reminder_letters_pdf, reminder_number, reminders_for_print
from choshu.notices.reminders import reminder_cancel, reminder_dispatch, reminder_generate
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user
from tests.notices.test_demand_pdf import _barcodes, _flat, _pages, _row

pytestmark = pytest.mark.django_db
DUE = date(2025, 6, 30)
ISSUE = date(2025, 7, 15)


def _remind(as_of: date, issue_date: date | None = None) -> ReminderBatch:
    result = reminder_generate(actor=None, as_of=as_of, issue_date=issue_date or as_of)
    assert result.batch_id is not None
    return ReminderBatch.objects.get(pk=result.batch_id)


def _demanded() -> None:
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=DUE, issue_date=ISSUE).batch_id)
    demand_dispatch(actor=None, batch=batch, dispatched_on=ISSUE)


def _pdf(tmp_path: Path, reminders: list[Reminder], name: str = "reminder.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(reminder_letters_pdf(reminders))
    return path


def test_a_reminder_lists_what_is_owed_and_asks_for_payment_or_consultation(tmp_path: Path) -> None:
    person = make_person(name="催告 花子", postal_code="1600022")
    levy = make_levy(person, [30_000, 21_000], [DUE, DUE])
    first = levy.installments.get(installment_no=1)
    clerk = make_user(Role.CLERK)
    counter_payment_post(actor=clerk, person=person, installment_ids=[first.pk], amount=5_000, paid_on=DUE)
    _demanded()
    [reminder] = reminders_for_print(_remind(date(2025, 8, 20), date(2025, 8, 22)))
    pages = _pages(_pdf(tmp_path, [reminder]))
    text, flat = pages[0], _flat(pages[0])
    assert reminder_number(reminder) == f"催告第{reminder.batch_id}-{reminder.pk}号"
    assert reminder_number(reminder) in text and f"整理番号 {reminder.pk}" in text
    assert "催告書" in text and "令和7年8月22日" in text and "催告 花子 様" in text
    assert "令和7年8月20日現在、まだ納付が確認できません" in flat
    assert _row(text, "第1期", "令和7年6月30日", "30,000", "25,000")
    assert _row(text, "第2期", "令和7年6月30日", "21,000", "21,000")
    assert _row(text, "催告金額", "46,000円") and _row(text, "指定期限", "令和7年9月1日")
    assert "延滞金が加算されます" in flat and "新宿区役所の収納担当窓口にご相談ください" in flat
    assert "審査請求" not in flat and "取消しの訴え" not in flat  # a reminder is no disposition
    assert "地方税法第331条第1項" not in flat  # the enforcement notice comes with the later levels
    assert all("納付金額" in page for page in pages[1:])
    assert len(_barcodes(_pdf(tmp_path, [reminder]), tmp_path)) == 2  # one slip per installment


def test_the_later_levels_announce_the_seizure(tmp_path: Path) -> None:
    make_levy(make_person(), [12_000], [DUE], revenue="nhi")
    _demanded()
    first = _remind(date(2025, 8, 20))
    reminder_dispatch(actor=None, batch=first, dispatched_on=date(2025, 8, 20))
    final = _remind(date(2025, 9, 20))
    reminder_dispatch(actor=None, batch=final, dispatched_on=date(2025, 9, 20))
    last = _remind(date(2025, 10, 20))
    final_text = _flat(_pages(_pdf(tmp_path, reminders_for_print(final), "final.pdf"))[0])
    last_text = _flat(_pages(_pdf(tmp_path, reminders_for_print(last), "last.pdf"))[0])
    assert "最終催告書" in final_text and "滞納処分を行うことになります" in final_text
    assert "差押予告書" in last_text and "改めて通知することなく" in last_text
    for text in (final_text, last_text):  # the NHI form's enforcement notice, no 教示
        assert "国民健康保険法第79条の2" in text and "国民健康保険料" in text and "審査請求" not in text


def test_a_cancelled_batch_does_not_print() -> None:
    make_levy(make_person(), [12_000], [DUE])
    _demanded()
    batch = _remind(date(2025, 8, 20))
    batch = reminder_cancel(actor=None, batch=batch, reason="基準日の誤り")
    with pytest.raises(DemandError, match="取消"):
        reminders_for_print(batch)


def test_loading_takes_two_queries_whatever_the_reminders() -> None:
    for _ in range(4):
        make_levy(make_person(), [12_000, 8_000], [DUE, DUE])
    _demanded()
    batch = _remind(date(2025, 8, 20))
    with CaptureQueriesContext(connection) as queries:
        reminders = reminders_for_print(batch)
        reminder_letters_pdf(reminders)
    assert len(reminders) == 4 and len(queries) == 2

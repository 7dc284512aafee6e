"""The case work in a real browser: an officer opens 「本日対応」, records a call on the case,
creates a payment plan and sees both on the case's timeline."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from choshu.cases.models import PaymentPlan
from choshu.cases.services import case_open_run
from choshu.notices.demands import demand_dispatch, demand_run
from choshu.notices.models import DemandBatch
from choshu.staff.models import Role
from tests.browser.conftest import login, new_page
from tests.factories import make_levy, make_person, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_records_a_call_and_makes_a_plan(live_server, browser: Browser) -> None:
    today = timezone.localdate()
    person = make_person(atena_no="990001", name="分納 次郎", name_kana="ブンノウ ジロウ")
    levy = make_levy(person, [36_000], [today - timedelta(days=60)], "resident_ordinary")
    due = levy.installments.get().due_date  # moved past a closed day
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=due, issue_date=due + timedelta(days=15)).batch_id)
    demand_dispatch(actor=None, batch=batch, dispatched_on=due + timedelta(days=15))
    case_open_run(actor=None, as_of=today)
    make_user(Role.OFFICER, ["resident_ordinary", "light_vehicle"], username="seiri")

    page = new_page(browser)
    login(page, live_server.url, "seiri")
    page.get_by_role("link", name="滞納整理", exact=True).click()
    expect(page.get_by_test_id("queue-today")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("cases").get_by_role("link").first.click()
    expect(page.get_by_test_id("atena-no")).to_have_text("990001")

    form = page.get_by_test_id("activity-form")
    form.get_by_label("種別").select_option("phone")
    form.get_by_label("本人と接触").check()
    form.get_by_label("債務の承認あり(時効の更新)").check()
    form.get_by_label("内容").fill("本人と電話。毎月6,000円の分納を希望")
    form.get_by_role("button", name="記録").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("毎月6,000円の分納を希望")

    page.get_by_test_id("plan-new").click()
    expect(page.get_by_test_id("plan-total")).to_have_text("36,000")
    plan_form = page.get_by_test_id("plan-form")
    plan_form.get_by_label("第1回納付予定日").fill((today + timedelta(days=10)).isoformat())
    plan_form.get_by_label("回数(毎月)").fill("6")
    plan_form.get_by_role("button", name="作成").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("分納誓約(履行中)")
    expect(timeline).to_contain_text("36,000")
    expect(page.get_by_test_id("plans")).to_contain_text("履行中")
    plan = PaymentPlan.objects.get()
    assert plan.total == 36_000 and plan.schedule.count() == 6
    page.context.close()

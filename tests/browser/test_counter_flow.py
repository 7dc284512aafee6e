"""The counter flow in a real browser: login → search by kana → ledger → counter payment → balance."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from choshu.staff.models import Role
from tests.browser.conftest import login
from tests.factories import make_levy, make_person, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_posts_a_counter_payment(live_server, page: Page) -> None:
    today = timezone.localdate()
    person = make_person(atena_no="880001", name="画面 四郎", name_kana="ガメン シロウ")
    make_levy(person, [23_400, 56_700], [today + timedelta(days=20), today + timedelta(days=110)])
    make_person(atena_no="880002", name="画面 五郎", name_kana="ガメン ゴロウ")
    make_user(Role.CLERK, username="madoguchi")
    csp_violations: list[str] = []  # the Content-Security-Policy must block nothing on these screens
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)

    login(page, live_server.url, "madoguchi")

    page.get_by_role("link", name="宛名検索", exact=True).click()
    box = page.locator("#q")
    expect(box).to_be_focused()  # autofocus
    box.fill("がめん し")  # hiragana, with a space: the kana key ガメンシ
    box.press("Enter")
    results = page.locator("#results [data-result]")
    expect(results).to_have_count(1)
    expect(results.first).to_have_text("880001")
    box.press("ArrowDown")  # keyboard only: into the results, Enter opens the person
    expect(results.first).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("atena-no")).to_have_text("880001")
    expect(page.get_by_test_id("total-balance")).to_have_text("80,100")

    page.get_by_role("link", name="窓口収納", exact=True).click()
    page.locator("input[name=installment_ids]").nth(0).check()
    page.locator("input[name=installment_ids]").nth(1).uncheck()
    expect(page.get_by_test_id("due-total")).to_have_text("23,400")  # htmx recomputed the amount due
    expect(page.locator("#id_amount")).to_have_value("23400")
    page.get_by_role("button", name="収納を登録").click()

    expect(page.get_by_role("status")).to_contain_text("収納しました")
    expect(page.get_by_test_id("payment-amount")).to_have_text("23,400")
    page.get_by_role("link", name="個人収納状況へ").click()
    expect(page.get_by_test_id("total-balance")).to_have_text("56,700")
    expect(page.get_by_test_id("installments")).to_contain_text("完納")
    assert csp_violations == []

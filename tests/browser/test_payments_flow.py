"""The channel-payment flow in a real browser: upload a convenience-store 確報 file → its result
page (filtered with htmx) → 未確認入金 → look the payer up by 宛名番号 (htmx) → 消込."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect

from choshu.formats import cvs_csv
from choshu.formats.cvs_barcode import build_barcode, free_area
from choshu.formats.payment_event import PaymentEvent
from choshu.formats.payment_key import payment_key
from choshu.ledger.models import Installment
from choshu.staff.models import Role
from tests.browser.conftest import login
from tests.factories import make_levy, make_person, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _confirmed(installment_id: int, amount: int, store: str) -> PaymentEvent:
    paid_on = timezone.localdate() - timedelta(days=2)
    barcode = build_barcode(
        company_code="912345",
        free_area=free_area(prefix="59919", key=payment_key(installment_id)),
        reissue=0,
        due_date=paid_on + timedelta(days=30),
        amount=amount,
    )
    return cvs_csv.make_event(
        data_type="02",
        barcode=barcode,
        paid_on=paid_on,
        paid_time="1130",
        store_code=store,
        settles_on=paid_on + timedelta(days=4),
    )


def test_clerk_imports_a_file_and_resolves_its_suspense(live_server, page: Page) -> None:
    today = timezone.localdate()
    person = make_person(atena_no="880101", name="画面 六郎", name_kana="ガメン ロクロウ")
    first, second = make_levy(
        person, [23_400, 56_700], [today + timedelta(days=20), today + timedelta(days=110)]
    ).installments.order_by("installment_no")
    data = cvs_csv.dump([_confirmed(first.pk, 23_400, "100001"), _confirmed(999_999_999, 56_700, "100002")])
    make_user(Role.CLERK, username="shuno")
    csp_violations: list[str] = []  # the Content-Security-Policy must block nothing on these screens
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)

    login(page, live_server.url, "shuno")

    page.goto(f"{live_server.url}/payments/imports/")
    expect(page.locator("#id_format")).to_be_focused()  # autofocus: the keyboard starts on the form
    page.select_option("#id_format", "cvs-csv")
    page.set_input_files("#id_file", files=FilePayload(name="kakuho.csv", mimeType="text/csv", buffer=data))
    page.get_by_role("button", name="取り込む").click()

    expect(page.get_by_role("status")).to_contain_text("kakuho.csv を取り込みました(2件、80,100円)")
    expect(page.get_by_test_id("import-result")).to_have_text("取込済")
    records = page.get_by_test_id("records")
    expect(records.locator("tbody tr")).to_have_count(2)
    expect(records).to_contain_text("画面 六郎")
    page.get_by_role("link", name="未確認入金 1", exact=True).click()  # htmx: the records only
    expect(page.get_by_test_id("records").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("records")).to_contain_text("該当する期別がありません")
    assert "outcome=suspense" in page.url  # pushed: the filtered list has its own address

    page.get_by_role("link", name="未確認入金", exact=True).click()
    expect(page.get_by_test_id("suspense")).to_contain_text("56,700")
    page.get_by_test_id("suspense").get_by_role("link", name="消込").click()
    box = page.locator("#lookup-atena")
    expect(box).to_be_focused()
    box.fill("880101")
    box.press("Enter")  # htmx: the person and their open installments
    expect(page.get_by_test_id("atena-no")).to_have_text("880101")
    expect(page.get_by_test_id("open-installments").locator("tbody tr")).to_have_count(1)  # the first is paid
    page.locator(f"#inst-{second.pk}").check()
    page.get_by_role("button", name="消込", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("宛名番号 880101 の期別に消込しました(消込 56,700円)")
    expect(page.get_by_text("未確認入金はありません。")).to_be_visible()
    assert Installment.objects.get(pk=second.pk).balance == 0
    assert csp_violations == []

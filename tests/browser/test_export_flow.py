"""The export flow in a real browser: a clerk prepares, another supervisor approves and gets the
password notice once, the package opens with 7-Zip, the handover, return and erasure certificate
are recorded and the handover ledger shows every step."""

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django import Settings

from choshu.governance import services
from choshu.governance.exports import FIELD_SURVEY
from choshu.governance.models import Contract, ContractHandler
from choshu.staff.models import Role
from tests.browser.conftest import login, new_page
from tests.factories import make_levy, make_person, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_prepare_approve_hand_over_return_and_erase(
    live_server, browser: Browser, settings: Settings, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    today = timezone.localdate()
    manager = make_user(Role.SUPERVISOR, username="keiyaku")
    make_user(Role.OFFICER, username="tainou")
    make_user(Role.SUPERVISOR, username="shonin")
    contractor = services.contractor_create(actor=manager, name="株式会社現地調査", privacy_mark=True)
    contract = services.contract_create(
        actor=manager,
        contract_no="R7-GC-01",
        title="区外転出者の現地調査業務委託",
        kind=Contract.Kind.OUTSOURCING,
        contractor=contractor,
        purpose="居住実態の把握",
        council_ref="令和2年度第3回審議会了承",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=120),
        media=["usb"],
        approved_items=list(FIELD_SURVEY.fields),
    )
    services.contract_handler_add(
        actor=manager,
        contract=contract,
        role=ContractHandler.Role.HANDLER,
        name="調査 一郎",
        reported_on=today - timedelta(days=30),
    )
    for atena_no, name in (("960001", "移転 一子"), ("960002", "移転 二郎")):
        person = make_person(
            atena_no=atena_no,
            name=name,
            residency="moved_out",
            moved_out_on=today - timedelta(days=200),
            postal_code="330-0063",
            address="埼玉県さいたま市浦和区高砂3丁目1番1号",
        )
        make_levy(person, [8_800], [today - timedelta(days=100)])
    base = live_server.url

    # 1. the delinquency officer prepares the export
    page = new_page(browser)
    login(page, base, "tainou")
    page.get_by_role("link", name="委託・外部結合").click()
    page.get_by_role("link", name="外部提供データ", exact=True).click()
    page.get_by_role("link", name="外部提供データを作成").click()
    page.select_option("#id_kind", "persons-field-survey")
    page.select_option("#id_contract", label=str(contract))
    page.fill("#id_purpose", "令和7年度 現地調査")
    page.fill("#id_keys", "960001\n960002")
    page.get_by_role("button", name="作成").click()
    expect(page.get_by_role("status")).to_contain_text("別の係長の承認を受けてください")
    expect(page.get_by_test_id("package-state")).to_have_text("作成待ち(承認待ち)")
    expect(page.get_by_role("button", name="承認して暗号化")).to_have_count(0)
    export_url = page.url
    page.context.close()

    # 2. another supervisor approves: the password notice is shown once
    page = new_page(browser)
    login(page, base, "shonin")
    page.goto(export_url)
    expect(page.get_by_test_id("record-count")).to_have_text("2")
    page.get_by_role("button", name="承認して暗号化").click()
    expect(page.get_by_role("alert")).to_contain_text("一度だけ表示されます")
    with page.expect_download() as notice_download:
        page.get_by_test_id("password-notice").click()
    notice = tmp_path / "notice.pdf"
    notice_download.value.save_as(notice)
    text = subprocess.run(["pdftotext", str(notice), "-"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"\b([A-Za-z0-9]{20})\b", text)
    assert found is not None and "パスワード通知書" in text
    password = found.group(1)

    page.get_by_role("link", name=re.compile("受渡しの記録")).click()
    expect(page.get_by_test_id("package-state")).to_have_text("承認済")
    with page.expect_download() as zip_download:
        page.get_by_role("button", name="暗号化ZIPを取得").click()
    package = tmp_path / "package.zip"
    zip_download.value.save_as(package)
    opened = subprocess.run(
        ["7z", "x", f"-p{password}", f"-o{tmp_path / 'out'}", str(package)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert opened.returncode == 0, opened.stdout
    (csv_file,) = (tmp_path / "out").glob("*.csv")
    assert "移転 一子" in csv_file.read_text(encoding="utf-8-sig")

    # 3. the handover, the return and the erasure certificate (minutes after the approval)
    approved_at = timezone.localtime().replace(second=0, microsecond=0)

    def minute(n: int) -> str:
        return (approved_at + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M")

    handover = page.locator("form[action$='/handover/']")
    handover.locator("input[name='handover-occurred_at']").fill(minute(0))
    handover.locator("input[name='handover-media_id']").fill("USB-0042")
    handover.locator("select[name='handover-contractor_handler']").select_option(label="調査 一郎(取扱者)")
    handover.get_by_role("button", name="受渡しを記録").click()
    expect(page.get_by_test_id("package-state")).to_have_text("受渡済")

    back = page.locator("form[action$='/return/']")
    back.locator("input[name='return-occurred_at']").fill(minute(1))
    expect(back.locator("input[name='return-media_id']")).to_have_value("USB-0042")
    back.locator("select[name='return-contractor_handler']").select_option(label="調査 一郎(取扱者)")
    back.get_by_role("button", name="返却を記録").click()
    expect(page.get_by_test_id("package-state")).to_have_text("返却済")

    erasure = page.locator("form[action$='/erasure/']")
    erasure.locator("input[name='erasure-certificate_no']").fill("消去-0001")
    erasure.locator("input[name='erasure-issued_on']").fill(approved_at.date().isoformat())
    erasure.locator("input[name='erasure-issuer']").fill("株式会社現地調査 情報管理責任者")
    erasure.locator("input[name='erasure-occurred_at']").fill(minute(2))
    erasure.locator("select[name='erasure-contractor_handler']").select_option(label="調査 一郎(取扱者)")
    erasure.get_by_role("button", name="消去証明書を記録").click()
    expect(page.get_by_test_id("package-state")).to_have_text("消去確認済")
    expect(page.get_by_test_id("certificate")).to_contain_text("消去-0001")

    # 4. the handover ledger shows every step
    page.get_by_role("link", name="管理簿", exact=True).click()
    rows = page.get_by_test_id("ledger").locator("tbody tr")
    expect(rows).to_have_count(5)
    expect(page.get_by_test_id("ledger")).to_contain_text("USB-0042")
    expect(page.get_by_test_id("ledger")).to_contain_text("委託先→区")
    assert password not in page.content()
    page.context.close()

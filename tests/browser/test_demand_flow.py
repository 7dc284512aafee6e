"""The demand flow in a real browser: a supervisor picks a due date awaiting its demand, checks
the selection, creates and fixes the batch and previews a letter PDF; a clerk makes the print
data from the batch; the supervisor approves it, and the package opens with 7-Zip holding only
the approved columns."""

import csv
import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django import Settings

from choshu.governance import services
from choshu.notices.models import DemandBatch
from choshu.notices.print_data import EMPLOYERS_DEMAND
from choshu.staff.models import Role
from tests.browser.conftest import login, new_page
from tests.factories import make_levy, make_person, make_user
from tests.governance.conftest import make_contract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_run_a_batch_preview_a_letter_and_approve_the_print_data(
    live_server, browser: Browser, settings: Settings, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    today = timezone.localdate()
    boss = make_user(Role.SUPERVISOR, username="kakaricho")
    make_user(Role.CLERK, username="shuno")
    contractor = services.contractor_create(actor=boss, name="株式会社印刷センター", privacy_mark=True)
    contract = make_contract(
        boss,
        contractor,
        today,
        items=EMPLOYERS_DEMAND.fields,
        title="督促状(特別徴収分)の印字及び封入封緘等業務委託",
        purpose="督促状の印字・封入封緘・発送",
        media=["dvd"],
    )
    employer = make_person(
        kind="business", birth_date=None, designation_no="T0123", name="株式会社新宿印刷", postal_code="160-0022"
    )
    due = make_levy(employer, [45_000], [today - timedelta(days=12)], "resident_special").installments.get().due_date
    person = make_person(atena_no="970001", name="督促 花子")
    make_levy(person, [7_700], [due], "resident_ordinary")
    base = live_server.url

    # 1. the supervisor runs the batch and previews a letter
    page = new_page(browser)
    login(page, base, "kakaricho")
    page.get_by_role("link", name="督促", exact=True).click()
    awaiting = page.get_by_test_id("awaiting")
    expect(awaiting).to_contain_text("2")
    awaiting.get_by_role("link", name="この納期限で作成").first.click()
    expect(page.locator("#id_due_on")).to_have_value(due.isoformat())
    page.get_by_role("button", name="対象を確認").click()
    expect(page.get_by_test_id("preview-letters")).to_have_text("2")
    page.get_by_role("button", name="督促処理を作成").click()
    expect(page.get_by_test_id("batch-state")).to_have_text("作成済(確定前)")
    page.get_by_test_id("fix").click()
    expect(page.get_by_test_id("batch-state")).to_have_text("確定")
    expect(page.get_by_test_id("batch-letters")).to_have_text("2")
    batch_url = page.url

    letters = page.get_by_test_id("letters")
    link = letters.get_by_role("row", name=re.compile("株式会社新宿印刷")).get_by_test_id("letter-pdf")
    with page.context.expect_page() as popup:
        link.click()
    preview = popup.value
    preview.wait_for_load_state()
    assert preview.url.endswith(".pdf")
    pdf = page.request.get(preview.url)
    assert pdf.headers["content-type"] == "application/pdf"
    letter_pdf = tmp_path / "letter.pdf"
    letter_pdf.write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", "-layout", str(letter_pdf), "-"], capture_output=True, text=True).stdout
    assert "督促状" in text and "株式会社新宿印刷" in text and "45,000" in text
    page.context.close()

    # 2. a clerk makes the print data from the batch
    page = new_page(browser)
    login(page, base, "shuno")
    page.goto(batch_url)
    expect(page.get_by_test_id("print-export")).to_have_count(2)  # employers' and persons' letters
    page.get_by_role("link", name="督促状(特別徴収分)印字データを作成").click()
    expect(page.locator("#id_kind")).to_have_value(EMPLOYERS_DEMAND.code)
    batch = DemandBatch.objects.get()
    expect(page.locator("#id_keys")).to_have_value(str(batch.pk))
    page.select_option("#id_contract", label=str(contract))
    page.get_by_role("button", name="作成").click()
    expect(page.get_by_test_id("package-state")).to_have_text("作成待ち(承認待ち)")
    export_url = page.url
    page.context.close()

    # 3. the supervisor approves; the package holds only the approved columns
    page = new_page(browser)
    login(page, base, "kakaricho")
    page.goto(export_url)
    page.get_by_role("button", name="承認して暗号化").click()
    expect(page.get_by_role("alert")).to_contain_text("一度だけ表示されます")
    with page.expect_download() as notice_download:
        page.get_by_test_id("password-notice").click()
    notice = tmp_path / "notice.pdf"
    notice_download.value.save_as(notice)
    notice_text = subprocess.run(["pdftotext", str(notice), "-"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"\b([A-Za-z0-9]{20})\b", notice_text)
    assert found is not None
    page.get_by_role("link", name=re.compile("受渡しの記録")).click()
    with page.expect_download() as zip_download:
        page.get_by_role("button", name="暗号化ZIPを取得").click()
    package = tmp_path / "package.zip"
    zip_download.value.save_as(package)
    opened = subprocess.run(
        ["7z", "x", f"-p{found.group(1)}", f"-o{tmp_path / 'out'}", str(package)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert opened.returncode == 0, opened.stdout
    (csv_file,) = (tmp_path / "out").glob("*.csv")
    rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="cp932"))))
    assert rows[0] == [
        "整理番号",
        "郵便番号(特別徴収義務者)",
        "所在地",
        "事業者氏名",
        "指定番号",
        "督促対象期別",
        "課税額",
        "督促額",
    ]
    assert len(rows) == 2 and rows[1][3:5] == ["株式会社新宿印刷", "T0123"] and rows[1][6:] == ["45000", "45000"]
    page.context.close()

"""督促状 printed in house, read back as a client would: pdftotext shows the letter's dates, number,
installments, total, 指定期限 and legal notices; a long letter goes on to further pages without
losing a line; the enclosed slip's barcode, rasterised at 300 dpi and read by zbarimg, bills the
demanded amount; the letters are loaded in a constant number of queries."""

import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from choshu.formats.cvs_barcode import parse_barcode
from choshu.ledger.models import Installment
from choshu.ledger.services import counter_payment_post
from choshu.notices.demand_pdf import (
    demand_letters_pdf,
    designated_date,
    letter_number,
    letters_for_print,
)
from choshu.notices.demands import DemandError, demand_cancel, demand_prepare, demand_run
from choshu.notices.models import DemandBatch, DemandLetter
from choshu.notices.slips import slips_for_amounts
from choshu.people.models import Person
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db

DUE = date(2025, 6, 30)
ISSUE = date(2025, 7, 15)  # a Tuesday; 指定期限 = 7月25日 (a Friday)
ZBAR_NS = "{http://zbar.sourceforge.net/2008/barcode}"
TAX_NOTICES = ("地方税法第331条第1項", "新宿区長に対して審査請求", "地方税法第19条の12")
NHI_NOTICES = ("東京都国民健康保険審査会", "地方自治法第231条の3第3項", "国民健康保険法第79条の2")


def _batch(due_on: date = DUE, issue_date: date = ISSUE) -> DemandBatch:
    """A fixed batch (prepared and fixed by `demand_run`)."""
    result = demand_run(actor=None, due_on=due_on, issue_date=issue_date)
    assert result.batch_id is not None
    return DemandBatch.objects.get(pk=result.batch_id)


def _pdf(tmp_path: Path, letters: list[DemandLetter], name: str = "demand.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(demand_letters_pdf(letters))
    return path


def _pages(pdf: Path) -> list[str]:
    """The text of each page, as `pdftotext -layout` lays it out."""
    run = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return run.stdout.split("\f")[:-1]


def _flat(text: str) -> str:
    """Without white space: a sentence the letter wraps reads as one."""
    return re.sub(r"\s+", "", text)


def _row(text: str, *cells: str) -> bool:
    """Some line of the text holds every cell, left to right (other cells may stand between)."""
    pattern = r"\s(?:.*\s)?".join(re.escape(cell) for cell in cells)
    return any(re.search(pattern, line) for line in text.splitlines())


def _barcodes(pdf: Path, workdir: Path) -> list[str]:
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(workdir / "page")], check=True)
    pages = sorted(workdir.glob("page-*.png"))
    run = subprocess.run(["zbarimg", "--xml", "-q", "--nodbus", *map(str, pages)], capture_output=True, text=True)
    root = ET.fromstring(run.stdout)
    return [
        s.findtext(f"{ZBAR_NS}data") or ""
        for s in root.iter(f"{ZBAR_NS}symbol")
        if s.get("type") == "CODE-128" and s.get("modifiers") == "GS1"
    ]


def _pay(person: Person, inst: Installment, amount: int) -> None:
    counter_payment_post(
        actor=make_user(Role.CLERK), person=person, installment_ids=[inst.pk], amount=amount, paid_on=DUE
    )


def test_the_designated_date_is_ten_days_after_the_issue_date_unshifted() -> None:
    assert designated_date(ISSUE) == date(2025, 7, 25)
    assert designated_date(date(2025, 7, 16)) == date(2025, 7, 26)  # a Saturday: not moved


def test_a_letter_shows_its_number_dates_installments_total_and_the_tax_notices(tmp_path: Path) -> None:
    person = make_person(
        name="新宿 花子",
        address="東京都新宿区歌舞伎町1丁目4番1号",
        address_extra="新宿ハイツ101",
        postal_code="1600021",
    )
    resident = make_levy(person, [30_000, 21_000], [DUE, DUE])
    first, _ = resident.installments.order_by("installment_no")
    _pay(person, first, 10_000)  # 督促額 20,000 of 課税額 30,000
    make_levy(person, [7_200], [DUE], revenue="light_vehicle")
    [letter] = letters_for_print(_batch())

    pages = _pages(_pdf(tmp_path, [letter]))
    text = pages[0]
    flat = _flat(text)
    assert "督促状" in text and "令和7年7月15日" in text
    assert letter_number(letter) == f"督促第{letter.batch_id}-{letter.pk}号" and letter_number(letter) in text
    assert f"整理番号 {letter.pk}" in text
    assert "〒160-0021" in text and "東京都新宿区歌舞伎町1丁目4番1号" in text and "新宿ハイツ101" in text
    assert "新宿 花子 様" in text and "新宿区長" in text
    assert _row(text, "令和7年度", "個人住民税(普通徴収)", "第1期", "令和7年6月30日", "30,000", "20,000")
    assert _row(text, "令和7年度", "個人住民税(普通徴収)", "第2期", "令和7年6月30日", "21,000", "21,000")
    assert _row(text, "令和7年度", "軽自動車税(種別割)", "第1期", "令和7年6月30日", "7,200", "7,200")
    assert _row(text, "合計", "48,200円")
    assert _row(text, "督促金額", "48,200円") and _row(text, "指定期限", "令和7年7月25日")
    assert "納期限の翌日から納付の日までの期間の日数に応じて、延滞金が加算されます" in flat
    assert "指定期限までに完納されないときは" in flat and "差押え" in flat and "滞納処分" in flat
    assert all(notice in flat for notice in TAX_NOTICES)
    assert "3か月以内" in flat and "6か月以内に、新宿区を被告として" in flat
    assert not any(notice in flat for notice in NHI_NOTICES)
    assert "手数料" not in flat  # the demand fee is off
    assert "納付金額" not in text and all("納付金額" in page for page in pages[1:])  # then its slip


def test_nhi_premiums_carry_their_own_notices(tmp_path: Path) -> None:
    person = make_person()
    make_levy(person, [15_000], [DUE], revenue="nhi")
    make_levy(person, [8_000], [DUE])  # the same person owes a tax too
    letters = letters_for_print(_batch())
    assert sum(len(letter.demand_lines.all()) for letter in letters) == 2
    for letter in letters:
        flat = _flat(_pages(_pdf(tmp_path, [letter], name=f"{letter.pk}.pdf"))[0])
        revenues = {line.installment.levy.revenue for line in letter.demand_lines.all()}
        assert all(notice in flat for notice in NHI_NOTICES) == ("nhi" in revenues)
        assert all(notice in flat for notice in TAX_NOTICES) == ("resident_ordinary" in revenues)
        if "nhi" in revenues:
            assert "国民健康保険料" in flat and "15,000" in flat


def test_an_employer_is_addressed_with_onchu_and_its_designation_number(tmp_path: Path) -> None:
    employer = make_person(kind="business", name="株式会社新宿商事", birth_date=None, designation_no="0012345")
    for amount in (40_000, 5_500):  # two months of 特別徴収
        make_levy(employer, [amount], [DUE], revenue="resident_special")
    [letter] = letters_for_print(_batch())
    text = _pages(_pdf(tmp_path, [letter]))[0]
    assert "株式会社新宿商事 御中" in text and "株式会社新宿商事 様" not in text
    assert "指定番号 0012345" in text
    assert _row(text, "個人住民税(特別徴収)", "40,000", "40,000") and _row(text, "合計", "45,500円")


def test_thirty_lines_go_on_to_further_pages_without_losing_one(tmp_path: Path) -> None:
    person = make_person()
    amounts = [10_000 + 100 * n for n in range(30)]
    make_levy(person, amounts, [DUE] * 30)
    [letter] = letters_for_print(_batch())
    pdf = _pdf(tmp_path, [letter])
    pages = _pages(pdf)
    letter_pages = [page for page in pages if "督促状" in page]
    slip_pages = [page for page in pages if "納付金額" in page]
    assert len(letter_pages) >= 2 and len(slip_pages) == 10  # three slips a page
    assert pages[: len(letter_pages)] == letter_pages  # the letter first, then its slips
    assert "督促状(続き)" in letter_pages[1] and "次ページに続きます" in letter_pages[0]
    for n, page in enumerate(letter_pages, start=1):
        assert f"{letter_number(letter)} {n}/{len(letter_pages)}" in re.sub(r"\s+", " ", page)
    text = "\n".join(letter_pages)
    for no, amount in enumerate(amounts, start=1):
        rows = [line for line in text.splitlines() if re.search(rf"第{no}期\s", line)]
        assert len(rows) == 1, no  # each line once
        assert _row(rows[0], f"第{no}期", "令和7年6月30日", f"{amount:,}", f"{amount:,}")
    assert _row(letter_pages[-1], "合計", f"{sum(amounts):,}円")
    assert "審査請求" in _flat(letter_pages[-1]) and "審査請求" not in _flat(letter_pages[0])

    # nothing is drawn off the page: every word's box lies within it
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    boxes = [tuple(map(float, m)) for m in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', html)]
    assert boxes and all(0 <= y_min and y_max <= 842 for y_min, y_max in boxes)


def test_the_enclosed_slip_scans_to_the_demanded_amount(tmp_path: Path) -> None:
    person = make_person()
    levy = make_levy(person, [30_000, 12_000], [DUE, DUE])
    first, second = levy.installments.order_by("installment_no")
    _pay(person, first, 10_000)
    [letter] = letters_for_print(_batch())
    lines = sorted(letter.demand_lines.all(), key=lambda line: line.installment.installment_no)
    assert [(line.tax_amount, line.amount) for line in lines] == [(30_000, 20_000), (12_000, 12_000)]

    scanned = _barcodes(_pdf(tmp_path, [letter]), tmp_path)
    expected = slips_for_amounts([(first, 20_000), (second, 12_000)], as_of=ISSUE)
    assert sorted(scanned) == sorted(slip.barcode for slip in expected if slip.barcode)
    read = {parse_barcode(code).amount: parse_barcode(code) for code in scanned}
    assert sorted(read) == [12_000, 20_000]  # the demanded amounts, not the tax amounts
    assert all((b.reissue, b.due_date) == (1, date(2025, 7, 29)) for b in read.values())  # issue date + 14 days


def test_several_letters_in_one_pdf_and_a_chosen_few(tmp_path: Path) -> None:
    people = [make_person(atena_no=f"91000{n}", name=f"区民 {n}郎") for n in range(3)]
    for n, person in enumerate(people):
        make_levy(person, [1_000 * (n + 1)], [DUE])
    batch = _batch()
    letters = letters_for_print(batch)
    assert [letter.person.atena_no for letter in letters] == ["910000", "910001", "910002"]
    text = "\n".join(_pages(_pdf(tmp_path, letters)))
    assert all(letter_number(letter) in text for letter in letters)
    assert all(f"区民 {n}郎 様" in text for n in range(3))

    chosen = letters_for_print(batch, letter_ids=[letters[1].pk])
    assert [letter.pk for letter in chosen] == [letters[1].pk]


def test_only_a_fixed_batch_is_printed() -> None:
    make_levy(make_person(), [1_000], [DUE])
    demand_prepare(actor=None, due_on=DUE, issue_date=ISSUE)
    batch = DemandBatch.objects.get()
    with pytest.raises(DemandError, match="確定した処理"):
        letters_for_print(batch)
    demand_cancel(actor=None, batch=batch, reason="テスト")
    with pytest.raises(DemandError):
        letters_for_print(DemandBatch.objects.get(pk=batch.pk))


def test_the_query_count_does_not_grow_with_the_letters(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    def queries(due: date, persons: int) -> int:
        for _ in range(persons):  # a letter of taxes and one of NHI premiums each time
            make_levy(make_person(), [1_000, 2_000], [due, due], revenue="resident_ordinary")
            make_levy(make_person(), [3_000], [due], revenue="nhi")
        batch = _batch(due, due + timedelta(days=10))
        with CaptureQueriesContext(connection) as captured:
            letters = letters_for_print(batch)
        assert len(letters) == 2 * persons
        with django_assert_num_queries(0):  # rendering reads only what was loaded
            demand_letters_pdf(letters)
        return len(captured.captured_queries)

    assert queries(date(2025, 7, 31), 1) == queries(date(2025, 9, 1), 5)

"""Real readers close the loop: the slip PDF, rasterised at 300 dpi by pdftoppm and read by zbarimg,
gives exactly the barcode digits and QR payloads that `choshu slips list --json` prints."""

import json
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from choshu.formats.payeasy import PayEasyKeys
from choshu.people.models import Person
from tests.factories import make_levy, make_person

pytestmark = pytest.mark.django_db

ATENA = "830001"
AS_OF = "2025-06-01"
ZBAR_NS = "{http://zbar.sourceforge.net/2008/barcode}"


@dataclass(frozen=True)
class Symbol:
    type: str
    modifiers: str
    data: str


def _read_symbols(pdf: Path, workdir: Path) -> list[Symbol]:
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(workdir / "page")], check=True)
    pages = sorted(workdir.glob("page-*.png"))
    assert pages
    run = subprocess.run(["zbarimg", "--xml", "-q", "--nodbus", *map(str, pages)], capture_output=True, text=True)
    root = ET.fromstring(run.stdout)
    return [
        Symbol(s.get("type", ""), s.get("modifiers", ""), s.findtext(f"{ZBAR_NS}data") or "")
        for s in root.iter(f"{ZBAR_NS}symbol")
    ]


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _list_and_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, Path]:  # type: ignore[type-arg]
    call_command("slips", "list", ATENA, "--as-of", AS_OF, "--json")
    listed = json.loads(capsys.readouterr().out)
    pdf = tmp_path / "slips.pdf"
    call_command("slips", "render", ATENA, "--as-of", AS_OF, "--out", str(pdf))
    return listed, pdf


def _person() -> Person:
    return make_person(
        atena_no=ATENA, name="新宿 花子", address="東京都新宿区歌舞伎町1丁目4番1号", address_extra="新宿ハイツ101"
    )


def test_the_rendered_slips_scan_to_exactly_what_list_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    person = _person()
    make_levy(
        person,
        [12_300, 45_600, 300_000, 300_001],
        [date(2025, 6, 30), date(2025, 8, 29), date(2025, 10, 31), date(2026, 1, 5)],
    )
    make_levy(person, [7_200], [date(2025, 6, 2)], revenue="light_vehicle")
    listed, pdf = _list_and_render(tmp_path, capsys)
    slips = listed["slips"]
    assert len(slips) == 5

    symbols = _read_symbols(pdf, tmp_path)
    barcodes = [s for s in symbols if s.type == "CODE-128"]
    qrs = [s for s in symbols if s.type == "QR-Code"]
    expected_barcodes = sorted(s["barcode"] for s in slips if s["barcode"] is not None)
    assert len(expected_barcodes) == 4  # 300,001 yen is above the cap
    assert sorted(s.data for s in barcodes) == expected_barcodes
    assert all(s.modifiers == "GS1" for s in barcodes)  # FNC1 first: GS1-128, not plain Code 128
    assert sorted(s.data for s in qrs) == sorted(s["qr"] for s in slips)

    text = _text(pdf)
    assert "新宿 花子 様" in text
    assert "東京都新宿区歌舞伎町1丁目4番1号" in text
    for slip in slips:
        assert f"{slip['amount']:,}円" in text
        el = PayEasyKeys(**slip["payeasy"]).el_no
        assert el.digits == slip["el_no"]
        assert el.display() in text
    assert "令和7年度" in text and "第1期" in text and "令和7年6月30日" in text
    assert "延滞金は含まれていません" in text


def test_no_barcode_is_printed_above_the_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    person = _person()
    make_levy(person, [300_001], [date(2025, 6, 30)])
    listed, pdf = _list_and_render(tmp_path, capsys)
    [slip] = listed["slips"]
    assert slip["barcode"] is None

    symbols = _read_symbols(pdf, tmp_path)
    assert [s.type for s in symbols] == ["QR-Code"]
    assert symbols[0].data == slip["qr"]
    text = _text(pdf)
    assert "300,001円" in text
    assert "300,000円を超えるため" in text


def test_a_slip_issued_late_says_reissue_and_shows_its_deadline(tmp_path: Path) -> None:
    person = _person()
    make_levy(person, [12_300], [date(2025, 6, 30)])
    pdf = tmp_path / "late.pdf"
    call_command("slips", "render", ATENA, "--as-of", "2025-07-10", "--out", str(pdf))
    text = _text(pdf)
    assert "(再発行)" in text
    assert "令和7年6月30日" in text and "令和7年7月24日" in text  # due date, deadline = as_of + 14 days
    [code] = [s for s in _read_symbols(pdf, tmp_path) if s.type == "CODE-128"]
    assert code.data[29:36] == "1250724"  # reissue digit and the deadline in the barcode


def test_a_scanned_slip_paid_at_a_store_is_posted_exactly_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole loop: render → scan → the store's 速報 then 確報 of those digits → paid once."""
    from choshu.formats import cvs_csv
    from choshu.ledger.models import Installment, Payment
    from choshu.ledger.verify import ledger_violations
    from choshu.payments.services import channel_file_import
    from choshu.staff.models import Role
    from tests.factories import make_user

    levy = make_levy(_person(), [12_300], [date(2025, 6, 30)])
    listed, pdf = _list_and_render(tmp_path, capsys)
    (scanned,) = [s.data for s in _read_symbols(pdf, tmp_path) if s.type == "CODE-128"]
    assert scanned == listed["slips"][0]["barcode"]

    clerk = make_user(Role.CLERK)
    till = {"barcode": scanned, "paid_on": date(2025, 6, 20), "paid_time": "1932", "store_code": "004711"}
    for name, data_type, received in (("sokuho.csv", "01", date(2025, 6, 21)), ("kakuho.csv", "02", date(2025, 6, 25))):
        settles = date(2025, 6, 24) if data_type == "02" else None
        event = cvs_csv.make_event(data_type=data_type, settles_on=settles, **till)  # type: ignore[arg-type]
        result = channel_file_import(
            actor=clerk, format="cvs-csv", file_name=name, data=cvs_csv.dump([event]), received_on=received
        )
        assert result.ok, result.errors
    inst = Installment.objects.get(levy=levy)
    assert inst.balance == 0
    assert list(Payment.objects.values_list("amount", "paid_on")) == [(12_300, date(2025, 6, 20))]
    assert ledger_violations(as_of=date(2025, 6, 25)) == []

"""Print data of letters (seed 001): only the approved items, from a fixed batch, in Shift_JIS."""

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import pyzipper

from choshu.governance import services
from choshu.governance.exports import ExportError, export_kind
from choshu.governance.models import Contractor, ExportPackage
from choshu.notices.demands import demand_cancel, demand_run
from choshu.notices.models import DemandBatch, DemandLetter
from choshu.notices.print_data import EMPLOYERS_DEMAND
from choshu.people.models import Person
from choshu.staff.models import User
from tests.factories import make_levy, make_person
from tests.governance.conftest import make_contract

pytestmark = pytest.mark.django_db
DUE = date(2025, 6, 30)
ISSUE = date(2025, 7, 15)
Approve = Callable[[ExportPackage], tuple[ExportPackage, str]]


def _employer(designation_no: str, name: str = "株式会社新宿商事") -> Person:
    employer = make_person(
        kind="business",
        name=name,
        name_kana="シンジュクショウジ",
        birth_date=None,
        designation_no=designation_no,
        postal_code="163-8001",
        address="東京都新宿区西新宿2丁目8番1号",
    )
    make_levy(employer, [30_000, 28_000], [DUE, date(2025, 7, 10)], "resident_special")
    return employer


def _batch() -> DemandBatch:
    result = demand_run(actor=None, due_on=DUE, issue_date=ISSUE)
    assert result.batch_id is not None
    return DemandBatch.objects.get(pk=result.batch_id)


def _open(package: ExportPackage, password: str, var_dir: Path) -> list[list[str]]:
    with pyzipper.AESZipFile(var_dir / "exports" / package.file_name) as zf:
        zf.setpassword(password.encode())
        (name,) = zf.namelist()
        text = zf.read(name).decode("cp932")
    return list(csv.reader(io.StringIO(text)))


def test_the_decrypted_employer_print_data_holds_only_the_approved_items(
    clerk: User, supervisor: User, contractor: Contractor, approve: Approve, var_dir: Path
) -> None:
    employer = _employer("S0001")
    other = make_person(atena_no="200001", name="普通 太郎")  # an individual's letter is not in this kind
    make_levy(other, [9_000], [DUE], "resident_ordinary")
    batch = _batch()
    contract = make_contract(supervisor, contractor, ISSUE, items=EMPLOYERS_DEMAND.fields, ends_on=date(2099, 3, 31))
    package = services.export_prepare(
        actor=clerk, kind_code=EMPLOYERS_DEMAND.code, contract=contract, keys=[str(batch.pk)], purpose="督促状印字"
    )
    assert package.selection == [employer.pk]
    package, password = approve(package)
    rows = _open(package, password, var_dir)
    letter = DemandLetter.objects.get(batch=batch, person=employer)
    assert rows == [
        [
            "整理番号",
            "郵便番号(特別徴収義務者)",
            "所在地",
            "事業者氏名",
            "指定番号",
            "督促対象期別",
            "課税額",
            "督促額",
        ],
        [
            str(letter.pk),
            "163-8001",
            "東京都新宿区西新宿2丁目8番1号",
            "株式会社新宿商事",
            "S0001",
            "令和7年度 第1期",
            "30000",
            "30000",
        ],
    ]  # the month not yet due, and the individual, are not there; nothing else is


def test_only_a_fixed_batch_prints(clerk: User, supervisor: User, contractor: Contractor) -> None:
    _employer("S0002")
    batch = _batch()
    demand_cancel(actor=None, batch=batch, reason="発付日の誤り")
    kind = export_kind(EMPLOYERS_DEMAND.code)
    with pytest.raises(ExportError, match=f"{batch.pk}: 取消の処理です"):
        kind.select([str(batch.pk)], frozenset({"resident_special"}), ISSUE)
    with pytest.raises(ExportError, match="x1: 督促処理番号は数字です; 99999: 督促処理がありません"):
        kind.select(["x1", "99999"], frozenset({"resident_special"}), ISSUE)


def test_an_officer_without_special_collection_in_scope_selects_nothing() -> None:
    _employer("S0003")
    batch = _batch()
    with pytest.raises(ExportError, match="担当税目にありません"):
        EMPLOYERS_DEMAND.select([str(batch.pk)], frozenset({"nhi"}), ISSUE)


def test_a_character_shift_jis_cannot_carry_refuses_the_export(
    clerk: User, supervisor: User, contractor: Contractor, approve: Approve, var_dir: Path
) -> None:
    _employer("S0004", name="𠮷野家商店")
    batch = _batch()
    contract = make_contract(supervisor, contractor, ISSUE, items=EMPLOYERS_DEMAND.fields, ends_on=date(2099, 3, 31))
    package = services.export_prepare(
        actor=clerk, kind_code=EMPLOYERS_DEMAND.code, contract=contract, keys=[str(batch.pk)], purpose="督促状印字"
    )
    with pytest.raises(ExportError, match="1件目の事業者氏名にShift_JISで表せない文字「𠮷」"):
        approve(package)
    assert not list((var_dir / "exports").glob("*.zip"))


def test_the_survey_contract_does_not_cover_the_demand_print(
    clerk: User, supervisor: User, contractor: Contractor
) -> None:
    _employer("S0005")
    batch = _batch()
    contract = make_contract(supervisor, contractor, ISSUE, ends_on=date(2099, 3, 31))
    with pytest.raises(ExportError, match=r"指定番号\(employer\.designation_no\)"):
        services.export_prepare(
            actor=clerk, kind_code=EMPLOYERS_DEMAND.code, contract=contract, keys=[str(batch.pk)], purpose="x"
        )

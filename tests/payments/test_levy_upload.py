"""ペイジー調定データ (payments.levy_upload): the export kind payeasy-levy-upload through the export engine."""

import csv
import io
import json
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, Settings

from choshu.formats import payeasy_levy
from choshu.governance import services
from choshu.governance.catalogue import CATALOGUE
from choshu.governance.exports import EXPORT_KINDS, FIELD_SURVEY, ExportError, Request
from choshu.governance.models import Contract, Contractor, ExportPackage
from choshu.ledger.models import Installment
from choshu.ledger.services import counter_payment_post
from choshu.payments import levy_upload
from choshu.payments.levy_upload import CODE, EVERYONE, LEVY_UPLOAD, REVENUES
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import make_levy, make_person, make_user
from tests.governance.conftest import make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def var_dir(settings: Settings, tmp_path: Path) -> Path:
    """Packages go to a temporary var/exports/; a known 確認番号 secret."""
    settings.VAR_DIR = tmp_path
    settings.PAYEASY_CONFIRMATION_KEY = "levy-upload-test-secret"
    settings.PAYEASY_CONFIRMATION_LENGTH = 6
    settings.SLIP_VALIDITY_DAYS = 14
    return tmp_path


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def supervisor(db: None) -> User:
    return make_user(Role.SUPERVISOR, username="kakaricho")


@pytest.fixture
def clerk(db: None) -> User:
    return make_user(Role.CLERK, username="shuno")


@pytest.fixture
def contractor(supervisor: User) -> Contractor:
    return services.contractor_create(actor=supervisor, name="株式会社LGWAN共同利用センター", privacy_mark=True)


def _contract(supervisor: User, contractor: Contractor, today: date, items: tuple[str, ...]) -> Contract:
    return make_contract(
        supervisor,
        contractor,
        today,
        items=items,
        title="ペイジー納付に係るLGWAN-ASPサービス認定事業者との外部結合",
        kind=Contract.Kind.LINKAGE,
        purpose="マルチペイメントネットワークへの調定データのアップロード",
        media=["lgwan"],
    )


@pytest.fixture
def contract(supervisor: User, contractor: Contractor, today: date) -> Contract:
    return _contract(supervisor, contractor, today, LEVY_UPLOAD.fields)


@pytest.fixture
def payers(clerk: User, today: date) -> list[Person]:
    """Two payers with unpaid installments in the kind's revenues, one paid up, one with NHI only."""
    taro = make_person(atena_no="830001", name="新宿 太郎", name_kana="シンジュク タロウ")
    resident = make_levy(
        taro,
        [12_300, 12_300, 12_300, 12_100],
        [
            today - timedelta(days=40),
            today + timedelta(days=20),
            today + timedelta(days=60),
            today + timedelta(days=120),
        ],
    )
    _, second, third, _ = resident.installments.order_by("installment_no")
    counter_payment_post(actor=clerk, person=taro, installment_ids=[second.pk], amount=5_000, paid_on=today)
    counter_payment_post(actor=clerk, person=taro, installment_ids=[third.pk], amount=12_300, paid_on=today)
    make_levy(taro, [10_800], [today + timedelta(days=30)], revenue="light_vehicle")
    make_levy(taro, [30_000], [today + timedelta(days=10)], revenue="nhi")  # NHI: not in seed 002
    employer = make_person(
        atena_no="830002", kind="business", name="株式会社新宿商事", name_kana="カ)シンジュクショウジ", birth_date=None
    )
    make_levy(employer, [45_000, 45_000], [today - timedelta(days=5), today + timedelta(days=25)], "resident_special")
    paid_up = make_person(atena_no="830003")
    levy = make_levy(paid_up, [8_000], [today + timedelta(days=20)])
    counter_payment_post(
        actor=clerk, person=paid_up, installment_ids=[levy.installments.get().pk], amount=8_000, paid_on=today
    )
    nhi_only = make_person(atena_no="830004")
    make_levy(nhi_only, [20_000], [today + timedelta(days=20)], revenue="nhi")
    return [taro, employer]


def _7z(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["7z", *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


def _slips(capsys: pytest.CaptureFixture[str], atena_no: str, as_of: date) -> list[dict]:  # type: ignore[type-arg]
    call_command("slips", "list", atena_no, "--json", "--as-of", as_of.isoformat())
    slips = json.loads(capsys.readouterr().out)["slips"]
    return [s for s in slips if s["revenue"] in REVENUES]


def test_the_kind_is_registered_by_the_payments_app_with_catalogue_fields() -> None:
    assert EXPORT_KINDS[CODE] is LEVY_UPLOAD
    assert set(LEVY_UPLOAD.fields) <= set(CATALOGUE)
    assert tuple(LEVY_UPLOAD.header()) == payeasy_levy.COLUMNS  # the engine writes the codec's header line
    assert LEVY_UPLOAD.encoding == payeasy_levy.ENCODING
    assert CATALOGUE["payeasy.amount"].label == "納付金額" and CATALOGUE["payeasy.deadline"].label == "支払期限"
    assert "seed 002" in CATALOGUE["payeasy.deadline"].source


def test_refused_under_a_contract_that_lacks_an_item(
    clerk: User, supervisor: User, contractor: Contractor, payers: list[Person], today: date
) -> None:
    no_name = tuple(code for code in LEVY_UPLOAD.fields if code != "person.name_kana")
    narrow = _contract(supervisor, contractor, today, no_name)
    with pytest.raises(ExportError, match=r"承認されていないデータ項目があります: 氏名\(カナ\)\(person\.name_kana\)$"):
        services.export_prepare(actor=clerk, kind_code=CODE, contract=narrow, keys=["830001"], purpose="調定")
    survey = make_contract(supervisor, contractor, today, items=FIELD_SURVEY.fields)
    with pytest.raises(ExportError, match=r"収納機関番号\(payeasy\.institution_no\)・納付番号"):
        services.export_prepare(actor=clerk, kind_code=CODE, contract=survey, keys=["830001"], purpose="調定")
    assert not ExportPackage.objects.exists()


def test_the_package_opens_with_7zip_and_holds_the_slips_keys_and_nothing_else(
    clerk: User,
    supervisor: User,
    contract: Contract,
    payers: list[Person],
    today: date,
    var_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    taro, employer = payers
    package = services.export_prepare(
        actor=clerk, kind_code=CODE, contract=contract, keys=["830001", "830002"], purpose="調定データ(差分)"
    )
    assert package.selection == [taro.pk, employer.pk]
    package, password = services.export_approve(actor=supervisor, package=package)

    out = var_dir / "out"
    opened = _7z("x", f"-p{password}", f"-o{out}", str(var_dir / "exports" / package.file_name), cwd=var_dir)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    (csv_file,) = out.glob("*.csv")
    raw = csv_file.read_bytes()
    text = raw.decode("cp932")  # Shift_JIS, no BOM
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "整理番号",
        "収納機関番号",
        "納付番号",
        "確認番号",
        "納付区分",
        "納付金額",
        "支払期限",
        "氏名(カナ)",
    ]
    assert all(len(row) == 8 for row in rows)  # only the declared columns
    for leaked in ("新宿 太郎", "株式会社新宿商事", taro.address, taro.atena_no, "1980"):
        assert leaked not in text

    levy_file = payeasy_levy.parse(raw)  # the engine's CSV is the codec's layout
    assert levy_file.created_on == today
    expected = _slips(capsys, "830001", today) + _slips(capsys, "830002", today)
    assert len(expected) == 6  # taro: 1st (overdue), 2nd (part paid), 4th, light vehicle; employer: 2
    assert [
        {"payeasy": r.keys.as_dict(), "amount": r.amount, "deadline": r.deadline.isoformat()} for r in levy_file.records
    ] == [{"payeasy": s["payeasy"], "amount": s["amount"], "deadline": s["deadline"]} for s in expected]
    assert [r.name_kana for r in levy_file.records] == ["ｼﾝｼﾞﾕｸ ﾀﾛｳ"] * 4 + ["ｶ)ｼﾝｼﾞﾕｸｼﾖｳｼﾞ"] * 2
    assert {r.keys.category for r in levy_file.records} == {"101", "102", "201"}  # no NHI (301)
    assert rows[-1] == ["T", "01131", "6", "", "", str(levy_file.total), f"{today:%Y%m%d}", "1"]
    assert package.record_count == len(levy_file.records)  # the trailer line is not a record


def test_everyone_is_every_person_with_an_unpaid_installment_in_scope(
    clerk: User, contract: Contract, payers: list[Person]
) -> None:
    package = services.export_prepare(actor=clerk, kind_code=CODE, contract=contract, keys=[EVERYONE], purpose="全件")
    assert package.selection == [p.pk for p in payers]  # not the paid-up person, not the NHI-only one


def test_bad_keys_are_named(clerk: User, contract: Contract, payers: list[Person]) -> None:
    kanji = make_person(atena_no="830005", name_kana="新宿 花子")  # no kana form: a data error to fix first
    make_levy(kanji, [5_000], [timezone.localdate() + timedelta(days=9)])
    with pytest.raises(ExportError) as refused:
        services.export_prepare(
            actor=clerk,
            kind_code=CODE,
            contract=contract,
            keys=["830001", "999999", "830003", "830004", "830005"],
            purpose="x",
        )
    message = str(refused.value)
    assert "(4件)" in message
    assert "999999: 宛名番号がありません" in message
    assert "830003: 担当税目に未納の期別がありません" in message
    assert "830004: 担当税目に未納の期別がありません" in message
    assert "830005: カナ氏名を全銀協の文字に変換できません(「新」「宿」「花」「子」)" in message
    assert "830001" not in message
    with pytest.raises(ExportError, match="単独で"):
        services.export_prepare(actor=clerk, kind_code=CODE, contract=contract, keys=[EVERYONE, "830001"], purpose="x")


def test_a_name_changed_after_preparation_refuses_the_build(
    clerk: User, supervisor: User, contract: Contract, payers: list[Person], var_dir: Path
) -> None:
    package = services.export_prepare(actor=clerk, kind_code=CODE, contract=contract, keys=["830002"], purpose="x")
    Person.objects.filter(atena_no="830002").update(name_kana="㈱新宿商事")
    with pytest.raises(ExportError, match="1件目の氏名\\(カナ\\)に使えない値があります"):
        services.export_approve(actor=supervisor, package=package)
    assert not list((var_dir / "exports").glob("*.zip"))


def test_the_record_cap(clerk: User, contract: Contract, payers: list[Person], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(levy_upload, "MAX_RECORDS", 5)
    with pytest.raises(ExportError, match="未納の期別が6件あり、1回の上限5件を超えます"):
        services.export_prepare(actor=clerk, kind_code=CODE, contract=contract, keys=[EVERYONE], purpose="x")
    services.export_prepare(actor=clerk, kind_code=CODE, contract=contract, keys=["830001"], purpose="x")


def test_an_officer_without_the_revenues_cannot_prepare_it(contract: Contract, payers: list[Person]) -> None:
    nhi = make_user(Role.NHI_OFFICER, ["nhi"])
    with pytest.raises(PermissionDenied):
        services.export_prepare(actor=nhi, kind_code=CODE, contract=contract, keys=[EVERYONE], purpose="x")


def test_selection_and_rows_read_in_batches(
    clerk: User, today: date, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(40):
        make_levy(make_person(atena_no=f"84{n:04d}"), [1_000 + n, 2_000], [today, today + timedelta(days=30)])
    with django_assert_num_queries(2):  # the persons, the count
        ids = LEVY_UPLOAD.select([EVERYONE], REVENUES, today)
    assert len(ids) == 40
    with django_assert_num_queries(1):  # one query per chunk of 5,000 persons
        rows = list(LEVY_UPLOAD.rows(Request([], ids, REVENUES, today)))
    assert len(rows) == 81 and rows[-1][:3] == ["T", "01131", "80"]
    keyed = [f"84{n:04d}" for n in range(40)]
    with django_assert_num_queries(3):  # the persons, then per chunk: who has unpaid installments, how many
        assert LEVY_UPLOAD.select(keyed, REVENUES, today) == ids
    assert Installment.objects.count() == 80

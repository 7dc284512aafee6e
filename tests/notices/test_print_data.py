"""Print data of letters (seeds 001, 002) and of a year's notice slips (seed 002): only the approved
items, in Shift_JIS."""

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
import pyzipper
from django.db import connection
from django.test.utils import CaptureQueriesContext

from choshu.formats.payment_key import payment_key
from choshu.governance import services
from choshu.governance.exports import ExportError, Request, export_kind
from choshu.governance.models import Contractor, ExportPackage
from choshu.ledger.models import Installment, Levy
from choshu.ledger.services import counter_payment_post
from choshu.notices.delivery import package_letter_ids
from choshu.notices.demands import demand_cancel, demand_dispatch, demand_run
from choshu.notices.models import DemandBatch, DemandLetter, Reminder, ReminderBatch
from choshu.notices.print_data import EMPLOYERS_DEMAND, PERSONS_DEMAND, REMINDER_PRINT, TAX_NOTICE_SLIPS
from choshu.notices.reminders import reminder_dispatch, reminder_generate
from choshu.notices.slips import installment_slip
from choshu.people.models import Person
from choshu.rules.calendar import wareki
from choshu.staff.models import Role, User
from tests.factories import make_levy, make_person, make_user
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


# ---- seed 002: demand-print (督促状 普通徴収・軽自動車税) ------------------------------------------

DUE2 = date(2025, 7, 31)
ISSUE2 = date(2025, 8, 15)
SLIP_HEADER = [
    "使用期限",
    "コンビニ収納用バーコード",
    "収納機関番号",
    "納付番号",
    "確認番号",
    "納付区分",
    "地方税統一QRコード(eL-QR)",
]


def _slip_cells(installment: Installment, amount: int, as_of: date) -> list[str]:
    """What the slip of ``installment`` for ``amount`` issued on ``as_of`` carries, as the CSV writes it."""
    slip = installment_slip(
        Installment.objects.select_related("levy").get(pk=installment.pk), amount=amount, as_of=as_of
    )
    keys = slip.payeasy
    assert keys.payment_no == payment_key(installment.pk)
    return [
        wareki(slip.deadline),
        slip.barcode or "",
        keys.institution_no,
        keys.payment_no,
        keys.confirmation_no,
        keys.category,
        slip.qr,
    ]


def _pay(installment: Installment, amount: int, on: date) -> None:
    """窓口収納 by a 収納担当 (the officer of the export fixtures does not post payments)."""
    person = Person.objects.get(levies__installments=installment)
    cashier = make_user(Role.CLERK)
    counter_payment_post(actor=cashier, person=person, installment_ids=[installment.pk], amount=amount, paid_on=on)


def _first(levy: Levy) -> Installment:
    return levy.installments.order_by("installment_no").first()  # type: ignore[return-value]


def test_the_decrypted_demand_print_holds_the_person_letters_with_their_slips(
    clerk: User, supervisor: User, contractor: Contractor, approve: Approve, var_dir: Path
) -> None:
    hanako = make_person(atena_no="860001", name="新宿 花子", name_kana="シンジュク ハナコ")
    ordinary = make_levy(hanako, [9_000, 8_000], [DUE, DUE2], "resident_ordinary")
    vehicle = make_levy(hanako, [10_800], [DUE], "light_vehicle")
    make_levy(hanako, [20_000], [DUE], "nhi")  # her NHI letter (form nhi): not seed 002's printing
    big = make_person(atena_no="860002", name="大口 一郎", address_extra="新宿ハイツ101")
    large = make_levy(big, [350_000], [DUE], "resident_ordinary")  # above the barcode cap
    _employer("S0101")  # the employer's letter is employers-demand-print's
    first = _batch()
    second_result = demand_run(actor=None, due_on=DUE2, issue_date=ISSUE2)
    second = DemandBatch.objects.get(pk=second_result.batch_id)
    contract = make_contract(supervisor, contractor, ISSUE, items=PERSONS_DEMAND.fields, ends_on=date(2099, 3, 31))
    package = services.export_prepare(
        actor=clerk,
        kind_code=PERSONS_DEMAND.code,
        contract=contract,
        keys=[str(first.pk), str(second.pk)],
        purpose="督促状印字",
    )
    assert sorted(package.selection) == sorted([hanako.pk, big.pk])
    package, password = approve(package)
    rows = _open(package, password, var_dir)

    letter_1 = DemandLetter.objects.get(batch=first, person=hanako, form="tax")
    letter_big = DemandLetter.objects.get(batch=first, person=big)
    letter_2 = DemandLetter.objects.get(batch=second, person=hanako)
    assert DemandLetter.objects.filter(person=hanako, form="nhi").exists()
    home = ["160-0022", "東京都新宿区新宿1丁目1番1号", ""]
    expected = {
        letter_1.pk: [
            [*home, "新宿 花子", "令和7年度 個人住民税(普通徴収) 第1期", "9000", "9000"]
            + _slip_cells(_first(ordinary), 9_000, ISSUE),
            [*home, "新宿 花子", "令和7年度 軽自動車税(種別割) 第1期", "10800", "10800"]
            + _slip_cells(_first(vehicle), 10_800, ISSUE),
        ],
        letter_big.pk: [
            ["160-0022", "東京都新宿区新宿1丁目1番1号", "新宿ハイツ101", "大口 一郎"]
            + ["令和7年度 個人住民税(普通徴収) 第1期", "350000", "350000"]
            + _slip_cells(_first(large), 350_000, ISSUE)
        ],
        letter_2.pk: [
            [*home, "新宿 花子", "令和7年度 個人住民税(普通徴収) 第2期", "8000", "8000"]
            + _slip_cells(ordinary.installments.get(installment_no=2), 8_000, ISSUE2)
        ],
    }
    assert rows[0] == [
        "整理番号",
        "郵便番号",
        "住所(現住所)",
        "方書",
        "氏名(漢字)",
        "督促対象期別",
        "課税額",
        "督促額",
        *SLIP_HEADER,
    ]
    assert rows[1:] == [[str(pk), *row] for pk in sorted(expected) for row in expected[pk]]
    # the enclosed slip of each batch is as of its own issue date: issue date + 14 days
    by_letter = {int(row[0]): row for row in rows[1:]}
    assert by_letter[letter_1.pk][8] == "令和7年7月29日" and by_letter[letter_2.pk][8] == "令和7年8月29日"
    assert len(by_letter[letter_1.pk][9]) == 44 and by_letter[letter_big.pk][9] == ""  # no barcode above the cap
    ordinary_row, vehicle_row = (row for row in rows[1:] if row[0] == str(letter_1.pk))
    assert ordinary_row[10:14] == ["01131", payment_key(_first(ordinary).pk), ordinary_row[12], "101"]
    assert vehicle_row[10:14] == ["01131", payment_key(_first(vehicle).pk), vehicle_row[12], "201"]
    assert by_letter[letter_big.pk][14].startswith("CHOSHU-ELQR1:01131:")
    # the NHI letter and the employer's are not there; 納品検査 reconciles these letters
    assert package_letter_ids(package) == {letter_1.pk, letter_big.pk, letter_2.pk}
    assert package.record_count == 4


def test_demand_print_rows_take_one_query() -> None:
    for n in range(6):
        person = make_person(atena_no=f"861{n:03d}")
        make_levy(person, [9_000], [DUE], "resident_ordinary")
        make_levy(person, [10_800], [DUE], "light_vehicle")
    batch = _batch()
    revenues = frozenset({"resident_ordinary", "light_vehicle"})
    ids = PERSONS_DEMAND.select([str(batch.pk)], revenues, ISSUE)
    with CaptureQueriesContext(connection) as queries:
        rows = list(PERSONS_DEMAND.rows(Request([str(batch.pk)], ids, revenues, ISSUE)))
    assert len(rows) == 12 and len(queries) == 1  # lines, letters, batches, persons and levies joined


def test_demand_print_has_no_letter_of_an_employer_or_an_nhi_premium() -> None:
    _employer("S0102")
    nhi_only = make_person(atena_no="862001")
    make_levy(nhi_only, [20_000], [DUE], "nhi")
    batch = _batch()
    with pytest.raises(ExportError, match="対象となる文書がありません"):
        PERSONS_DEMAND.select([str(batch.pk)], frozenset({"resident_ordinary", "light_vehicle"}), ISSUE)
    with pytest.raises(ExportError, match="担当税目にありません"):
        PERSONS_DEMAND.select([str(batch.pk)], frozenset({"nhi", "resident_special"}), ISSUE)


def test_the_employer_print_contract_does_not_cover_the_demand_print(
    clerk: User, supervisor: User, contractor: Contractor
) -> None:
    make_levy(make_person(atena_no="863001"), [9_000], [DUE], "resident_ordinary")
    batch = _batch()
    contract = make_contract(supervisor, contractor, ISSUE, items=EMPLOYERS_DEMAND.fields, ends_on=date(2099, 3, 31))
    with pytest.raises(ExportError, match=r"コンビニ収納用バーコード\(slip\.barcode\)"):
        services.export_prepare(
            actor=clerk, kind_code=PERSONS_DEMAND.code, contract=contract, keys=[str(batch.pk)], purpose="x"
        )


# ---- seed 002: reminder-print (催告書) ------------------------------------------------------


def _reminded(as_of: date) -> ReminderBatch:
    """The demands of DUE dispatched on ISSUE, then the reminders due on ``as_of`` (issued that day)."""
    demand_dispatch(actor=None, batch=_batch(), dispatched_on=ISSUE)
    result = reminder_generate(actor=None, as_of=as_of, issue_date=as_of)
    return ReminderBatch.objects.get(pk=result.batch_id)


def test_the_decrypted_reminder_print_holds_the_reminders_with_their_slips(
    clerk: User, supervisor: User, contractor: Contractor, approve: Approve, var_dir: Path
) -> None:
    hanako = make_person(atena_no="870001", name="新宿 花子")
    ordinary = make_levy(hanako, [9_000], [DUE], "resident_ordinary")
    make_levy(hanako, [20_000], [DUE], "nhi")  # her NHI reminder: not seed 002's printing
    _employer("S0201")  # an employer's reminder is not printed by the contractor
    _pay(_first(ordinary), 1_000, date(2025, 7, 20))  # 8,000 still owed
    as_of = date(2025, 8, 20)
    batch = _reminded(as_of)
    assert batch.letters == 3
    contract = make_contract(supervisor, contractor, ISSUE, items=REMINDER_PRINT.fields, ends_on=date(2099, 3, 31))
    package = services.export_prepare(
        actor=clerk, kind_code=REMINDER_PRINT.code, contract=contract, keys=[str(batch.pk)], purpose="催告書印字"
    )
    assert package.selection == [hanako.pk]
    package, password = approve(package)
    rows = _open(package, password, var_dir)
    reminder = Reminder.objects.get(batch=batch, person=hanako, form="tax")
    assert rows[0] == [
        "整理番号",
        "郵便番号",
        "住所(現住所)",
        "方書",
        "氏名(漢字)",
        "文書名(催告書・最終催告書・差押予告書)",
        "催告対象期別",
        "納期限",
        "本税額",
        "催告額(未納額)",
        *SLIP_HEADER,
    ]
    assert rows[1:] == [
        [str(reminder.pk), "160-0022", "東京都新宿区新宿1丁目1番1号", "", "新宿 花子", "催告書"]
        + ["令和7年度 個人住民税(普通徴収) 第1期", "令和7年6月30日", "9000", "8000"]
        + _slip_cells(_first(ordinary), 8_000, as_of)
    ]
    assert package_letter_ids(package) == {reminder.pk}


def test_only_a_generated_reminder_batch_prints() -> None:
    make_levy(make_person(atena_no="871001"), [9_000], [DUE], "resident_ordinary")
    batch = _reminded(date(2025, 8, 20))
    reminder_dispatch(actor=None, batch=batch, dispatched_on=date(2025, 8, 21))
    with pytest.raises(ExportError, match=f"{batch.pk}: 発送済の処理です\\(作成済の処理のみ印字できます\\)"):
        REMINDER_PRINT.select([str(batch.pk)], frozenset({"resident_ordinary"}), ISSUE)
    with pytest.raises(ExportError, match="99999: 催告処理がありません"):
        REMINDER_PRINT.select(["99999"], frozenset({"resident_ordinary"}), ISSUE)


# ---- seed 002: tax-notice-slips (納付書, a fiscal year's notice run) ---------------------------

NOTICE_YEAR = 2026
NOTICE_REVENUES = frozenset({"resident_ordinary", "light_vehicle"})


def test_the_decrypted_notice_slips_hold_each_unpaid_installment_of_the_year(
    clerk: User, supervisor: User, contractor: Contractor, approve: Approve, var_dir: Path, today: date
) -> None:
    taro = make_person(atena_no="870001", name="新宿 太郎", address_extra="新宿コーポ202")
    resident = make_levy(
        taro,
        [12_000, 11_000, 11_000],
        [today + timedelta(days=30), today + timedelta(days=60), today + timedelta(days=90)],
        "resident_ordinary",
        fiscal_year=NOTICE_YEAR,
    )
    first, second, third = resident.installments.order_by("installment_no")
    _pay(first, 12_000, today)
    _pay(second, 5_000, today)
    vehicle = make_levy(taro, [10_800], [today + timedelta(days=20)], "light_vehicle", fiscal_year=NOTICE_YEAR)
    make_levy(taro, [7_000], [today + timedelta(days=30)], "resident_ordinary", fiscal_year=NOTICE_YEAR - 1)
    make_levy(taro, [30_000], [today + timedelta(days=30)], "nhi", fiscal_year=NOTICE_YEAR)  # not seed 002
    hanako = make_person(atena_no="870002", name="新宿 花子")
    overdue = make_levy(hanako, [400_000], [today - timedelta(days=10)], "resident_ordinary", fiscal_year=NOTICE_YEAR)
    paid_up = make_person(atena_no="870003")
    paid_levy = make_levy(paid_up, [8_000], [today + timedelta(days=30)], "resident_ordinary", fiscal_year=NOTICE_YEAR)
    _pay(_first(paid_levy), 8_000, today)
    employer = _employer("S0201")  # resident_special: not in the notice run
    contract = make_contract(supervisor, contractor, today, items=TAX_NOTICE_SLIPS.fields)
    package = services.export_prepare(
        actor=clerk, kind_code=TAX_NOTICE_SLIPS.code, contract=contract, keys=["2026"], purpose="当初課税の納付書印字"
    )
    assert package.selection == [taro.pk, hanako.pk]  # 宛名番号 order; the paid-up person and the employer are not
    assert employer.pk not in package.selection
    package, password = approve(package)
    rows = _open(package, password, var_dir)
    assert rows[0] == [
        "整理番号",
        "郵便番号",
        "住所(現住所)",
        "方書",
        "氏名(漢字)",
        "年度・税目・期別",
        "納期限",
        "納付金額",
        *SLIP_HEADER,
    ]
    taro_cells = ["160-0022", "東京都新宿区新宿1丁目1番1号", "新宿コーポ202", "新宿 太郎"]
    hanako_cells = ["160-0022", "東京都新宿区新宿1丁目1番1号", "", "新宿 花子"]
    assert rows[1:] == [  # a person's slips by levy (通知書) and 期別; the paid first installment is not there
        ["1", *taro_cells, "令和8年度 個人住民税(普通徴収) 第2期", wareki(second.due_date), "6000"]
        + _slip_cells(second, 6_000, today),
        ["2", *taro_cells, "令和8年度 個人住民税(普通徴収) 第3期", wareki(third.due_date), "11000"]
        + _slip_cells(third, 11_000, today),
        ["3", *taro_cells, "令和8年度 軽自動車税(種別割) 第1期", wareki(_first(vehicle).due_date), "10800"]
        + _slip_cells(_first(vehicle), 10_800, today),
        ["4", *hanako_cells, "令和8年度 個人住民税(普通徴収) 第1期", wareki(_first(overdue).due_date), "400000"]
        + _slip_cells(_first(overdue), 400_000, today),
    ]
    assert rows[1][8] == wareki(second.due_date)  # not yet due: the slip's deadline is its due date
    assert rows[4][8] == wareki(today + timedelta(days=14))  # overdue: usable for SLIP_VALIDITY_DAYS
    assert len(rows[1][9]) == 44 and rows[4][9] == ""  # no barcode above the cap
    assert [row[10:14] for row in rows[1:]] == [
        ["01131", payment_key(second.pk), rows[1][12], "101"],
        ["01131", payment_key(third.pk), rows[2][12], "101"],
        ["01131", payment_key(_first(vehicle).pk), rows[3][12], "201"],
        ["01131", payment_key(_first(overdue).pk), rows[4][12], "101"],
    ]
    assert package.record_count == 4


@pytest.mark.parametrize(
    "keys",
    [[], ["26"], ["R8"], ["２０２６"], ["2026", "2027"], ["2026年度"]],
)
def test_a_notice_run_takes_one_year_in_four_digits(keys: list[str], today: date) -> None:
    make_levy(make_person(), [9_000], [today + timedelta(days=30)], fiscal_year=NOTICE_YEAR)
    with pytest.raises(ExportError, match=r"年度を西暦4桁で1つだけ入力してください\(例: 2026\)。入力: "):
        TAX_NOTICE_SLIPS.select(keys, NOTICE_REVENUES, today)


def test_a_year_without_levies_or_without_unpaid_installments_is_refused(today: date) -> None:
    person = make_person()
    levy = make_levy(person, [9_000], [today + timedelta(days=30)], fiscal_year=NOTICE_YEAR)
    with pytest.raises(
        ExportError, match=r"^2031年度の個人住民税\(普通徴収\)・軽自動車税\(種別割\)の調定がありません。$"
    ):
        TAX_NOTICE_SLIPS.select(["2031"], NOTICE_REVENUES, today)
    with pytest.raises(ExportError, match=r"^2026年度の軽自動車税\(種別割\)の調定がありません。$"):
        TAX_NOTICE_SLIPS.select(["2026"], frozenset({"light_vehicle"}), today)
    with pytest.raises(ExportError, match="担当税目にありません"):
        TAX_NOTICE_SLIPS.select(["2026"], frozenset({"nhi"}), today)
    _pay(_first(levy), 9_000, today)
    with pytest.raises(ExportError, match="2026年度の個人住民税.*の調定に、未納の期別がありません。"):
        TAX_NOTICE_SLIPS.select(["2026"], NOTICE_REVENUES, today)


def test_an_addressee_shift_jis_cannot_carry_is_named_at_preparation(today: date) -> None:
    make_levy(make_person(atena_no="871001"), [9_000], [today + timedelta(days=30)], fiscal_year=NOTICE_YEAR)
    make_levy(
        make_person(atena_no="871002", name="𠮷田 太郎"), [9_000], [today + timedelta(days=30)], fiscal_year=NOTICE_YEAR
    )
    with pytest.raises(ExportError, match=r"\(1件\): 871002: 氏名\(漢字\)にShift_JISで表せない文字「𠮷」があります"):
        TAX_NOTICE_SLIPS.select(["2026"], NOTICE_REVENUES, today)


def test_notice_slip_rows_take_the_same_queries_for_2_or_8_persons(today: date) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            person = make_person()
            make_levy(
                person,
                [9_000, 8_000],
                [today + timedelta(days=30), today + timedelta(days=60)],
                fiscal_year=NOTICE_YEAR,
            )
            make_levy(person, [10_800], [today + timedelta(days=20)], "light_vehicle", fiscal_year=NOTICE_YEAR)

    def measure() -> tuple[int, int]:
        ids = TAX_NOTICE_SLIPS.select(["2026"], NOTICE_REVENUES, today)
        with CaptureQueriesContext(connection) as queries:
            rows = list(TAX_NOTICE_SLIPS.rows(Request(["2026"], ids, NOTICE_REVENUES, today)))
        return len(rows), len(queries)

    add(2)
    assert measure() == (6, 2)  # per chunk of persons: the addressees, the installments with their levies
    add(6)
    assert measure() == (24, 2)

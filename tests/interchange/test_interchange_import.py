"""Importing interchange files into the database (interchange.services, `choshu import`)."""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import models

from choshu.formats.interchange import ParseError
from choshu.interchange.models import ImportRun
from choshu.interchange.selectors import import_runs
from choshu.interchange.services import ImportResult, interchange_import
from choshu.ledger.models import (
    DebitMandate,
    Installment,
    InstallmentAmount,
    Levy,
    LevyRevision,
    Overpayment,
)
from choshu.ledger.services import counter_payment_post
from choshu.people.models import Household, Person
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

PERSONS = """\
atena_no,kind,name,name_kana,birth_date,sex,postal_code,address,address_extra,residency,moved_out_on,household_no,is_household_head,corporate_no,designation_no
900001,individual,新宿 太郎,シンジュク タロウ,1980-04-01,1,160-0022,東京都新宿区新宿1-1-1,メゾン101,resident,,7001,1,,
900002,individual,新宿 花子,シンジュク ハナコ,1982-05-02,2,160-0022,東京都新宿区新宿1-1-1,メゾン101,resident,,7001,0,,
900003,individual,大久保 次郎,オオクボ ジロウ,1975-12-31,1,169-0072,埼玉県さいたま市浦和区1-1,,moved_out,2025-03-31,,,,
900004,business,株式会社西新宿,カブシキガイシャ ニシシンジュク,,,163-8001,東京都新宿区西新宿2-8-1,,resident,,,,\
7123456789012,S0001
"""
LEVY_HEADER = (
    "levy_no,revision_no,revised_on,atena_no,revenue,fiscal_year,notice_no,installment_no,nominal_due_date,amount"
)
ACCOUNT_HEADER = "atena_no,revenue,bank_code,branch_code,account_type,account_no,holder_kana,start_on,end_on"
TABLES: list[type[models.Model]] = [
    Person,
    Household,
    Levy,
    LevyRevision,
    Installment,
    InstallmentAmount,
    DebitMandate,
    Overpayment,
]


def _run(kind: str, text: str, name: str = "") -> ImportResult:
    return interchange_import(actor=None, kind=kind, file_name=name or f"{kind}.csv", data=text.encode("utf-8"))


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def _levies(*rows: str) -> str:
    return "\n".join([LEVY_HEADER, *rows]) + "\n"


# Four installments of resident tax FY2026 (nominal dates; 2026-08-31 and 2026-06-30 are open days,
# 2026-10-31 is a Saturday → 2026-11-02, 2027-01-31 a Sunday → 2027-02-01).
DUE = ["2026-06-30", "2026-08-31", "2026-10-31", "2027-01-31"]


def _levy_rows(levy_no: str, atena_no: str, amounts: list[int], rev: int = 0, revised_on: str = "") -> list[str]:
    return [
        f"{levy_no},{rev},{revised_on},{atena_no},resident_ordinary,2026,N{levy_no},{no},{DUE[no - 1]},{amount}"
        for no, amount in enumerate(amounts, start=1)
    ]


# --- persons ----------------------------------------------------------------------------------


def test_persons_file_imports_and_reimport_changes_nothing() -> None:
    result = _run("persons", PERSONS)
    assert result.errors == []
    assert (result.rows, result.created, result.updated, result.unchanged) == (4, 4, 0, 0)
    taro = Person.objects.get(atena_no="900001")
    assert taro.kana_key == "シンジュクタロウ"
    assert taro.household is not None and taro.household.household_no == "7001"
    assert taro.is_household_head and taro.address_extra == "メゾン101" and taro.sex == "1"
    assert Person.objects.get(atena_no="900002").household == taro.household
    assert Household.objects.count() == 1
    moved = Person.objects.get(atena_no="900003")
    assert (moved.residency, moved.moved_out_on, moved.household) == ("moved_out", date(2025, 3, 31), None)
    business = Person.objects.get(atena_no="900004")
    assert (business.birth_date, business.corporate_no, business.designation_no) == (None, "7123456789012", "S0001")

    before = _counts()
    again = _run("persons", PERSONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert _counts() == before
    runs = list(ImportRun.objects.order_by("pk").values_list("ok", "rows", "created", "unchanged", "error_count"))
    assert runs == [(True, 4, 4, 0, 0), (True, 4, 0, 4, 0)]


def test_a_later_row_updates_the_person_and_absent_columns_are_kept() -> None:
    _run("persons", PERSONS)
    update = (
        "atena_no,kind,name,name_kana,birth_date,postal_code,address,residency\n"
        "900001,individual,新宿 太郎,シンジュク タロウ,1980-04-01,160-0023,東京都新宿区西新宿3-3-3,resident\n"
        "900002,individual,新宿 花子,シンジュク ハナコ,1982-05-02,160-0022,東京都新宿区新宿1-1-1,resident\n"
        "900005,individual,戸山 三郎,トヤマ サブロウ,1990-01-01,162-0052,東京都新宿区戸山1-1,resident\n"
        "900005,individual,戸山 三郎,トヤマ サブロウ,1990-01-01,162-0052,東京都新宿区戸山2-2,resident\n"
    )
    result = _run("persons", update)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (1, 2, 1)
    taro = Person.objects.get(atena_no="900001")
    assert (taro.postal_code, taro.address) == ("160-0023", "東京都新宿区西新宿3-3-3")
    # Columns left out of the header keep their recorded values.
    assert taro.address_extra == "メゾン101" and taro.is_household_head and taro.household is not None
    assert Person.objects.get(atena_no="900005").address == "東京都新宿区戸山2-2"


def test_several_bad_lines_are_all_reported_and_nothing_is_written() -> None:
    make_person(atena_no="800001")
    bad = PERSONS.replace("900002,individual", "90000X,individual").replace("169-0072", "1690072")
    bad = bad.replace("7123456789012", "7123456789013")
    before = _counts()
    result = _run("persons", bad)
    assert [(e.line, e.column) for e in result.errors] == [(3, "atena_no"), (4, "postal_code"), (5, "corporate_no")]
    assert _counts() == before
    run = ImportRun.objects.get()
    assert (run.ok, run.error_count, run.rows, run.created) == (False, 3, 4, 0)
    assert run.errors[0] == {"line": 3, "column": "atena_no", "reason": "'90000X' is not 1–15 digits"}
    assert len(run.sha256) == 64


def test_unknown_column_rejects_the_file() -> None:
    header, *rows = PERSONS.splitlines()
    text = "\n".join([header + ",mynumber", *(row + ",1" for row in rows)]) + "\n"
    result = _run("persons", text)
    assert [str(e) for e in result.errors] == ["line 1, column mynumber: unknown column"]
    assert Person.objects.count() == 0


def test_missing_required_column_rejects_the_file() -> None:
    lines = PERSONS.splitlines()
    without_address = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 7) for line in lines)
    result = _run("persons", without_address + "\n")
    assert [str(e) for e in result.errors] == ["line 1, column address: required column missing"]
    assert Person.objects.count() == 0


def test_bom_file_imports() -> None:
    data = b"\xef\xbb\xbf" + PERSONS.encode("utf-8")
    result = interchange_import(actor=None, kind="persons", file_name="persons.csv", data=data)
    assert result.ok and result.created == 4


def test_designation_no_held_by_another_person_is_rejected() -> None:
    make_person(atena_no="800001", kind="business", birth_date=None, designation_no="S0001")
    result = _run("persons", PERSONS)
    assert [str(e) for e in result.errors] == [
        "line 5, column designation_no: S0001 already belongs to atena_no 800001; clear it there first"
    ]
    assert Person.objects.count() == 1


def test_persons_import_is_set_based(django_assert_max_num_queries) -> None:
    header, *_ = PERSONS.splitlines()
    rows = [
        f"{950000 + i},individual,氏名 {i},シメイ,1970-01-01,,160-0022,東京都新宿区,,resident,,{i % 40},0,,"
        for i in range(300)
    ]
    text = "\n".join([header, *rows]) + "\n"
    with django_assert_max_num_queries(20):
        result = interchange_import(actor=None, kind="persons", file_name="p.csv", data=text.encode(), chunk_size=100)
    assert result.created == 300 and Household.objects.count() == 40
    changed = text.replace("東京都新宿区", "東京都新宿区高田馬場")
    with django_assert_max_num_queries(30):
        result = interchange_import(
            actor=None, kind="persons", file_name="p.csv", data=changed.encode(), chunk_size=100
        )
    assert result.updated == 300
    assert Person.objects.filter(address="東京都新宿区高田馬場").count() == 300


# --- levies -----------------------------------------------------------------------------------


def test_levies_import_creates_levies_installments_and_revision_0() -> None:
    _run("persons", PERSONS)
    text = _levies(*_levy_rows("L1", "900001", [10000, 9000, 9000, 9000]), *_levy_rows("L2", "900003", [5000]))
    result = _run("levies", text)
    assert result.errors == []
    assert (result.rows, result.created, result.updated, result.unchanged) == (5, 5, 0, 0)
    levy = Levy.objects.get(levy_no="L1")
    assert (levy.person.atena_no, levy.revenue, levy.fiscal_year, levy.notice_no) == (
        "900001",
        "resident_ordinary",
        2026,
        "NL1",
    )
    installments = list(levy.installments.order_by("installment_no"))
    assert [i.amount for i in installments] == [10000, 9000, 9000, 9000]
    assert [i.due_date for i in installments] == [
        date(2026, 6, 30),
        date(2026, 8, 31),
        date(2026, 11, 2),
        date(2027, 2, 1),
    ]
    assert all(i.legal_due_date == i.due_date for i in installments)
    assert installments[2].nominal_due_date == date(2026, 10, 31)
    assert list(levy.revisions.values_list("revision_no", flat=True)) == [0]
    assert InstallmentAmount.objects.filter(revision__levy=levy).count() == 4

    before = _counts()
    again = _run("levies", text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert _counts() == before


def test_levies_referencing_unknown_persons_are_rejected() -> None:
    _run("persons", PERSONS)
    text = _levies(*_levy_rows("L1", "900001", [1000]), *_levy_rows("L2", "123", [1000, 2000]))
    before = _counts()
    result = _run("levies", text)
    assert [str(e) for e in result.errors] == [
        "line 3, column atena_no: no person with atena_no 123 (import persons first)",
        "line 4, column atena_no: no person with atena_no 123 (import persons first)",
    ]
    assert _counts() == before
    assert ImportRun.objects.filter(kind="levies").get().ok is False


def test_revision_lowers_an_installment_and_reimport_is_idempotent() -> None:
    _run("persons", PERSONS)
    original = _levies(*_levy_rows("L1", "900001", [10000, 9000]))
    assert _run("levies", original).created == 2
    revision = _levies(*_levy_rows("L1", "900001", [10000, 4000], rev=1, revised_on="2026-07-15"))
    result = _run("levies", revision)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    levy = Levy.objects.get(levy_no="L1")
    assert list(levy.installments.order_by("installment_no").values_list("amount", flat=True)) == [10000, 4000]
    assert list(levy.revisions.order_by("revision_no").values_list("revision_no", "revised_on")) == [
        (0, None),
        (1, date(2026, 7, 15)),
    ]
    history = InstallmentAmount.objects.filter(installment__levy=levy, installment__installment_no=2)
    assert sorted(history.values_list("revision__revision_no", "amount")) == [(0, 9000), (1, 4000)]

    # The whole history in one file again: every row is already recorded.
    both = original + "\n".join(revision.splitlines()[1:]) + "\n"
    before = _counts()
    again = _run("levies", both)
    assert (again.rows, again.created, again.updated, again.unchanged) == (4, 0, 0, 4)
    assert _counts() == before


def test_original_and_revisions_in_one_file() -> None:
    _run("persons", PERSONS)
    text = _levies(
        *_levy_rows("L1", "900001", [10000, 9000]),
        *_levy_rows("L1", "900001", [8000, 9000], rev=1, revised_on="2026-07-15"),
        *_levy_rows("L1", "900001", [8000, 7000], rev=2, revised_on="2026-09-01"),
    )
    result = _run("levies", text)
    assert result.errors == []
    assert (result.created, result.updated) == (2, 4)
    levy = Levy.objects.get(levy_no="L1")
    assert list(levy.installments.order_by("installment_no").values_list("amount", flat=True)) == [8000, 7000]
    assert levy.revisions.count() == 3


def test_revision_below_the_paid_amount_creates_an_overpayment() -> None:
    _run("persons", PERSONS)
    _run("levies", _levies(*_levy_rows("L1", "900001", [10000])))
    installment = Installment.objects.get(levy__levy_no="L1")
    counter_payment_post(
        actor=make_user(),
        person=installment.levy.person,
        installment_ids=[installment.pk],
        amount=10000,
        paid_on=date(2026, 6, 20),
    )
    result = _run("levies", _levies(*_levy_rows("L1", "900001", [6000], rev=1, revised_on="2026-07-15")))
    assert result.errors == [] and result.overpayments == 1
    overpayment = Overpayment.objects.get()
    assert (overpayment.amount, overpayment.arose_on, overpayment.reason) == (4000, date(2026, 7, 15), "revision")
    installment.refresh_from_db()
    assert (installment.amount, installment.paid_principal) == (6000, 6000)


def test_revision_errors_are_reported_and_nothing_is_written() -> None:
    _run("persons", PERSONS)
    _run("levies", _levies(*_levy_rows("L1", "900001", [10000, 9000]), *_levy_rows("L2", "900002", [500])))
    _run("levies", _levies(*_levy_rows("L2", "900002", [400], rev=1, revised_on="2026-07-01")))
    text = _levies(
        # revision 0 of L1 again, with another amount: an error, not an update
        *_levy_rows("L1", "900001", [10000, 9500]),
        # revision 2 of L2 while revision 1 is the latest: fine; revision 4 skips 3
        *_levy_rows("L2", "900002", [300], rev=2, revised_on="2026-08-01"),
        *_levy_rows("L2", "900002", [200], rev=4, revised_on="2026-09-01"),
        # revision 1 of a levy never recorded
        *_levy_rows("L3", "900001", [100], rev=1, revised_on="2026-07-01"),
        # revision 1 of L1 that lacks installment 2 (L1's revision-0 rows above carry both)
    )
    before = _counts()
    result = _run("levies", text)
    assert [str(e) for e in result.errors] == [
        "line 3, column amount: revision 0 of levy L1 is already recorded with amount 9000 for installment 2",
        "line 5, column revision_no: levy L2 has revision 2 as its latest; revision 4 cannot follow "
        "(revision 3 expected)",
        "line 6, column revision_no: levy L3 is not recorded; revision 1 cannot follow (revision 0 expected)",
    ]
    assert _counts() == before

    lacking = _levies(*_levy_rows("L1", "900001", [10000], rev=1, revised_on="2026-07-01"))
    assert [str(e) for e in _run("levies", lacking).errors] == [
        "line 2, column installment_no: revision 1 of levy L1 lacks installments 2; a revision sends every installment"
    ]
    other = _levies(*_levy_rows("L1", "900002", [10000, 9000], rev=1, revised_on="2026-07-01"))
    assert [str(e) for e in _run("levies", other).errors] == [
        "line 2, column atena_no: levy L1 is recorded with atena_no 900001"
    ]
    assert _counts() == before


# --- accounts ---------------------------------------------------------------------------------


def _accounts(*rows: str) -> str:
    return "\n".join([ACCOUNT_HEADER, *rows]) + "\n"


def test_accounts_import_with_zengin_kana_and_idempotent_reimport() -> None:
    _run("persons", PERSONS)
    text = _accounts(
        "900001,resident_ordinary,0001,001,1,1234567,シンジュク　タロウ,2026-04-01,",
        "900001,light_vehicle,0005,001,3,7654321,しんじゅく たろう,2026-04-01,2027-03-31",
        "900004,resident_special,0009,005,2,0000001,カ）ニシシンジュク,2026-04-01,",
    )
    result = _run("accounts", text)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    mandate = DebitMandate.objects.get(person__atena_no="900001", revenue="resident_ordinary")
    assert (mandate.bank_code, mandate.branch_code, mandate.holder_kana) == ("0001", "001", "ｼﾝｼﾞﾕｸ ﾀﾛｳ")
    assert DebitMandate.objects.get(revenue="light_vehicle").end_on == date(2027, 3, 31)
    assert DebitMandate.objects.get(revenue="resident_special").holder_kana == "ｶ)ﾆｼｼﾝｼﾞﾕｸ"

    again = _run("accounts", text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = _run("accounts", text.replace("1234567", "1111111"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    assert DebitMandate.objects.get(revenue="resident_ordinary").account_no == "1111111"
    assert DebitMandate.objects.count() == 3


def test_accounts_with_bad_bank_branch_or_kana_are_rejected() -> None:
    _run("persons", PERSONS)
    text = _accounts(
        "900001,resident_ordinary,0001,001,1,1234567,シンジュク タロウ,2026-04-01,",
        "900001,nhi,9998,001,1,1234567,シンジュク タロウ,2026-04-01,",
        "900002,nhi,0001,999,1,1234567,シンジュク ハナコ,2026-04-01,",
        "900003,nhi,0001,001,1,1234567,大久保 ジロウ,2026-04-01,",
        "999999,nhi,0001,001,1,1234567,ダレカ,2026-04-01,",
    )
    result = _run("accounts", text)
    assert [str(e) for e in result.errors] == [
        "line 3, column bank_code: bank 9998 is not in the bank code table",
        "line 4, column branch_code: branch 999 of bank 0001 is not in the bank code table",
        "line 5, column holder_kana: cannot be converted to the Zengin character set: "
        "'大' (U+5927) '久' (U+4E45) '保' (U+4FDD)",
    ]
    assert DebitMandate.objects.count() == 0
    # The unknown person is found once the file itself is valid.
    valid_but_unknown = _accounts("999999,nhi,0001,001,1,1234567,ダレカ,2026-04-01,")
    assert [str(e) for e in _run("accounts", valid_but_unknown).errors] == [
        "line 2, column atena_no: no person with atena_no 999999 (import persons first)"
    ]
    assert DebitMandate.objects.count() == 0


def test_errors_are_parse_errors() -> None:
    result = _run("accounts", "atena_no\n")
    assert all(isinstance(e, ParseError) for e in result.errors)
    assert not result.ok


# --- the command ------------------------------------------------------------------------------


def test_command_imports_and_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "persons.csv"
    path.write_text(PERSONS, encoding="utf-8")
    call_command("import", "persons", str(path))
    assert capsys.readouterr().out.strip() == f"{path}: persons: 4 rows: 4 created, 0 updated, 0 unchanged"
    call_command("import", "persons", str(path), "--json")
    assert json.loads(capsys.readouterr().out) == {
        "file": str(path),
        "kind": "persons",
        "ok": True,
        "rows": 4,
        "created": 0,
        "updated": 0,
        "unchanged": 4,
        "overpayments": 0,
        "errors": [],
    }


def test_command_exits_2_and_lists_every_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "persons.csv"
    path.write_text(PERSONS.replace("160-0022", "160"), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "persons", str(path))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}: line 2, column postal_code: '160' is not a postal code NNN-NNNN",
        f"{path}: line 3, column postal_code: '160' is not a postal code NNN-NNNN",
        f"{path}: rejected, 2 errors; nothing imported",
    ]
    with pytest.raises(SystemExit):
        call_command("import", "persons", str(path), "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["created"] == 0
    assert payload["errors"][0] == {"line": 2, "column": "postal_code", "reason": "'160' is not a postal code NNN-NNNN"}
    assert Person.objects.count() == 0


def test_choshu_import_exit_status_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "CHOSHU_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    choshu = [str(Path(sys.executable).parent / "choshu")]
    subprocess.run([*choshu, "migrate", "-v0"], env=env, check=True)
    good, bad = tmp_path / "persons.csv", tmp_path / "bad.csv"
    good.write_text(PERSONS, encoding="utf-8")
    bad.write_text(PERSONS.replace("resident,", "alive,", 1), encoding="utf-8")
    ok = subprocess.run([*choshu, "import", "persons", str(good)], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    rejected = subprocess.run(
        [*choshu, "import", "persons", str(bad), "--json"], env=env, capture_output=True, text=True
    )
    assert rejected.returncode == 2
    assert json.loads(rejected.stdout)["errors"] == [
        {
            "line": 2,
            "column": "residency",
            "reason": "'alive' is not one of resident, nonresident, moved_out, deceased",
        }
    ]


def test_import_runs_selector_lists_newest_first() -> None:
    _run("persons", PERSONS, name="a.csv")
    _run("persons", "atena_no\n", name="b.csv")
    _run("accounts", ACCOUNT_HEADER + "\n", name="c.csv")
    assert [r.file_name for r in import_runs()] == ["c.csv", "b.csv", "a.csv"]
    assert [(r.file_name, r.ok) for r in import_runs(kind="persons")] == [("b.csv", False), ("a.csv", True)]

"""現地調査 (seed 000): whom to survey, the export of only the four approved items, and the import of
the contractor's results onto the cases — all of a file or nothing, each 整理番号 once."""

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import pyzipper
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from choshu.audit.models import AccessLogEntry
from choshu.cases.models import Activity, Case, SurveyResult
from choshu.cases.selectors import case_page
from choshu.cases.services import CaseError
from choshu.cases.survey import (
    NO_CONTACT,
    RETURNED,
    SurveyImportError,
    survey_candidates,
    survey_results_import,
)
from choshu.formats.survey_result import SurveyRecord, dump
from choshu.governance import services
from choshu.governance.exports import FIELD_SURVEY
from choshu.governance.models import Contract, ContractHandler, ExportPackage
from choshu.ledger.models import Installment
from choshu.notices.delivery import returned_mail_record
from choshu.notices.demands import demand_dispatch, demand_run
from choshu.notices.models import DemandBatch, DemandLetter
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import make_user
from tests.governance import conftest as governance

# The export engine's fixtures (users, contract, handler, approval, a temporary var/): the
# autouse ones (fast password hashing, var/ in a temporary directory) apply here too.
approve = governance.approve
clerk = governance.clerk
contract = governance.contract
contractor = governance.contractor
fast_passwords = governance.fast_passwords
handler = governance.handler
now = governance.now
supervisor = governance.supervisor
today = governance.today
var_dir = governance.var_dir
make_mover = governance.make_mover

pytestmark = pytest.mark.django_db
Approve = Callable[[ExportPackage], tuple[ExportPackage, str]]
HEADER = "整理番号,居住の有無,外観状況,訪問日,連絡票交付"


def _case(
    person: Person,
    today: date,
    *,
    amount: int,
    opened_days_ago: int = 200,
    contact_days_ago: int | None = None,
    revenue: str = "resident_ordinary",
) -> Case:
    case = Case.objects.create(
        person=person,
        opened_on=today - timedelta(days=opened_days_ago),
        amount=amount,
        last_contact_on=None if contact_days_ago is None else today - timedelta(days=contact_days_ago),
    )
    case.revenues.create(revenue=revenue)
    return case


def _return_mail(person: Person, actor: User) -> None:
    """A demand letter to the person's address came back (返戻): the address is unreachable."""
    installment = Installment.objects.get(levy__person=person)
    due = installment.due_date
    batch = DemandBatch.objects.get(pk=demand_run(actor=None, due_on=due, issue_date=due + timedelta(days=10)).batch_id)
    demand_dispatch(actor=None, batch=batch)
    letter = DemandLetter.objects.get(batch=batch, person=person)
    returned_mail_record(
        actor=actor, letter_no=str(letter.pk), returned_on=batch.issue_date + timedelta(days=5), reason="moved"
    )


def _prepare(actor: User, contract: Contract, keys: list[str]) -> ExportPackage:
    return services.export_prepare(
        actor=actor, kind_code=FIELD_SURVEY.code, contract=contract, keys=keys, purpose="現地調査"
    )


def _handed_over(
    clerk: User, contract: Contract, handler: ContractHandler, approve: Approve, now: datetime, keys: list[str]
) -> ExportPackage:
    """Prepared, approved ten days ago, the medium handed to the contractor five days ago."""
    package, _ = approve(_prepare(clerk, contract, keys))
    ExportPackage.objects.filter(pk=package.pk).update(
        prepared_at=now - timedelta(days=11), approved_at=now - timedelta(days=10)
    )
    package.refresh_from_db()
    return services.export_hand_over(
        actor=clerk, package=package, occurred_at=now - timedelta(days=5), media_id="USB-01", contractor_handler=handler
    )


def _last_seq() -> int:
    return AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


# ---- candidates ---------------------------------------------------------------------------------


@pytest.fixture
def world(today: date, supervisor: User, clerk: User, contract: Contract) -> dict[str, Person]:
    """Moved-out delinquents and others, each with an open case of resident tax."""
    persons = {
        "returned": make_mover("910001", today, name="返戻 一郎"),
        "silent": make_mover("910002", today, name="無接触 二郎"),
        "resident": make_mover("910003", today, name="区内 三郎", residency="resident", moved_out_on=None),
        "reached": make_mover("910004", today, name="接触済 四郎"),
        "surveyed": make_mover("910005", today, name="調査済 五郎"),
        "cancelled": make_mover("910006", today, name="取消分 六郎"),
        "new_case": make_mover("910007", today, name="新規 七郎"),
    }
    _case(persons["returned"], today, amount=50_000, opened_days_ago=30)  # too new for 90日接触なし
    _case(persons["silent"], today, amount=80_000, contact_days_ago=100)
    _case(persons["resident"], today, amount=90_000)
    _case(persons["reached"], today, amount=70_000, contact_days_ago=10)
    _case(persons["surveyed"], today, amount=60_000)
    _case(persons["cancelled"], today, amount=40_000)
    _case(persons["new_case"], today, amount=99_000, opened_days_ago=30)  # not reached yet, not for 90 days
    _return_mail(persons["returned"], supervisor)
    last_month = _prepare(clerk, contract, ["910005"])
    ExportPackage.objects.filter(pk=last_month.pk).update(prepared_at=last_month.prepared_at - timedelta(days=30))
    services.export_cancel(actor=clerk, package=_prepare(clerk, contract, ["910006"]), reason="対象の誤り")
    return persons


def test_candidates_are_moved_out_delinquents_not_reached_largest_first(
    world: dict[str, Person], clerk: User, today: date
) -> None:
    found = survey_candidates(actor=clerk, as_of=today)
    assert [(c.atena_no, c.reason, c.amount) for c in found] == [
        ("910002", NO_CONTACT, 80_000),  # no contact for 100 days
        ("910001", RETURNED, 50_000),  # a letter came back from the address
        ("910006", NO_CONTACT, 40_000),  # its export was cancelled: never went out
    ]  # not the resident, not the one reached 10 days ago, not the one surveyed last month, not the new case
    first = found[0]
    assert (first.name, first.postal_code, first.address_extra) == ("無接触 二郎", "330-0063", "コーポ浦和101")
    assert first.last_contact_on == today - timedelta(days=100)


def test_the_limit_is_honoured_and_capped_at_800(world: dict[str, Person], clerk: User, today: date) -> None:
    assert [c.atena_no for c in survey_candidates(actor=clerk, as_of=today, limit=2)] == ["910002", "910001"]
    with pytest.raises(CaseError, match="1〜800件"):
        survey_candidates(actor=clerk, as_of=today, limit=801)


def test_candidates_keep_to_the_scope_and_the_case_roles(world: dict[str, Person], today: date) -> None:
    assert survey_candidates(actor=make_user(Role.NHI_OFFICER, ["nhi"]), as_of=today) == []
    with pytest.raises(PermissionDenied):
        survey_candidates(actor=make_user(Role.CLERK), as_of=today)


def test_a_paid_up_person_is_not_a_candidate(world: dict[str, Person], clerk: User, today: date) -> None:
    Installment.objects.filter(levy__person=world["silent"]).update(paid_principal=12_300)
    assert "910002" not in [c.atena_no for c in survey_candidates(actor=clerk, as_of=today)]


def test_candidates_take_a_fixed_number_of_queries(world: dict[str, Person], clerk: User, today: date) -> None:
    with CaptureQueriesContext(connection) as few:
        survey_candidates(actor=clerk, as_of=today)
    for n in range(10):
        person = make_mover(f"92{n:04d}", today)
        _case(person, today, amount=1_000 + n)
    with CaptureQueriesContext(connection) as many:
        assert len(survey_candidates(actor=clerk, as_of=today)) == 13
    assert len(many.captured_queries) == len(few.captured_queries) <= 3


# ---- the export: only the four approved items ---------------------------------------------------


def _open(package: ExportPackage, password: str, var_dir: Path) -> list[list[str]]:
    with pyzipper.AESZipFile(var_dir / "exports" / package.file_name) as zf:
        zf.setpassword(password.encode())
        (name,) = zf.namelist()
        data = zf.read(name)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_decrypted_export_of_the_candidates_holds_only_the_four_items(
    world: dict[str, Person], clerk: User, contract: Contract, approve: Approve, var_dir: Path, today: date
) -> None:
    keys = [c.atena_no for c in survey_candidates(actor=clerk, as_of=today)]
    package, password = approve(_prepare(clerk, contract, keys))
    assert package.selection == [Person.objects.get(atena_no=k).pk for k in keys]  # row N is selection[N-1]
    rows = _open(package, password, var_dir)
    assert rows[0] == ["整理番号", "郵便番号", "住所(現住所)", "方書", "氏名(漢字)"]
    assert rows[1:] == [
        [str(n), "330-0063", "埼玉県さいたま市浦和区高砂3丁目1番1号", "コーポ浦和101", name]
        for n, name in enumerate(["無接触 二郎", "返戻 一郎", "取消分 六郎"], start=1)
    ]  # no 宛名番号, no amount, no reason: nothing else leaves
    assert survey_candidates(actor=clerk, as_of=today) == []  # surveyed now: not chosen again


# ---- results ------------------------------------------------------------------------------------


@pytest.fixture
def package(
    world: dict[str, Person],
    clerk: User,
    contract: Contract,
    handler: ContractHandler,
    approve: Approve,
    now: datetime,
    today: date,
) -> ExportPackage:
    """Handed over: row 1 無接触 二郎, 2 返戻 一郎 (both with a case), 3 a mover without a case."""
    make_mover("910099", today, name="案件なし 九郎")
    return _handed_over(clerk, contract, handler, approve, now, ["910002", "910001", "910099"])


def _file(today: date, *rows: str) -> bytes:
    return "\r\n".join([HEADER, *rows, ""]).encode("utf-8-sig")


def test_results_become_survey_results_and_activities_on_the_timeline(
    package: ExportPackage, world: dict[str, Person], clerk: User, today: date
) -> None:
    visited = today - timedelta(days=3)
    data = dump(
        [
            SurveyRecord(1, "lives", "表札あり、洗濯物あり", visited, True),
            SurveyRecord(2, "absent", "空室・郵便受けに郵便物多数", visited, False),
            SurveyRecord(3, "unknown", "", visited, False),
        ],
        encoding="cp932",
    )
    before = _last_seq()
    summary = survey_results_import(actor=clerk, package=package, text_or_bytes=data, file_name="kekka.csv")
    assert summary.as_dict() == {
        "package_id": package.pk,
        "file": "kekka.csv",
        "encoding": "Shift_JIS",
        "imported": 3,
        "with_case": 2,
        "without_case": 1,
        "residence": {"居住あり": 1, "居住なし": 1, "不明": 1},
        "slips_handed": 1,
    }
    results = {r.serial: r for r in SurveyResult.objects.filter(package=package)}
    silent_case = Case.objects.get(person=world["silent"])
    assert results[1].person == world["silent"] and results[1].case == silent_case
    assert (results[1].residence, results[1].exterior, results[1].visited_on, results[1].slip_handed) == (
        "lives",
        "表札あり、洗濯物あり",
        visited,
        True,
    )
    assert results[2].case == Case.objects.get(person=world["returned"])
    assert results[3].person.atena_no == "910099" and results[3].case is None
    assert {r.imported_by for r in results.values()} == {clerk}

    activity = Activity.objects.get(case=silent_case)
    assert activity.kind == "survey" and not activity.contacted and activity.recorded_by == clerk
    assert activity.revenues == ["resident_ordinary"]
    assert (
        activity.summary
        == f"現地調査: 居住あり・外観 表札あり、洗濯物あり・連絡票交付(出力番号 {package.pk}・整理番号 1)"
    )
    silent_case.refresh_from_db()
    assert silent_case.last_contact_on == today - timedelta(days=100)  # a survey is not a contact

    [item] = [i for i in case_page(silent_case, user=clerk, today=today).timeline if i.kind == "交渉経過"]
    assert item.on == visited and item.title == f"現地調査({clerk.username})" and "居住あり" in item.detail

    [entry] = AccessLogEntry.objects.filter(seq__gt=before)
    assert entry.action == "change" and entry.actor == clerk and entry.purpose == f"batch:survey:{package.pk}"
    assert entry.subjects == [f"exportpackage:{package.pk}", "count:survey_result:3"]


def test_the_activity_is_dated_the_visit_day_at_noon_local_time(
    package: ExportPackage, clerk: User, today: date
) -> None:
    visited = today - timedelta(days=2)
    survey_results_import(
        actor=clerk, package=package, text_or_bytes=_file(today, f"1,不明,,{visited:%Y%m%d},無"), file_name="a.csv"
    )
    activity = Activity.objects.get()
    assert timezone.localtime(activity.occurred_at).replace(tzinfo=None) == datetime.combine(visited, time(12))
    assert activity.summary.startswith("現地調査: 不明・連絡票交付なし")


def test_a_bad_file_is_rejected_naming_every_line_and_changes_nothing(
    package: ExportPackage, clerk: User, today: date
) -> None:
    day = (today - timedelta(days=1)).isoformat()
    data = _file(
        today,
        f"1,居住あり,木造,{day},有",
        f"2,住んでいる,木造,{day},有",  # line 3: not a 居住の有無
        f"99,居住なし,空室,{day},無",  # line 4: not a row of the package
    )
    before = _last_seq()
    with pytest.raises(SurveyImportError) as caught:
        survey_results_import(actor=clerk, package=package, text_or_bytes=data, file_name="kekka.csv")
    error = caught.value
    assert [(p.line, p.column) for p in error.problems] == [(3, "居住の有無"), (4, "整理番号")]
    assert error.lines() == [
        "kekka.csv 3行目 居住の有無: 「住んでいる」は 居住あり・居住なし・不明 のいずれでもありません",
        f"kekka.csv 4行目 整理番号: 整理番号 99 は出力番号 {package.pk} にありません(1〜3)",
    ]
    assert "kekka.csv を取り込めません(問題 2件)" in str(error)
    assert not SurveyResult.objects.exists() and not Activity.objects.exists() and _last_seq() == before


def test_visits_must_fall_after_the_handover_and_not_in_the_future(
    package: ExportPackage, clerk: User, today: date
) -> None:
    early, late = today - timedelta(days=30), today + timedelta(days=1)
    data = _file(today, f"1,居住あり,,{early},有", f"2,居住あり,,{late},有")
    with pytest.raises(SurveyImportError) as caught:
        survey_results_import(actor=clerk, package=package, text_or_bytes=data, file_name="kekka.csv")
    reasons = [p.reason for p in caught.value.problems]
    assert "媒体の受渡日" in reasons[0] and "未来の日付" in reasons[1]


def test_results_come_in_parts_but_each_serial_only_once(package: ExportPackage, clerk: User, today: date) -> None:
    day = (today - timedelta(days=1)).isoformat()
    survey_results_import(
        actor=clerk, package=package, text_or_bytes=_file(today, f"1,居住あり,,{day},有"), file_name="part1.csv"
    )
    with pytest.raises(SurveyImportError) as caught:
        survey_results_import(
            actor=clerk,
            package=package,
            text_or_bytes=_file(today, f"2,居住なし,,{day},無", f"1,居住なし,,{day},無"),
            file_name="part2.csv",
        )
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (3, "整理番号") and "整理番号 1 は取込済みです" in problem.reason
    assert list(SurveyResult.objects.values_list("serial", flat=True)) == [1]  # serial 2 not taken either
    twice = _file(today, f"2,居住なし,,{day},無", f"2,居住なし,,{day},無")
    with pytest.raises(SurveyImportError, match="整理番号 2 は2行目と重複しています"):
        survey_results_import(actor=clerk, package=package, text_or_bytes=twice, file_name="part2.csv")
    survey_results_import(
        actor=clerk, package=package, text_or_bytes=_file(today, f"2,居住なし,,{day},無"), file_name="part2.csv"
    )
    assert sorted(SurveyResult.objects.values_list("serial", flat=True)) == [1, 2]


def test_only_a_handed_over_survey_export_in_scope_takes_results(
    world: dict[str, Person], clerk: User, contract: Contract, approve: Approve, package: ExportPackage, today: date
) -> None:
    data = _file(today, f"1,居住あり,,{today.isoformat()},有")
    approved, _ = approve(_prepare(clerk, contract, ["910006"]))
    with pytest.raises(CaseError, match="受け渡されていません"):
        survey_results_import(actor=clerk, package=approved, text_or_bytes=data, file_name="a.csv")
    with pytest.raises(PermissionDenied):  # the package was made for every revenue
        survey_results_import(
            actor=make_user(Role.NHI_OFFICER, ["nhi"]), package=package, text_or_bytes=data, file_name="a.csv"
        )
    with pytest.raises(PermissionDenied):
        survey_results_import(actor=make_user(Role.CLERK), package=package, text_or_bytes=data, file_name="a.csv")
    assert not SurveyResult.objects.exists()


# ---- the command --------------------------------------------------------------------------------


def test_the_command_lists_candidates_and_imports_results(
    package: ExportPackage, clerk: User, today: date, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    before = _last_seq()
    call_command("survey", "candidates", "--as-of", today.isoformat(), "--json", "--user", clerk.username)
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 1 and [c["atena_no"] for c in listed["candidates"]] == ["910006"]
    [read] = AccessLogEntry.objects.filter(seq__gt=before)
    assert (
        read.action == "read"
        and read.channel == "cli"
        and read.subjects == [f"person:{Person.objects.get(atena_no='910006').pk}"]
    )
    call_command("survey", "candidates", "--as-of", today.isoformat(), "--user", clerk.username)
    out = capsys.readouterr()
    assert out.out.split() == ["910006"] and "現地調査候補" in out.err

    day = (today - timedelta(days=1)).isoformat()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_file(today, f"1,居住あり,,{day},有", f"7,居住あり,,{day},有"))
    with pytest.raises(SystemExit) as exited:
        call_command("survey", "import", str(package.pk), str(bad), "--json", "--user", clerk.username)
    assert exited.value.code == 2
    rejected = json.loads(capsys.readouterr().out)
    assert rejected["ok"] is False and [(e["line"], e["column"]) for e in rejected["errors"]] == [(3, "整理番号")]
    assert not SurveyResult.objects.exists()

    good = tmp_path / "kekka.csv"
    good.write_bytes(_file(today, f"1,居住あり,,{day},有", f"2,居住なし,,{day},無"))
    call_command("survey", "import", str(package.pk), str(good), "--json", "--user", clerk.username)
    done = json.loads(capsys.readouterr().out)
    assert done["ok"] is True and done["imported"] == 2 and done["with_case"] == 2 and done["file"] == "kekka.csv"
    assert AccessLogEntry.objects.order_by("-seq").first().channel == "cli"  # type: ignore[union-attr]


def test_the_command_import_needs_an_officer_and_a_survey_package(
    package: ExportPackage, clerk: User, tmp_path: Path
) -> None:
    file = tmp_path / "kekka.csv"
    file.write_bytes(_file(date.today(), "1,居住あり,,2025-08-01,有"))
    with pytest.raises(CommandError, match="--user"):
        call_command("survey", "import", str(package.pk), str(file))
    with pytest.raises(CommandError, match="現地調査対象者の外部提供データではありません"):
        call_command("survey", "import", "999999", str(file), "--user", clerk.username)
    with pytest.raises(CommandError, match="No such file"):
        call_command("survey", "import", str(package.pk), str(tmp_path / "none.csv"), "--user", clerk.username)


# ---- the screens -----------------------------------------------------------------------------


def test_the_candidates_screen_links_to_the_export_form_filled_in(
    world: dict[str, Person], clerk: User, client: Client
) -> None:
    client.force_login(clerk)
    before = _last_seq()
    response = client.get("/cases/survey/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "無接触 二郎" in page and "返戻 一郎" in page and "区内 三郎" not in page
    link = urlsplit(response.context["export_url"])
    assert link.path == "/governance/exports/new/"
    assert parse_qs(link.query) == {
        "kind": ["persons-field-survey"],
        "keys": ["910002\n910001\n910006"],
        "purpose": ["現地調査"],
    }
    [read] = AccessLogEntry.objects.filter(seq__gt=before)
    assert read.purpose == "cases:survey" and len(read.subjects) == 3
    form = client.get(response.context["export_url"]).content.decode()  # the form shows them
    assert "910002\n910001\n910006" in form and "現地調査" in form
    client.force_login(make_user(Role.CLERK))
    assert client.get("/cases/survey/").status_code == 403


def test_the_import_screen_takes_a_file_shows_problems_and_results(
    package: ExportPackage, clerk: User, client: Client, today: date
) -> None:
    client.force_login(clerk)
    url = f"/cases/survey/{package.pk}/import/"
    assert client.get(url).status_code == 200
    day = (today - timedelta(days=1)).isoformat()
    bad = SimpleUploadedFile("kekka.csv", _file(today, f"1,居住あり,,{day},有", f"1,不明,,{day},無"))
    page = client.post(url, {"file": bad}).content.decode()
    assert "kekka.csv 3行目 整理番号: 整理番号 1 は2行目と重複しています" in page and not SurveyResult.objects.exists()
    good = SimpleUploadedFile("kekka.csv", _file(today, f"1,居住あり,表札あり,{day},有"))
    response = client.post(url, {"file": good})
    assert response.status_code == 302 and SurveyResult.objects.count() == 1
    before = _last_seq()
    shown = client.get(url).content.decode()
    assert "表札あり" in shown and "無接触 二郎" in shown
    [read] = AccessLogEntry.objects.filter(seq__gt=before)
    assert read.subjects == [f"exportpackage:{package.pk}", f"person:{package.selection[0]}"]
    client.force_login(make_user(Role.NHI_OFFICER, ["nhi"]))
    assert client.get(url).status_code == 404  # made for revenues outside the scope

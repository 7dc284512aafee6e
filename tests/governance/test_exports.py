"""The export engine: contract checks, two persons, the encrypted package, 7-Zip, the password."""

import csv
import hashlib
import io
import logging
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
import pyzipper
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from choshu.audit.models import AccessLogEntry
from choshu.governance import services
from choshu.governance.exports import FIELD_SURVEY, PASSWORD_ALPHABET, ExportError
from choshu.governance.models import Contract, Contractor, ExportPackage, HandoverEntry
from choshu.people.models import Person
from choshu.staff.models import Role, User
from tests.factories import make_levy, make_person, make_user
from tests.governance.conftest import make_contract, make_mover

pytestmark = pytest.mark.django_db

Approve = Callable[[ExportPackage], tuple[ExportPackage, str]]


def _7z(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["7z", *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


def test_a_package_opens_with_7zip_only_with_its_password(approved: tuple[ExportPackage, str], var_dir: Path) -> None:
    package, password = approved
    path = var_dir / "exports" / package.file_name
    assert path.exists()
    assert package.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert package.size == path.stat().st_size

    listing = _7z("l", "-slt", f"-p{password}", str(path), cwd=var_dir)
    assert "AES-256" in listing.stdout  # WinZip AES with a 256-bit key

    wrong = var_dir / "wrong"
    failed = _7z("x", "-pnot-the-password", f"-o{wrong}", str(path), cwd=var_dir)
    assert failed.returncode != 0
    assert not any(f.stat().st_size for f in wrong.rglob("*.csv"))  # nothing readable came out
    without = _7z("x", f"-o{var_dir / 'none'}", str(path), cwd=var_dir)  # no password given (stdin closed)
    assert without.returncode != 0

    out = var_dir / "out"
    opened = _7z("x", f"-p{password}", f"-o{out}", str(path), cwd=var_dir)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    (csv_file,) = out.glob("*.csv")
    raw = csv_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [
        ["整理番号", "郵便番号", "住所(現住所)", "方書", "氏名(漢字)"],
        ["1", "330-0063", "埼玉県さいたま市浦和区高砂3丁目1番1号", "コーポ浦和101", "転出 花子"],
        ["2", "150-0001", "埼玉県さいたま市浦和区高砂3丁目1番1号", "", "転出 次郎"],
        ["3", "330-0063", "埼玉県さいたま市浦和区高砂3丁目1番1号", "コーポ浦和101", "転出 三郎"],
    ]
    assert package.record_count == 3


def test_the_password_is_random_long_and_unambiguous(approved: tuple[ExportPackage, str]) -> None:
    _, password = approved
    assert len(password) >= 16
    assert set(password) <= set(PASSWORD_ALPHABET)
    assert not set(password) & set("0O1lI")


def test_the_password_is_in_no_table_and_no_log(
    prepared: ExportPackage, approve: Approve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # every SQL statement goes to the django.db.backends logger
    try:
        package, password = approve(prepared)
    finally:
        connection.force_debug_cursor = False
    assert "UPDATE" in caplog.text or "INSERT" in caplog.text  # the statements were captured
    assert password not in caplog.text
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dump.extend(repr(row) for row in cursor.fetchall())
    text = "\n".join(dump)
    assert package.sha256 in text  # the dump does contain the package's record
    assert password not in text


def test_export_writes_access_log_entries_with_references_only(approved: tuple[ExportPackage, str]) -> None:
    package, _ = approved
    entries = list(AccessLogEntry.objects.filter(purpose=f"batch:export:{package.pk}").order_by("seq"))
    assert [e.action for e in entries] == ["read", "export"]  # prepare reads, approval exports
    assert entries[1].subjects == [f"person:{pk}" for pk in package.selection]
    assert entries[1].actor_label == "kakaricho"


def test_refused_for_a_field_outside_the_contract(
    clerk: User, supervisor: User, contractor: Contractor, movers: list[Person], today: date
) -> None:
    narrow = make_contract(supervisor, contractor, today, items=("person.postal_code", "person.address", "person.name"))
    with pytest.raises(ExportError, match=r"承認されていないデータ項目.*方書\(person\.address_extra\)"):
        services.export_prepare(
            actor=clerk, kind_code=FIELD_SURVEY.code, contract=narrow, keys=["900001"], purpose="調査"
        )
    assert not ExportPackage.objects.exists()


def test_the_contract_is_checked_again_when_the_package_is_built(
    prepared: ExportPackage, approve: Approve, var_dir: Path
) -> None:
    Contract.objects.filter(pk=prepared.contract_id).update(approved_items=["person.postal_code", "person.address"])
    with pytest.raises(ExportError, match=r"方書\(person\.address_extra\)・氏名\(漢字\)\(person\.name\)"):
        approve(prepared)
    prepared.refresh_from_db()
    assert prepared.state == ExportPackage.State.PREPARED
    assert not list((var_dir / "exports").glob("*.zip"))


@pytest.mark.parametrize("_case", ["expired", "terminated", "not_started"])
def test_refused_under_a_contract_not_in_force(
    _case: str, clerk: User, supervisor: User, contractor: Contractor, movers: list[Person], today: date
) -> None:
    if _case == "expired":
        contract = make_contract(supervisor, contractor, today, ends_on=today - timedelta(days=1))
    elif _case == "not_started":
        contract = make_contract(supervisor, contractor, today, starts_on=today + timedelta(days=1))
    else:
        contract = make_contract(supervisor, contractor, today)
        services.contract_terminate(actor=supervisor, contract=contract, terminated_on=today)
    with pytest.raises(ExportError, match="有効ではありません"):
        services.export_prepare(
            actor=clerk, kind_code=FIELD_SURVEY.code, contract=contract, keys=["900001"], purpose="調査"
        )


def test_refused_when_the_same_user_prepares_and_approves(
    supervisor: User, contract: Contract, movers: list[Person]
) -> None:
    package = services.export_prepare(
        actor=supervisor, kind_code=FIELD_SURVEY.code, contract=contract, keys=["900001"], purpose="調査"
    )
    with pytest.raises(ExportError, match="作成した職員は承認できません"):
        services.export_approve(actor=supervisor, package=package)
    package.refresh_from_db()
    assert package.state == ExportPackage.State.PREPARED and package.approved_by is None


def test_the_database_refuses_an_approval_by_the_preparer(prepared: ExportPackage) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportPackage.objects.filter(pk=prepared.pk).update(
            approved_by=prepared.prepared_by, state="approved", sha256="0" * 64
        )


def test_only_a_supervisor_approves(prepared: ExportPackage) -> None:
    other_clerk = make_user(Role.CLERK)
    with pytest.raises(PermissionDenied):
        services.export_approve(actor=other_clerk, package=prepared)


def test_an_approver_without_the_revenues_in_scope_is_refused(prepared: ExportPackage) -> None:
    nhi_only = make_user(Role.SUPERVISOR, ["nhi"])
    with pytest.raises(PermissionDenied):
        services.export_approve(actor=nhi_only, package=prepared)


def test_approval_happens_once(approved: tuple[ExportPackage, str], supervisor2: User) -> None:
    package, _ = approved
    with pytest.raises(ExportError, match="承認できる状態ではありません"):
        services.export_approve(actor=supervisor2, package=package)


def test_the_selection_must_be_moved_out_delinquents_in_scope(
    clerk: User, contract: Contract, movers: list[Person], today: date
) -> None:
    make_person(atena_no="900010")  # a resident
    paid_up = make_person(atena_no="900011", residency="moved_out", moved_out_on=today - timedelta(days=30))
    make_levy(paid_up, [5_000], [today + timedelta(days=30)])  # not yet due
    with pytest.raises(ExportError) as refused:
        services.export_prepare(
            actor=clerk,
            kind_code=FIELD_SURVEY.code,
            contract=contract,
            keys=["900001", "900010", "900011", "999999"],
            purpose="調査",
        )
    message = str(refused.value)
    assert "999999: 宛名番号がありません" in message
    assert "900010: 区外転出者ではありません" in message
    assert "900011: 担当税目に滞納がありません" in message
    assert "900001" not in message


def test_an_nhi_officer_selects_only_nhi_delinquents(contract: Contract, movers: list[Person]) -> None:
    nhi = make_user(Role.NHI_OFFICER, ["nhi"])
    with pytest.raises(ExportError, match="900001: 担当税目に滞納がありません"):
        services.export_prepare(actor=nhi, kind_code=FIELD_SURVEY.code, contract=contract, keys=["900001"], purpose="x")
    package = services.export_prepare(
        actor=nhi, kind_code=FIELD_SURVEY.code, contract=contract, keys=["900003"], purpose="x"
    )
    assert package.revenues == ["nhi"]


def test_at_most_800_persons_per_survey(clerk: User, contract: Contract) -> None:
    with pytest.raises(ExportError, match="800件まで"):
        services.export_prepare(
            actor=clerk,
            kind_code=FIELD_SURVEY.code,
            contract=contract,
            keys=[str(n) for n in range(801)],
            purpose="x",
        )


def test_auditor_and_admin_prepare_nothing(contract: Contract, movers: list[Person]) -> None:
    for role in (Role.AUDITOR, Role.ADMIN):
        with pytest.raises(PermissionDenied):
            services.export_prepare(
                actor=make_user(role, []), kind_code=FIELD_SURVEY.code, contract=contract, keys=["900001"], purpose="x"
            )


def test_the_package_read_back_for_the_medium_is_logged(approved: tuple[ExportPackage, str], clerk: User) -> None:
    package, password = approved
    content = services.export_package_content(actor=clerk, package=package, client_address="10.0.0.7")
    assert hashlib.sha256(content).hexdigest() == package.sha256
    with pyzipper.AESZipFile(io.BytesIO(content)) as zf:
        zf.setpassword(password.encode())
        assert zf.read(zf.namelist()[0]).decode("utf-8-sig").count("\r\n") == 4
    last = AccessLogEntry.objects.order_by("-seq").first()
    assert last is not None and last.action == "export" and last.client_address == "10.0.0.7"


def test_a_tampered_package_file_is_refused(approved: tuple[ExportPackage, str], clerk: User, var_dir: Path) -> None:
    package, _ = approved
    path = var_dir / "exports" / package.file_name
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ExportError, match="SHA-256"):
        services.export_package_content(actor=clerk, package=package)


def test_cancel_deletes_the_package_file(
    approved: tuple[ExportPackage, str], clerk: User, var_dir: Path, django_capture_on_commit_callbacks: Callable
) -> None:
    package, _ = approved
    with django_capture_on_commit_callbacks(execute=True):
        services.export_cancel(actor=clerk, package=package, reason="対象者の誤り")
    package.refresh_from_db()
    assert package.state == ExportPackage.State.CANCELLED
    assert not (var_dir / "exports" / package.file_name).exists()
    assert package.entries.last().step == HandoverEntry.Step.CANCELLED  # type: ignore[union-attr]


def test_mover_fixture_is_delinquent(today: date) -> None:
    person = make_mover("900099", today)
    assert person.levies.get().installments.get().due_date < today

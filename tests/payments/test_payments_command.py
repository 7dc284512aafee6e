"""`choshu payments`: an imported file is deleted once registered (seed 002: data does not linger
on the terminal), a rejected one is kept and changes nothing; the 速報未確報 list keeps to the
user's revenues and logs the persons it names."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from choshu.audit.models import AccessLogEntry
from choshu.formats import cvs_csv
from choshu.ledger.models import Payment
from choshu.payments.models import ChannelImport
from choshu.staff.models import Role
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user
from tests.payments.test_channel_import import DUE, _event, _import

pytestmark = pytest.mark.django_db


def _file(tmp_path: Path, *events) -> Path:
    path = tmp_path / "syuno.csv"
    path.write_bytes(cvs_csv.dump(list(events)))
    return path


def test_an_imported_file_is_deleted_once_registered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = make_levy(make_person(), [12_300], [DUE]).installments.get()
    path = _file(tmp_path, _event("02", inst))
    make_user(Role.CLERK, ALL_REVENUES, username="clerk1")
    call_command("payments", "import", "--format", "cvs-csv", str(path), "--user", "clerk1", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["outcomes"] == {"posted": 1}
    assert not path.exists()
    run = ChannelImport.objects.get()
    assert (run.file_name, run.records, len(run.sha256)) == ("syuno.csv", 1, 64)


def test_keep_file_keeps_it(tmp_path: Path) -> None:
    inst = make_levy(make_person(), [12_300], [DUE]).installments.get()
    path = _file(tmp_path, _event("02", inst))
    call_command("payments", "import", "--format", "cvs-csv", str(path), "--keep-file", "--json")
    assert path.exists() and Payment.objects.count() == 1


def test_a_rejected_file_is_kept_and_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"02,1,2\r\n")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("payments", "import", "--format", "cvs-csv", str(path))
    assert "broken.csv: line 1" in capsys.readouterr().out
    assert path.exists() and not Payment.objects.exists()


def test_unconfirmed_keeps_to_the_users_revenues_and_logs_the_persons(capsys: pytest.CaptureFixture[str]) -> None:
    resident_person, nhi_person = make_person(), make_person()
    resident = make_levy(resident_person, [12_300], [DUE]).installments.get()
    nhi = make_levy(nhi_person, [8_000], [DUE], revenue="nhi").installments.get()
    assert _import([_event("01", resident), _event("01", nhi, store="222222")]).ok
    make_user(Role.CLERK, ["nhi"], username="nhi_clerk")
    before = AccessLogEntry.objects.count()
    call_command("payments", "unconfirmed", "--as-of", "2025-08-31", "--user", "nhi_clerk", "--json")
    rows = json.loads(capsys.readouterr().out)["records"]
    assert [r["installment_id"] for r in rows] == [nhi.pk]
    [entry] = AccessLogEntry.objects.order_by("seq")[before:]
    assert entry.subjects == ["count:preliminary:1", f"person:{nhi_person.pk}"]
    assert date.fromisoformat(rows[0]["paid_on"]) == date(2025, 7, 20)

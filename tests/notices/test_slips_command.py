import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from choshu.audit.models import AccessLogEntry
from choshu.audit.services import access_log_verify
from choshu.formats.payeasy import derive_confirmation_no
from choshu.formats.payment_key import payment_key
from choshu.staff.cli import UserRefused
from choshu.staff.models import Role
from tests.factories import make_levy, make_person, make_user

pytestmark = pytest.mark.django_db

ATENA = "820001"
JUN30, JUL31 = date(2025, 6, 30), date(2025, 7, 31)


def _last_seq() -> int:
    return AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _new_entries(before: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(seq__gt=before).order_by("seq"))


def _list(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    call_command("slips", "list", ATENA, "--json", *args)
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_list_json_carries_each_installments_keys(capsys: pytest.CaptureFixture[str]) -> None:
    person = make_person(atena_no=ATENA)
    levy = make_levy(person, [12_300, 400_000], [JUN30, JUL31], revenue="nhi", fiscal_year=2025)
    first, second = levy.installments.order_by("installment_no")
    out = _list(capsys, "--as-of", "2025-06-01")

    key = payment_key(first.pk)
    conf = derive_confirmation_no(secret="slip-test-secret", institution_no="01131", payment_no=key, length=4)
    assert out["atena_no"] == ATENA and out["as_of"] == "2025-06-01"
    one, two = out["slips"]
    assert one == {
        "levy_no": levy.levy_no,
        "revenue": "nhi",
        "fiscal_year": 2025,
        "installment_no": 1,
        "amount": 12_300,
        "due_date": "2025-06-30",
        "deadline": "2025-06-30",
        "reissue": 0,
        "barcode": one["barcode"],
        "payeasy": {"institution_no": "01131", "payment_no": key, "confirmation_no": conf, "category": "301"},
        "el_no": f"01131{key}{conf}301",
        "qr": f"CHOSHU-ELQR1:01131:{key}:{conf}:301:0000012300:20250630:{one['qr'][-1]}",
    }
    assert one["barcode"].startswith("9191234559919" + key + "02506300012300")
    assert len(one["barcode"]) == 44
    assert (two["installment_no"], two["amount"], two["barcode"]) == (2, 400_000, None)
    assert two["payeasy"]["payment_no"] == payment_key(second.pk)


def test_list_writes_one_read_entry(capsys: pytest.CaptureFixture[str]) -> None:
    person = make_person(atena_no=ATENA)
    inst = make_levy(person, [12_300], [JUN30]).installments.get()
    clerk = make_user(Role.CLERK, username="clerk-slips")
    before = _last_seq()
    _list(capsys, "--as-of", "2025-06-01", "--user", "clerk-slips", "--purpose", "case:12")
    [entry] = _new_entries(before)
    assert (entry.action, entry.channel, entry.purpose, entry.actor_id, entry.actor_label) == (
        "read",
        "cli",
        "case:12",
        clerk.pk,
        "clerk-slips",
    )
    assert entry.subjects == [f"person:{person.pk}", f"installment:{inst.pk}"]
    assert access_log_verify().ok


def test_render_writes_the_pdf_and_one_print_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    person = make_person(atena_no=ATENA)
    inst = make_levy(person, [12_300], [JUN30]).installments.get()
    before = _last_seq()
    out = tmp_path / "slips.pdf"
    call_command("slips", "render", ATENA, "--as-of", "2025-06-01", "--out", str(out))
    assert out.read_bytes().startswith(b"%PDF-")
    assert "wrote 1 slips" in capsys.readouterr().out
    [entry] = _new_entries(before)
    assert (entry.action, entry.channel, entry.actor_id) == ("print", "cli", None)
    assert entry.actor_label.startswith("os:") or entry.actor_label == "cli"
    assert entry.subjects == [f"person:{person.pk}", f"installment:{inst.pk}"]
    assert [p.name for p in tmp_path.iterdir()] == ["slips.pdf"]  # no temporary file left


@pytest.mark.parametrize(
    ("role", "scopes", "active"),
    [
        (Role.AUDITOR, ["resident_ordinary"], True),
        (Role.ADMIN, ["resident_ordinary"], True),
        (Role.CLERK, [], True),
        (Role.CLERK, ["resident_ordinary"], False),
    ],
)
def test_a_user_without_personal_data_rights_is_refused(
    tmp_path: Path, role: str, scopes: list[str], active: bool
) -> None:
    person = make_person(atena_no=ATENA)
    make_levy(person, [12_300], [JUN30])
    user = make_user(role, scopes=scopes, username="nosee")
    user.is_active = active
    user.save()
    before = _last_seq()
    out = tmp_path / "slips.pdf"
    with pytest.raises(UserRefused, match="「個人情報の閲覧」の権限がありません"):
        call_command("slips", "list", ATENA, "--json", "--user", "nosee")
    with pytest.raises(UserRefused, match="「個人情報の閲覧」の権限がありません"):
        call_command("slips", "render", ATENA, "--user", "nosee", "--out", str(out))
    assert _new_entries(before) == []
    assert not out.exists()


def test_a_user_sees_only_the_revenues_in_scope(capsys: pytest.CaptureFixture[str]) -> None:
    person = make_person(atena_no=ATENA)
    make_levy(person, [1_000], [JUN30], revenue="resident_ordinary")
    make_levy(person, [2_000], [JUN30], revenue="nhi")
    make_user(Role.NHI_OFFICER, scopes=["nhi"], username="nhi-officer")
    out = _list(capsys, "--as-of", "2025-06-01", "--user", "nhi-officer")
    assert [(s["revenue"], s["amount"]) for s in out["slips"]] == [("nhi", 2_000)]


def test_a_person_outside_the_users_scope_is_not_found(tmp_path: Path) -> None:
    person = make_person(atena_no=ATENA)
    make_levy(person, [1_000], [JUN30], revenue="resident_ordinary")
    make_user(Role.NHI_OFFICER, scopes=["nhi"], username="nhi-officer")
    before = _last_seq()
    with pytest.raises(CommandError, match="in the revenue scope"):
        call_command("slips", "list", ATENA, "--json", "--user", "nhi-officer")
    with pytest.raises(CommandError, match="in the revenue scope"):
        call_command("slips", "render", ATENA, "--user", "nhi-officer", "--out", str(tmp_path / "s.pdf"))
    assert _new_entries(before) == []
    assert list(tmp_path.iterdir()) == []


def test_fiscal_year_filter_and_plain_output(capsys: pytest.CaptureFixture[str]) -> None:
    person = make_person(atena_no=ATENA, name="新宿 花子")
    make_levy(person, [1_000], [JUN30], fiscal_year=2024)
    levy = make_levy(person, [2_000], [JUL31], fiscal_year=2025)
    out = _list(capsys, "--as-of", "2025-06-01", "--fiscal-year", "2025")
    assert [s["levy_no"] for s in out["slips"]] == [levy.levy_no]
    call_command("slips", "list", ATENA, "--as-of", "2025-06-01", "--fiscal-year", "2025")
    text = capsys.readouterr().out
    assert "新宿 花子" in text and levy.levy_no in text and "2,000" in text


def test_errors_write_nothing(tmp_path: Path) -> None:
    person = make_person(atena_no=ATENA)
    make_levy(person, [12_300], [JUN30], fiscal_year=2025)
    before = _last_seq()
    out = tmp_path / "slips.pdf"
    with pytest.raises(CommandError, match="No user 'ghost'"):
        call_command("slips", "list", ATENA, "--user", "ghost")
    with pytest.raises(CommandError, match="no person"):
        call_command("slips", "render", "999999", "--out", str(out))
    with pytest.raises(CommandError, match="未納の期別がありません"):
        call_command("slips", "render", ATENA, "--fiscal-year", "2024", "--out", str(out))
    with pytest.raises(CommandError, match="no directory"):
        call_command("slips", "render", ATENA, "--out", str(tmp_path / "missing" / "slips.pdf"))
    assert _new_entries(before) == []
    assert list(tmp_path.iterdir()) == []


def test_no_file_when_the_access_log_entry_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from choshu.notices.management.commands import slips as command

    def refuse(**kwargs: object) -> None:
        raise RuntimeError("access log unavailable")

    person = make_person(atena_no=ATENA)
    make_levy(person, [12_300], [JUN30])
    monkeypatch.setattr(command, "access_log_write", refuse)
    with pytest.raises(RuntimeError, match="access log unavailable"):
        call_command("slips", "render", ATENA, "--as-of", "2025-06-01", "--out", str(tmp_path / "slips.pdf"))
    assert list(tmp_path.iterdir()) == []

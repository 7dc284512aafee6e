"""Authorisation matrix of the command line: every management command of a choshu app, every
role, every revenue scope (docs/security.md, "Command line").

Commands are discovered (`get_commands()`, app module prefix "choshu."), so a command added
later is in the matrix the moment it exists: without a `required_right` declaration it fails
`test_every_command_declares_its_right`; with one, every role runs it with `--user` and must be
refused exactly when the role lacks the right. The generic run gives the command placeholder
arguments, so it asserts refusal or "not refused" (the run may then fail on the placeholder);
`SUCCESS` runs the commands of this issue for real.
"""

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand
from django.utils import timezone
from pytest_django import Settings

from choshu.audit.models import AccessLogEntry
from choshu.governance.models import RetentionRun
from choshu.ledger.models import Overpayment
from choshu.ledger.services import counter_payment_post
from choshu.people.models import Person
from choshu.staff.cli import SUBCOMMAND_DEST, UserRefused, declared_right
from choshu.staff.models import Right, Role, User
from tests.factories import ALL_REVENUES, make_levy, make_person, make_user

WORKERS = {Role.CLERK, Role.OFFICER, Role.NHI_OFFICER, Role.SUPERVISOR}
POSTERS = {Role.CLERK, Role.SUPERVISOR}
CASE_WORKERS = {Role.OFFICER, Role.NHI_OFFICER, Role.SUPERVISOR}
SCOPES = {"all": ALL_REVENUES, "nhi": ["nhi"], "none": []}

# right → (role, scopes) → allowed. Written out, not computed by User.has_right.
EXPECTED: dict[str, Callable[[str, str], bool]] = {
    Right.SEES_PERSONAL_DATA: lambda role, scopes: role in WORKERS and scopes != "none",
    Right.CAN_POST_PAYMENTS: lambda role, scopes: role in POSTERS and scopes != "none",
    Right.CAN_REVERSE_PAYMENTS: lambda role, scopes: role == Role.SUPERVISOR and scopes != "none",
    Right.CAN_IMPORT: lambda role, scopes: role in POSTERS and scopes == "all",
    Right.CAN_DECIDE_REFUNDS: lambda role, scopes: role == Role.SUPERVISOR and scopes != "none",
    Right.CAN_WORK_CASES: lambda role, scopes: role in CASE_WORKERS and scopes != "none",
    Right.CAN_RUN_RETENTION: lambda role, scopes: role == Role.SUPERVISOR and scopes != "none",
    Right.CAN_AUDIT: lambda role, scopes: role == Role.AUDITOR,
    Right.CAN_MANAGE_ACCOUNTS: lambda role, scopes: role in {Role.SUPERVISOR, Role.ADMIN},
}


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Placeholder arguments name files (`--out 0`): they are written here, not in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    """A hundred users are made here; Argon2 itself is tested in test_passwords_and_lockout."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _choshu_commands() -> dict[str, str]:
    return {name: app for name, app in get_commands().items() if app.startswith("choshu.")}


def _command(name: str) -> BaseCommand:
    command = load_command_class(_choshu_commands()[name], name)
    assert isinstance(command, BaseCommand)
    return command


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return found[0] if found else None


def _units(name: str) -> list[tuple[str | None, argparse.ArgumentParser]]:
    """(sub-command or None, its parser) of a command."""
    parser = _command(name).create_parser("choshu", name)
    sub = _subparsers(parser)
    return [(None, parser)] if sub is None else list(sub.choices.items())


def _takes_user(parser: argparse.ArgumentParser) -> bool:
    return any("--user" in a.option_strings for a in parser._actions)


def _declared(name: str, sub: str | None) -> str | None:
    """The declared right, or None for an undeclared one (test_every_command_declares_its_right fails it)."""
    try:
        return declared_right(_command(name), sub)
    except KeyError:
        return None


UNITS = [(name, sub) for name in sorted(_choshu_commands()) for sub, _ in _units(name)]
GUARDED = [(name, sub) for name, sub in UNITS if _declared(name, sub) not in (None, Right.NONE)]


def _unit_id(unit: tuple[str, str | None]) -> str:
    return " ".join(part for part in unit if part)


def test_the_commands_of_this_issue_are_discovered() -> None:
    names = set(_choshu_commands())
    expected = {"audit", "governance", "import", "latefee", "ledger", "retention", "seed", "staff", "verify"}
    assert expected <= names
    assert {("ledger", None), ("import", None), ("retention", "run"), ("audit", "report"), ("staff", "unlock")} <= set(
        GUARDED
    )


@pytest.mark.parametrize("name", sorted(_choshu_commands()))
def test_every_command_declares_its_right(name: str) -> None:
    command = _command(name)
    declared = getattr(type(command), "required_right", None)
    assert declared is not None, f"choshu {name}: no required_right (docs/security.md, 'Command line')"
    parser = command.create_parser("choshu", name)
    sub = _subparsers(parser)
    if isinstance(declared, dict):
        assert sub is not None, f"choshu {name}: a right per sub-command, but no sub-commands"
        assert sub.dest == SUBCOMMAND_DEST, f"choshu {name}: sub-commands must use dest={SUBCOMMAND_DEST!r}"
        assert set(declared) == set(sub.choices), f"choshu {name}: rights {set(declared)} ≠ {set(sub.choices)}"
        assert set(declared.values()) <= set(Right.values)
    else:
        assert declared in Right.values, f"choshu {name}: {declared!r} is not a Right"


@pytest.mark.parametrize("unit", UNITS, ids=_unit_id)
def test_user_is_taken_exactly_where_a_right_is_declared(unit: tuple[str, str | None]) -> None:
    name, sub = unit
    parser = dict(_units(name))[sub]
    right = _declared(name, sub)
    assert right is not None, f"choshu {_unit_id(unit)}: no required_right"
    guarded = right != Right.NONE
    assert _takes_user(parser) == guarded, (
        f"choshu {_unit_id(unit)}: a command with a right takes --user; one with Right.NONE does not"
    )


def test_every_right_has_a_row_in_the_expectations() -> None:
    assert set(EXPECTED) == set(Right.values) - {Right.NONE}


# ---- the generic run: every guarded (sub-)command × role × scope ------------------------------

_PLACEHOLDERS = ("0", "2026-01-01", "x")


def _placeholder(action: argparse.Action) -> str:
    if action.choices:
        return str(next(iter(action.choices)))
    convert = action.type if callable(action.type) else str
    for value in _PLACEHOLDERS:
        try:
            convert(value)
        except (ValueError, TypeError, argparse.ArgumentTypeError, CommandError):
            continue
        return value
    raise AssertionError(f"no placeholder for {action.dest}")


def _placeholder_args(parser: argparse.ArgumentParser) -> list[str]:
    args: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction) or action.dest == "user":
            continue
        if not action.option_strings:
            if action.nargs not in ("?", "*"):
                args.append(_placeholder(action))
        elif action.required:
            args += [action.option_strings[0], _placeholder(action)]
    return args


@dataclass
class Run:
    refused: UserRefused | None
    out: str
    other_error: BaseException | None = None


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Run:
    capsys.readouterr()
    try:
        call_command(*argv)
    except UserRefused as refused:
        return Run(refused, capsys.readouterr().out)
    except (CommandError, SystemExit) as error:
        return Run(None, capsys.readouterr().out, error)
    return Run(None, capsys.readouterr().out)


def _last_seq() -> int:
    return AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.mark.django_db
@pytest.mark.parametrize("unit", GUARDED, ids=_unit_id)
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("scopes", list(SCOPES))
def test_every_role_is_refused_or_let_through(
    unit: tuple[str, str | None], role: str, scopes: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name, sub = unit
    right = declared_right(_command(name), sub)
    user = make_user(role, SCOPES[scopes])
    argv = [name, *([sub] if sub else []), *_placeholder_args(dict(_units(name))[sub]), "--user", user.username]
    before = _last_seq()
    run = _run(argv, capsys)
    if EXPECTED[right](role, scopes):
        assert run.refused is None, f"{role}/{scopes} refused by {_unit_id(unit)}: {run.refused}"
    else:
        assert run.refused is not None, f"{role}/{scopes} not refused by {_unit_id(unit)}: {run.other_error!r}"
        message = str(run.refused)
        assert Role(role).label in message and user.username in message  # names the role (Japanese)
        japanese, _, english = Right(right).label.partition(" / ")
        assert japanese in message and english in message  # and the right, in Japanese and English
        assert run.out == "" and _last_seq() == before  # nothing shown, nothing done


@pytest.mark.django_db
@pytest.mark.parametrize("unit", GUARDED, ids=_unit_id)
def test_an_inactive_user_is_refused(unit: tuple[str, str | None], capsys: pytest.CaptureFixture[str]) -> None:
    name, sub = unit
    user = make_user(Role.SUPERVISOR if name != "audit" else Role.AUDITOR, ALL_REVENUES)
    User.objects.filter(pk=user.pk).update(is_active=False)
    argv = [name, *([sub] if sub else []), *_placeholder_args(dict(_units(name))[sub]), "--user", user.username]
    run = _run(argv, capsys)
    assert run.refused is not None and "無効" in str(run.refused) and "inactive" in str(run.refused)


@pytest.mark.django_db
def test_an_unknown_user_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CommandError, match="登録されていません.*No user 'nobody'"):
        call_command("ledger", "1", "--user", "nobody")


# ---- real runs ----------------------------------------------------------------------------------

ATENA = "730001"
RESIDENT_ONLY = "730002"
LOST_PHONE = "lost-phone"

PERSONS_CSV = """\
atena_no,kind,name,name_kana,birth_date,sex,postal_code,address,address_extra,residency,moved_out_on,household_no,\
is_household_head,corporate_no,designation_no
930001,individual,新宿 一郎,シンジュク イチロウ,1980-04-01,1,160-0022,東京都新宿区新宿1-1-1,,resident,,,,,
"""


@dataclass
class World:
    person: Person
    resident_only: Person
    csv: Path


@pytest.fixture
def world(tmp_path: Path) -> World:
    today = timezone.localdate()
    person = make_person(atena_no=ATENA)
    resident = make_levy(person, [10_000], [today + timedelta(days=20)])
    make_levy(person, [5_000], [today + timedelta(days=20)], revenue="nhi")
    other = make_person(atena_no=RESIDENT_ONLY, name="住民 税子")
    make_levy(other, [7_000], [today + timedelta(days=20)])
    counter_payment_post(
        actor=make_user(Role.CLERK),
        person=person,
        installment_ids=[resident.installments.get().pk],
        amount=12_000,  # 2,000 too much: an overpayment tied to no installment, from a resident-tax payment
        paid_on=today,
    )
    assert Overpayment.objects.filter(person=person).exists()
    csv = tmp_path / "persons.csv"
    csv.write_text(PERSONS_CSV, encoding="utf-8")
    return World(person, other, csv)


@dataclass(frozen=True)
class Real:
    argv: Callable[[World], list[str]]
    check: Callable[[World, str], None]
    logged: bool = True  # writes an access-log entry with the user as actor


def _ledger_revenues(world: World, out: str) -> None:
    assert {row["revenue"] for row in json.loads(out)["installments"]} == {"resident_ordinary", "nhi"}


def _imported(world: World, out: str) -> None:
    assert Person.objects.filter(atena_no="930001").exists()


def _dry_run(world: World, out: str) -> None:
    [run] = json.loads(out)
    assert run["dry_run"] and RetentionRun.objects.get(pk=run["run"]).actor is not None


def _report(world: World, out: str) -> None:
    assert "entries" in json.loads(out)


def _unlocked(world: World, out: str) -> None:
    assert "ロックを解除しました" in out


def _devices_removed(world: World, out: str) -> None:
    assert "削除しました" in out


# One real run of each guarded (sub-)command of this issue, by a role that holds the right.
SUCCESS: dict[tuple[str, str | None], tuple[str, Real]] = {
    ("ledger", None): (Role.OFFICER, Real(lambda w: ["ledger", ATENA, "--json"], _ledger_revenues)),
    ("import", None): (Role.CLERK, Real(lambda w: ["import", "persons", str(w.csv)], _imported)),
    ("retention", "run"): (
        Role.SUPERVISOR,
        Real(lambda w: ["retention", "run", "--dry-run", "--json"], _dry_run, logged=False),
    ),
    ("audit", "report"): (
        Role.AUDITOR,
        Real(lambda w: ["audit", "report", "--from", "2026-01-01", "--to", "2026-12-31", "--json"], _report),
    ),
    ("staff", "unlock"): (Role.ADMIN, Real(lambda w: ["staff", "unlock", "someone"], _unlocked)),
    ("staff", "totp-reset"): (Role.SUPERVISOR, Real(lambda w: ["staff", "totp-reset", LOST_PHONE], _devices_removed)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("unit", sorted(SUCCESS, key=_unit_id), ids=_unit_id)
def test_a_role_with_the_right_runs_the_command(
    unit: tuple[str, str | None], world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    role, real = SUCCESS[unit]
    assert EXPECTED[declared_right(_command(unit[0]), unit[1])](role, "all")
    make_user(Role.CLERK, username=LOST_PHONE)
    user = make_user(role, ALL_REVENUES if role in WORKERS else [])
    run = _run([*real.argv(world), "--user", user.username], capsys)
    assert run.refused is None and run.other_error is None, run
    real.check(world, run.out)
    if real.logged:
        entry = AccessLogEntry.objects.order_by("-seq").first()
        assert entry is not None and entry.actor_id == user.pk and entry.channel == "cli"


def test_every_guarded_command_of_this_issue_has_a_real_run() -> None:
    ours = {unit for unit in GUARDED if unit[0] in {"ledger", "import", "retention", "audit", "staff"}}
    assert ours == set(SUCCESS)


def _ledger_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    call_command(*argv)
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


@pytest.mark.django_db
def test_the_ledger_command_keeps_to_the_users_revenue_scope(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    nhi = make_user(Role.NHI_OFFICER, ["nhi"], username="kokuho")
    mine = _ledger_json(["ledger", ATENA, "--json", "--user", "kokuho"], capsys)
    assert {row["revenue"] for row in mine["installments"]} == {"nhi"}
    before = _last_seq()
    with pytest.raises(CommandError, match="revenue scope"):  # a resident-tax-only person: not found
        call_command("ledger", RESIDENT_ONLY, "--user", nhi.username)
    assert capsys.readouterr().out == "" and _last_seq() == before


@pytest.mark.django_db
def test_without_user_the_console_operator_reads_every_revenue(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    everything = _ledger_json(["ledger", RESIDENT_ONLY, "--json", "--as-of", date.today().isoformat()], capsys)
    assert everything["atena_no"] == RESIDENT_ONLY
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.actor_id is None and entry.actor_label.startswith(("os:", "cli"))

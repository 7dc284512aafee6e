"""The roles on the command line: every management command of a choshu app declares the right
that its `--user` must hold, and resolves `--user` through `command_actor` before it reads or
writes anything (docs/security.md, "Command line").

    class Command(BaseCommand):
        required_right = Right.SEES_PERSONAL_DATA          # the whole command
        # or, with sub-commands (their argparse dest must be "action"):
        required_right = {"run": Right.CAN_RUN_RETENTION, "rules": Right.NONE}

        def handle(self, *args, **options):
            actor = command_actor(self, options)             # first: refuses before any work
            ...

`Right.NONE` declares that the command (or sub-command) touches no personal data; it takes no
`--user`. Without `--user` a command runs as the server's operator (the OS user, recorded as
``os:<name>`` in the access log). tests/security/test_cli_matrix.py discovers every command and
fails on a missing declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from choshu.staff.models import Right, Role, User

SUBCOMMAND_DEST = "action"


class UserRefused(CommandError):
    """A `--user` whose role lacks the command's right (the message names role and right)."""


def declared_right(command: BaseCommand | type[BaseCommand], subcommand: str | None = None) -> str:
    """The right a command (or one of its sub-commands) declares; KeyError if it declares none."""
    declared = getattr(command, "required_right", None)
    if declared is None:
        raise KeyError(f"{command!r} declares no required_right")
    if isinstance(declared, Mapping):
        if subcommand is None or subcommand not in declared:
            raise KeyError(f"{command!r} declares no right for sub-command {subcommand!r}")
        return str(declared[subcommand])
    return str(declared)


def _labels(right: str) -> tuple[str, str]:
    japanese, _, english = Right(right).label.partition(" / ")
    return japanese, english or japanese


def refusal(user: User, right: str) -> str:
    """「収納担当(clerk1)には「アカウントの管理」の権限がありません。 / The role clerk …」."""
    japanese, english = _labels(right)
    role_ja = Role(user.role).label if user.role in Role.values else user.role
    inactive_ja, inactive_en = ("・無効", " (inactive)") if not user.is_active else ("", "")
    return (
        f"{role_ja}{inactive_ja}({user.username})には「{japanese}」の権限がありません。"
        f" / The role {user.role}{inactive_en} of {user.username!r} lacks the right to {english}."
    )


def command_user(username: str, right: str) -> User | None:
    """The user named by `--user`, refused (UserRefused) unless the role holds `right`.

    An empty `username` is the server's operator at the console: None.
    """
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"利用者 {username!r} は登録されていません。 / No user {username!r}.")
    if not user.has_right(right):
        raise UserRefused(refusal(user, right))
    return user


def command_actor(command: BaseCommand, options: dict[str, Any]) -> User | None:
    """`command_user` for a command's own options and declared right (per sub-command if any)."""
    right = declared_right(command, options.get(SUBCOMMAND_DEST))
    return command_user(options.get("user") or "", right)

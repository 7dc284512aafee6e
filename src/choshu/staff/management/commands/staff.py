"""`choshu staff locked | unlock NAME | totp-reset NAME [--user NAME]`: account lockouts and TOTP devices."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.staff.cli import command_actor
from choshu.staff.models import Right, User
from choshu.staff.selectors import locked_out_attempts
from choshu.staff.services import totp_devices_reset, user_unlock


class Command(BaseCommand):
    help = "Staff accounts: list locked accounts, unlock one, reset a lost TOTP device."
    required_right = {
        "locked": Right.NONE,  # staff user names and addresses, no resident's data
        "unlock": Right.CAN_MANAGE_ACCOUNTS,
        "totp-reset": Right.CAN_MANAGE_ACCOUNTS,
    }

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("locked", help="list the user names locked out by failed logins")
        for name, text in (
            ("unlock", "clear the failed logins of USERNAME"),
            ("totp-reset", "remove USERNAME's TOTP device"),
        ):
            action = sub.add_parser(name, help=text)
            action.add_argument("username")
            action.add_argument("--user", default="", help="supervisor or administrator recorded as the actor")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        if options["action"] == "locked":
            for attempt in locked_out_attempts():
                when = attempt.attempt_time.strftime("%Y-%m-%d %H:%M")
                self.stdout.write(f"{attempt.username}\t{attempt.failures_since_start}回\t{when}\t{attempt.ip_address}")
            return
        username = options["username"]
        try:
            if options["action"] == "unlock":
                removed = user_unlock(actor=actor, username=username)
                self.stdout.write(f"{username}: ロックを解除しました(失敗記録 {removed} 件を削除)")
            else:
                target = User.objects.filter(username=username).first()
                if target is None:
                    raise CommandError(f"no user {username!r}")
                removed = totp_devices_reset(actor=actor, user=target)
                self.stdout.write(f"{username}: 二要素認証の端末 {removed} 件を削除しました(次回ログイン時に再登録)")
        except PermissionDenied as error:
            raise CommandError(str(error)) from error

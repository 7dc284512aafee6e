"""`choshu debit request --debit-date DATE --out FILE [--user NAME] [--json]`: write the Zengin 91
direct-debit request file (口座振替依頼データ) of a debit date (docs/direct-debit.md).

Prints the records written, the total and every row not written with its reason. Exit status 0
when the file was written (rows not written are listed and need a clerk), 1 when nothing was
written (no such user, a user without the right, a setting the file cannot carry).
"""

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from choshu.payments.debit import DebitRequestError, debit_request_build
from choshu.rules.money import format_yen
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


def _write_private(path: Path, data: bytes) -> None:
    """Write the file readable by its owner only: it carries account numbers and names."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


class Command(BaseCommand):
    help = "口座振替依頼データ: write the Zengin 91 direct-debit request file of a debit date."
    required_right = {"request": Right.CAN_POST_PAYMENTS}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        request = sub.add_parser("request", help="write the request file of a debit date")
        request.add_argument("--debit-date", required=True, type=date.fromisoformat, help="引落日 YYYY-MM-DD")
        request.add_argument("--out", required=True, type=Path, help="the file to write")
        request.add_argument("--user", default="", help="username recorded as the actor (default: the OS user)")
        request.add_argument("--json", action="store_true", help="print the result as one JSON object")
        request.add_argument("--again", default="", help="the reason for writing a date's file a second time")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)  # first: a refused user reads nothing
        out: Path = options["out"]
        written = False
        try:
            # The access-log entry commits only if the file was written.
            with transaction.atomic():
                result = debit_request_build(actor=actor, debit_date=options["debit_date"], again=options["again"])
                _write_private(out, result.data)
                written = True
        except (PermissionDenied, DebitRequestError) as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"{out}: {exc.strerror or exc}") from exc
        except BaseException:
            if written:
                out.unlink(missing_ok=True)
            raise
        if options["json"]:
            self.stdout.write(json.dumps({"file": str(out), **result.as_dict()}, ensure_ascii=False))
            return
        for reject in result.rejects:
            self.stderr.write(
                f"{reject.atena_no} {reject.levy_no}-{reject.installment_no}: 作成しませんでした: {reject.reason}"
            )
        self.stdout.write(
            f"{out}: 引落日 {result.debit_date.isoformat()}: {result.count} 件 {format_yen(result.total)} 円"
            f" (作成しなかった行 {len(result.rejects)} 件)"
        )

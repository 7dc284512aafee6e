"""`choshu suspension extinguish --as-of DATE [--dry-run] [--json] [--user U]`: the suspensions of
enforcement (執行停止) that have lasted 3 years are extinguished (地方税法15条の7第4項, docs/cases.md)."""

import json
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.cases.suspensions import suspension_extinction_run
from choshu.rules.money import format_yen
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "執行停止: extinguish the suspensions that have lasted 3 years."
    required_right = {"extinguish": Right.CAN_WORK_CASES}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("extinguish", help="the 3-year extinction batch")
        run.add_argument("--as-of", required=True, type=date.fromisoformat, help="基準日 YYYY-MM-DD")
        run.add_argument("--dry-run", action="store_true", help="count only; write nothing")
        run.add_argument("--json", action="store_true")
        run.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        try:
            result = suspension_extinction_run(actor=actor, as_of=options["as_of"], dry_run=options["dry_run"])
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"dry_run": options["dry_run"], **result.as_dict()}, ensure_ascii=False))
            return
        note = "(試行: 記録していません)" if options["dry_run"] else ""
        self.stdout.write(
            f"基準日 {result.as_of.isoformat()}: 3年経過による消滅 {result.extinguished} 件 "
            f"{format_yen(result.amount)} 円{note}"
        )

"""`choshu case open --as-of DATE [--days N] [--dry-run] [--json] [--user U]`: the opening batch of
滞納整理 (docs/cases.md)."""

import json
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.cases.services import case_open_run
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "滞納整理: open the cases due, refresh and close the open ones, assign officers by the rules."
    required_right = {"open": Right.CAN_WORK_CASES}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("open", help="the opening batch")
        run.add_argument("--as-of", required=True, type=date.fromisoformat, help="基準日 YYYY-MM-DD")
        run.add_argument("--days", type=int, default=None, help="days after the demand was posted (設定値)")
        run.add_argument("--dry-run", action="store_true", help="count the cases to open; write nothing")
        run.add_argument("--json", action="store_true")
        run.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        try:
            result = case_open_run(
                actor=actor, as_of=options["as_of"], days_after_demand=options["days"], dry_run=options["dry_run"]
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"dry_run": options["dry_run"], **result.as_dict()}, ensure_ascii=False))
            return
        if options["dry_run"]:
            self.stdout.write(
                f"基準日 {result.as_of.isoformat()}: 新規 {len(result.opened)} 件(試行: 作成していません)"
            )
            return
        self.stdout.write(
            f"案件作成処理 #{result.run_id} 基準日 {result.as_of.isoformat()}: "
            f"新規 {len(result.opened)} 件・自動割当 {result.assigned} 件・完結 {result.closed} 件"
        )

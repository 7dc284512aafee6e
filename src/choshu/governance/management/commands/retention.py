"""`choshu retention run [--dry-run] [--json] [--rule CODE ...] [--as-of DATE] [--user NAME]`.

Runs the retention rules (all by default): each rule's rows past their period are purged in
chunks under a RetentionRun record; --dry-run only counts them (and records that it did).
`choshu retention rules` lists the registered rules.
"""

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from choshu.governance.retention import RETENTION_RULES, retention_run
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "保存期間: purge what is past its retention period, under a run record."
    required_right = {"run": Right.CAN_RUN_RETENTION, "rules": Right.NONE}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="purge (or count with --dry-run)")
        run.add_argument("--dry-run", action="store_true")
        run.add_argument("--json", action="store_true")
        run.add_argument("--rule", action="append", default=None, help="rule code (repeatable; default all)")
        run.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
        run.add_argument("--user", default="", help="the supervisor running it (default: the batch)")
        rules = sub.add_parser("rules", help="list the registered rules")
        rules.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        if options["action"] == "rules":
            items = [
                {"code": r.code, "label": r.label, "date_field": r.date_field, "days": r.days}
                for r in sorted(RETENTION_RULES.values(), key=lambda r: r.code)
            ]
            if options["json"]:
                self.stdout.write(json.dumps(items, ensure_ascii=False, indent=1))
            else:
                for item in items:
                    self.stdout.write(f"{item['code']}: {item['label']} ({item['date_field']} + {item['days']} days)")
            return
        try:
            runs = retention_run(
                actor=actor,
                as_of=options["as_of"] or timezone.localdate(),
                dry_run=options["dry_run"],
                rules=options["rule"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            payload = [
                {
                    "run": r.pk,
                    "rule": r.rule,
                    "as_of": r.as_of.isoformat(),
                    "cutoff": r.cutoff.isoformat(),
                    "dry_run": r.dry_run,
                    "state": r.state,
                    "eligible": r.eligible,
                    "deleted": r.deleted,
                    "chunks": len(r.chunks),
                }
                for r in runs
            ]
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1))
        else:
            for r in runs:
                verb = "would delete" if r.dry_run else "deleted"
                count = r.eligible if r.dry_run else r.deleted
                self.stdout.write(
                    f"run {r.pk} {r.rule}: {verb} {count} (before {r.cutoff.isoformat()}, {len(r.chunks)} chunks)"
                )

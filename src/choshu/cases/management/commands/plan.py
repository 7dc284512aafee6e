"""`choshu plan breach --as-of DATE [--dry-run] [--json] [--user U]`: the breach run of payment
plans (分納誓約の不履行判定, docs/cases.md)."""

import json
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.cases.plans import PlanError, plan_breach_run
from choshu.rules.money import format_yen
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "分納誓約: breach the plans not kept, complete those paid in full."
    required_right = {"breach": Right.CAN_WORK_CASES}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        breach = sub.add_parser("breach", help="breach the plans not kept by the as-of date less the grace days")
        breach.add_argument("--as-of", required=True, type=date.fromisoformat, help="基準日 YYYY-MM-DD")
        breach.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
        breach.add_argument("--json", action="store_true")
        breach.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        try:
            result = plan_breach_run(actor=actor, as_of=options["as_of"], dry_run=options["dry_run"])
        except (PlanError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc
        totals = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(totals, ensure_ascii=False))
            return
        note = "(試行: 更新していません)" if result.dry_run else ""
        self.stdout.write(
            f"基準日 {result.as_of.isoformat()}(猶予 {result.grace_days}日){note}: 対象 {result.checked} 件、"
            f"不履行 {len(result.breached)} 件(履行遅滞額 {format_yen(sum(b.arrears for b in result.breached))} 円)、"
            f"完了 {len(result.completed)} 件"
        )

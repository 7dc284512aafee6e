"""`choshu reminder generate --as-of DATE --issue-date DATE [--dry-run] [--json] [--user U]`,
`choshu reminder dispatch BATCH --on DATE [--user U]`, `choshu reminder cancel BATCH --reason TEXT
[--user U]`: reminders (催告書, docs/demands.md)."""

import json
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.notices.demands import DemandError
from choshu.notices.models import ReminderBatch
from choshu.notices.reminders import reminder_cancel, reminder_dispatch, reminder_generate
from choshu.rules.money import format_yen
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "催告書: generate the reminders due, record their dispatch, or cancel a batch."
    required_right = {
        "generate": Right.CAN_POST_PAYMENTS,
        "dispatch": Right.CAN_POST_PAYMENTS,
        "cancel": Right.CAN_POST_PAYMENTS,
    }

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser("generate", help="escalate one level from the last letter sent")
        generate.add_argument("--as-of", required=True, type=date.fromisoformat, help="基準日 YYYY-MM-DD")
        generate.add_argument("--issue-date", required=True, type=date.fromisoformat, help="発付日 YYYY-MM-DD")
        generate.add_argument("--dry-run", action="store_true", help="show what would be generated; write nothing")
        generate.add_argument("--json", action="store_true")
        generate.add_argument("--user", default="")
        dispatch = sub.add_parser("dispatch", help="record that a generated batch was posted")
        dispatch.add_argument("batch", type=int)
        dispatch.add_argument("--on", required=True, type=date.fromisoformat, help="発送日 YYYY-MM-DD")
        dispatch.add_argument("--user", default="")
        cancel = sub.add_parser("cancel", help="cancel a generated batch")
        cancel.add_argument("batch", type=int)
        cancel.add_argument("--reason", required=True)
        cancel.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        try:
            if options["action"] == "generate":
                result = reminder_generate(
                    actor=actor, as_of=options["as_of"], issue_date=options["issue_date"], dry_run=options["dry_run"]
                )
                totals = result.as_dict()
                if options["json"]:
                    self.stdout.write(json.dumps({"dry_run": options["dry_run"], **totals}, ensure_ascii=False))
                    return
                what = "(試行: 作成していません)" if options["dry_run"] else f"催告処理 #{result.batch_id}"
                self.stdout.write(
                    f"基準日 {result.as_of.isoformat()}: {what if result.drafts else '催告対象はありません'} "
                    f"{totals['letters']} 通 {format_yen(int(str(totals['amount'])))} 円 {totals['levels']}"
                )
                return
            batch = ReminderBatch.objects.filter(pk=options["batch"]).first()
            if batch is None:
                raise CommandError(f"催告処理 #{options['batch']} はありません。")
            if options["action"] == "dispatch":
                reminder_dispatch(actor=actor, batch=batch, dispatched_on=options["on"])
                self.stdout.write(f"催告処理 #{batch.pk} を発送済にしました。")
            else:
                reminder_cancel(actor=actor, batch=batch, reason=options["reason"])
                self.stdout.write(f"催告処理 #{batch.pk} を取り消しました。")
        except (DemandError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc

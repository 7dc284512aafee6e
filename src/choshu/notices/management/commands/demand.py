"""`choshu demand run --due-on DATE --issue-date DATE [--dry-run] [--json] [--user U]` and
`choshu demand cancel BATCH --reason TEXT [--user U]`, `choshu demand dispatch BATCH [--on DATE] [--user U]`:
demand batches (督促状の発付, docs/demands.md)."""

import json
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.notices.demands import (
    DemandError,
    DemandResult,
    demand_cancel,
    demand_dispatch,
    demand_dry_run,
    demand_run,
)
from choshu.notices.models import DemandBatch
from choshu.rules.money import format_yen
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "督促状の発付処理: select, fix or cancel a demand batch."
    required_right = {
        "run": Right.CAN_POST_PAYMENTS,
        "cancel": Right.CAN_POST_PAYMENTS,
        "dispatch": Right.CAN_POST_PAYMENTS,
    }

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="select the installments unpaid after a due date and fix the batch")
        run.add_argument("--due-on", required=True, type=date.fromisoformat, help="納期限 YYYY-MM-DD")
        run.add_argument("--issue-date", required=True, type=date.fromisoformat, help="発付日 YYYY-MM-DD")
        run.add_argument("--dry-run", action="store_true", help="show what would be selected; write nothing")
        run.add_argument("--json", action="store_true")
        run.add_argument("--user", default="", help="the clerk recorded as acting (default: the OS user)")
        cancel = sub.add_parser("cancel", help="cancel a batch before dispatch")
        cancel.add_argument("batch", type=int)
        cancel.add_argument("--reason", required=True)
        cancel.add_argument("--user", default="")
        dispatch = sub.add_parser("dispatch", help="record that a fixed batch was posted")
        dispatch.add_argument("batch", type=int)
        dispatch.add_argument("--on", type=date.fromisoformat, default=None, help="発送日 (default: the issue date)")
        dispatch.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        try:
            if options["action"] in ("cancel", "dispatch"):
                batch = DemandBatch.objects.filter(pk=options["batch"]).first()
                if batch is None:
                    raise CommandError(f"督促処理 #{options['batch']} はありません。")
                if options["action"] == "cancel":
                    demand_cancel(actor=actor, batch=batch, reason=options["reason"])
                    self.stdout.write(f"督促処理 #{batch.pk} を取り消しました。")
                else:
                    batch = demand_dispatch(actor=actor, batch=batch, dispatched_on=options["on"])
                    self.stdout.write(f"督促処理 #{batch.pk} を発送済にしました(発送日 {batch.dispatched_on}).")
                return
            run = demand_dry_run if options["dry_run"] else demand_run
            result = run(actor=actor, due_on=options["due_on"], issue_date=options["issue_date"])
        except (DemandError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc
        self._print(result, options)

    def _print(self, result: DemandResult, options: dict[str, Any]) -> None:
        for warning in result.warnings:
            self.stderr.write(f"注意: {warning}")
        if options["json"]:
            self.stdout.write(json.dumps({"dry_run": options["dry_run"], **result.as_dict()}, ensure_ascii=False))
            return
        totals = result.as_dict()
        what = "(試行: 作成していません)" if options["dry_run"] else f"督促処理 #{result.batch_id}"
        if not result.letters:
            what = "督促対象はありません"
        self.stdout.write(
            f"納期限 {result.due_on.isoformat()} 発付日 {result.issue_date.isoformat()}: {what} "
            f"{totals['letters']} 通 {totals['lines']} 期別 {format_yen(int(str(totals['amount'])))} 円"
            + (f"(確定時に除外 {result.dropped} 期別)" if result.dropped else "")
        )

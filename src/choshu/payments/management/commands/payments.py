import json
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.formats.channels import FORMATS
from choshu.payments.selectors import installment_scope, open_suspense, unconfirmed_preliminaries
from choshu.payments.services import channel_file_import
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "Channel payment data (収納データ): import a file, list 速報 awaiting 確報, list suspense."
    required_right = {
        "import": Right.CAN_IMPORT,  # a channel file carries every revenue
        "unconfirmed": Right.CAN_POST_PAYMENTS,
        "suspense": Right.CAN_POST_PAYMENTS,
    }

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import and reconcile one channel file")
        imp.add_argument("--format", required=True, choices=sorted(FORMATS))
        imp.add_argument("file", type=Path)
        imp.add_argument("--received-on", type=date.fromisoformat, help="day the file was received (default today)")
        imp.add_argument("--keep-file", action="store_true", help="do not delete the file once registered")
        imp.add_argument("--json", action="store_true")
        imp.add_argument("--user", default="", help="the clerk recorded as importing (default: the OS user)")
        unc = sub.add_parser("unconfirmed", help="速報 with no 確報 after N days (follow-up list)")
        unc.add_argument("--as-of", type=date.fromisoformat)
        unc.add_argument("--days", type=int, default=settings.PRELIMINARY_FOLLOW_UP_DAYS)
        unc.add_argument("--json", action="store_true")
        unc.add_argument("--user", default="")
        sus = sub.add_parser("suspense", help="money held in suspense (未確認入金)")
        sus.add_argument("--json", action="store_true")
        sus.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        options["actor"] = command_actor(self, options)
        getattr(self, "_" + options["action"])(options)

    def _emit(self, options: dict[str, Any], payload: Any, lines: list[str]) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1))
        else:
            self.stdout.write("\n".join(lines))

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        result = channel_file_import(
            actor=options["actor"],
            format=options["format"],
            file_name=path.name,
            data=data,
            received_on=options["received_on"],
        )
        payload = {
            "file": str(path),
            "format": result.format,
            "import_id": result.run_id,
            "ok": result.ok,
            "records": result.records,
            "amount": result.amount,
            "outcomes": result.counts,
            "errors": [{"line": e.line, "field": e.column, "reason": e.reason} for e in result.errors],
        }
        lines = [f"{path}: {'imported' if result.ok else 'REJECTED'} (import #{result.run_id})"]
        lines += [f"  {outcome}: {n}" for outcome, n in sorted(result.counts.items())]
        lines += [f"  {path.name}: {e}" for e in result.errors]
        self._emit(options, payload, lines)
        if not result.ok:
            raise CommandError(f"{path}: rejected with {len(result.errors)} error(s); nothing was written")
        if not options["keep_file"]:
            path.unlink()  # registered: the raw file does not linger on the terminal (seed 002)

    def _unconfirmed(self, options: dict[str, Any]) -> None:
        as_of = options["as_of"] or timezone.localdate()
        actor = options["actor"]
        with transaction.atomic():  # nothing is printed unless the access-log entry is written
            records = list(
                unconfirmed_preliminaries(as_of=as_of, days=options["days"])
                .filter(installment_scope(actor.scopes() if actor is not None else None))
                .select_related("installment__levy")
            )
            persons = sorted({r.installment.levy.person_id for r in records if r.installment is not None})
            access_log_write(  # the list names installments, hence persons
                actor=actor,
                action=Action.READ,
                subjects=[f"count:preliminary:{len(records)}", *(ref("person", pk) for pk in persons)],
                purpose="payments",
                channel=AccessChannel.CLI,
            )
        rows = [
            {
                "import_id": r.channel_import_id,
                "line": r.line,
                "channel": r.channel,
                "paid_on": r.paid_on.isoformat(),
                "amount": r.amount,
                "installment_id": r.installment_id,
                "payment_ref": r.payment_ref,
            }
            for r in records
        ]
        lines = [f"{r['paid_on']} {r['channel']:<14} {r['amount']:>10,} #{r['import_id']}:{r['line']}" for r in rows]
        self._emit(options, {"as_of": as_of.isoformat(), "days": options["days"], "records": rows}, lines)

    def _suspense(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "suspense_id": s.pk,
                "payment_id": s.payment_id,
                "channel": s.payment.channel,
                "paid_on": s.payment.paid_on.isoformat(),
                "remaining": s.remaining,
                "reason": s.reason,
            }
            for s in open_suspense()
        ]
        lines = [f"#{r['suspense_id']} {r['paid_on']} {r['remaining']:>10,} {r['reason']}" for r in rows]
        self._emit(options, {"suspense": rows}, lines)

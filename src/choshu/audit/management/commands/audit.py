"""`choshu audit verify [--json]` and `choshu audit report --from DATE --to DATE [--json]`.

verify: recompute the access log's sequence and hash chain; exit 1 naming the first broken entry.
report: the periodic analysis of the access log (audit.selectors.access_log_report); the run is
itself logged (action read, subjects ["accesslog"], purpose "audit").
"""

import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.audit.models import AccessChannel, Action
from choshu.audit.selectors import Thresholds, access_log_report
from choshu.audit.services import VERIFY_CHUNK, access_log_verify, access_log_write
from choshu.staff.cli import command_actor
from choshu.staff.models import Right, User


class Command(BaseCommand):
    help = "Access log (アクセスログ): verify the hash chain, or report on a period."
    # verify prints counts and hashes only; the report is the auditor's.
    required_right = {"verify": Right.NONE, "report": Right.CAN_AUDIT}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the sequence and the hash chain; exit 1 if broken")
        verify.add_argument("--json", action="store_true")
        verify.add_argument("--chunk", type=int, default=VERIFY_CHUNK, help="entries read per query")
        report = sub.add_parser("report", help="the periodic analysis of a period of local dates")
        report.add_argument("--from", dest="date_from", type=date.fromisoformat, required=True)
        report.add_argument("--to", dest="date_to", type=date.fromisoformat, required=True)
        report.add_argument("--json", action="store_true")
        report.add_argument("--user", default="", help="username recorded as the actor of this read")
        defaults = Thresholds()
        for name in ("open_hour", "close_hour", "volume_factor", "volume_floor", "repeat_threshold"):
            report.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int, default=getattr(defaults, name))

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        if options["action"] == "verify":
            self._verify(options)
        else:
            self._report(options, actor)

    def _verify(self, options: dict[str, Any]) -> None:
        check = access_log_verify(chunk_size=options["chunk"])
        if options["json"]:
            self.stdout.write(json.dumps(check.as_dict()))
        elif check.ok:
            self.stdout.write(f"OK: {check.count} entries, last seq {check.last_seq}, last hash {check.last_hash}")
        else:
            self.stdout.write(f"BROKEN at seq {check.broken_seq}: {check.reason} ({check.count} entries verified)")
        if not check.ok:
            sys.exit(1)

    def _report(self, options: dict[str, Any], actor: User | None) -> None:
        if options["date_from"] > options["date_to"]:
            raise CommandError("--from is after --to")
        thresholds = Thresholds(**{k: options[k] for k in Thresholds().__dict__})
        report = access_log_report(date_from=options["date_from"], date_to=options["date_to"], thresholds=thresholds)
        access_log_write(
            actor=actor,
            action=Action.READ,
            subjects=["accesslog"],
            purpose="audit",
            query=f"report {report['from']}..{report['to']}",
            channel=AccessChannel.CLI,
        )
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1))
            return
        w = self.stdout.write
        w(f"access log {report['from']} – {report['to']}: {report['entries']} entries, {report['users']} users")
        np = report["no_purpose"]
        w(f"no purpose: {np['count']} entries, {np['persons']} persons")
        for u in np["by_user"]:
            w(f"  {u['user']}: {u['count']} entries, {u['persons']} persons, seqs {_ranges(u['seqs'])}")
        vo = report["volume_outliers"]
        w(f"volume outliers (median {vo['median']}, limit {vo['limit']}): {vo['count']}")
        for o in vo["items"]:
            w(f"  {o['date']} {o['user']}: {o['count']} entries (seq {o['first_seq']}–{o['last_seq']})")
        oh = report["off_hours"]
        w(f"off hours: {oh['count']} entries")
        for u in oh["by_user"]:
            w(f"  {u['user']}: {u['count']} entries, seqs {_ranges(u['seqs'])}")
        rs = report["repeated_searches"]
        w(f"repeated searches: {rs['count']}")
        for r in rs["items"]:
            w(f"  {r['date']} {r['user']}: {r['query']!r} × {r['count']}")
        ex = report["exports"]
        w(f"exports: {ex['count']}")
        for e in ex["items"]:
            w(f"  #{e['seq']} {e['at']} {e['user']} {e['purpose']} ({e['subjects']} subjects)")


def _ranges(ranges: list[list[int]], limit: int = 10) -> str:
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ranges[:limit])
    return text + (f" … (+{len(ranges) - limit})" if len(ranges) > limit else "")

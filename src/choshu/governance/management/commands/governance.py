"""`choshu governance overdue [--json] [--as-of DATE]`: media not returned by their deadline,
missing erasure certificates (of export packages and of paper handovers), and contracts with no
on-site audit (立入調査) this fiscal year.

Exit status 1 when a medium or a certificate is overdue; the unaudited contracts are listed as
flags and do not change the exit status.
"""

import json
import sys
from dataclasses import asdict
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from choshu.governance.selectors import overdue_report
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "委託・外部結合: overdue media returns and erasure certificates; unaudited contracts."
    required_right = {"overdue": Right.NONE}  # contracts, packages and media ids; never a person

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        overdue = sub.add_parser("overdue", help="media not returned, certificates missing, contracts not audited")
        overdue.add_argument("--json", action="store_true")
        overdue.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "overdue":
            raise CommandError(f"unknown action {options['action']}")
        report = overdue_report(as_of=options["as_of"] or timezone.localdate())
        if options["json"]:
            payload = {
                "as_of": report.as_of.isoformat(),
                "overdue": report.overdue_count,
                "media": [asdict(m) for m in report.media],
                "certificates": [asdict(m) for m in report.certificates],
                "unaudited_contracts": [asdict(u) for u in report.unaudited],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
        else:
            for m in report.media:
                self.stdout.write(
                    f"媒体未返却: {m.label} {m.contract_no} {m.contractor} 媒体{m.media_id} "
                    f"返却期限{m.return_due_on} ({m.days_overdue}日超過)"
                )
            for c in report.certificates:
                returned = f"返却{c.returned_on}" if c.returned_on else "返却なし"
                self.stdout.write(
                    f"消去証明書未提出: {c.label} {c.contract_no} {c.contractor} "
                    f"{returned} 提出期限{c.certificate_due_on} ({c.days_overdue}日超過)"
                )
            for u in report.unaudited:
                last = u.last_audited_on.isoformat() if u.last_audited_on else "なし"
                self.stdout.write(
                    f"立入調査未実施({u.fiscal_year}年度): {u.contract_no} {u.title} {u.contractor} 前回{last}"
                )
            self.stdout.write(
                f"{len(report.media)} media overdue, {len(report.certificates)} certificates missing, "
                f"{len(report.unaudited)} contracts not audited this fiscal year"
            )
        if report.overdue_count:
            sys.exit(1)

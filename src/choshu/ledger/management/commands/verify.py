import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from choshu.ledger.verify import CHECKS, ledger_violations
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "Check every ledger invariant over the whole database; exit 1 if any is violated."
    # A batch check: its output names rows by table and id with their sums, never a person.
    required_right = Right.NONE

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        violations = ledger_violations(as_of=timezone.localdate())
        if options["json"]:
            payload = {
                "checks": [*CHECKS, "late_fee_paid"],
                "count": len(violations),
                "violations": [v.__dict__ for v in violations],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1))
        else:
            for v in violations:
                self.stdout.write(str(v))
            self.stdout.write(f"{len(violations)} violations")
        if violations:
            sys.exit(1)

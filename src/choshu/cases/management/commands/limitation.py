"""`choshu limitation report --as-of DATE [--dry-run] [--json] [--user U]`: the limitation batch
(時効管理, docs/limitation.md "Limitation batch"): stores the completion date of every unpaid
installment of the user's revenues and prints the summary by revenue and fiscal year."""

import json
import unicodedata
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.cases.limitation import LimitationError, LimitationRunResult, LimitationSummary, limitation_run
from choshu.rules.money import format_yen
from choshu.rules.revenue import REVENUES
from choshu.staff.cli import command_actor
from choshu.staff.models import Right

HEADINGS = ("税目", "年度", "対象期別", "未納本税", "6か月以内", "同 本税", "消滅", "同 本税")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def _cells(row: LimitationSummary, label: str, year: str) -> tuple[str, ...]:
    return (
        label,
        year,
        f"{row.installments:,}",
        format_yen(row.amount),
        f"{row.within_six_months:,}",
        format_yen(row.within_six_months_amount),
        f"{row.extinguished:,}",
        format_yen(row.extinguished_amount),
    )


def table(result: LimitationRunResult) -> list[str]:
    """The summary as aligned lines (Japanese headings; counts and amounts right-aligned)."""
    body = [_cells(row, REVENUES[row.revenue].label, f"{row.fiscal_year}年度") for row in result.rows]
    body.append(_cells(result.total, "合計", ""))
    widths = [max(_width(cells[n]) for cells in [HEADINGS, *body]) for n in range(len(HEADINGS))]
    return [
        "  ".join(_pad(cell, widths[n], right=n >= 2) for n, cell in enumerate(cells)).rstrip()
        for cells in [HEADINGS, *body]
    ]


class Command(BaseCommand):
    help = "時効管理: compute and store the limitation of every unpaid installment, print the summary."
    required_right = {"report": Right.CAN_WORK_CASES}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        report = sub.add_parser("report", help="run the limitation batch and print its summary")
        report.add_argument("--as-of", required=True, type=date.fromisoformat, help="基準日 YYYY-MM-DD")
        report.add_argument("--dry-run", action="store_true", help="compute and print; write nothing")
        report.add_argument("--json", action="store_true")
        report.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        try:
            result = limitation_run(actor=actor, as_of=options["as_of"], dry_run=options["dry_run"])
        except (LimitationError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        what = "(試行: 保存していません)" if result.dry_run else f"時効管理処理 #{result.run_id}"
        self.stdout.write(
            f"{what} 基準日 {result.as_of.isoformat()}: 6か月以内 = {result.horizon.isoformat()} までに時効完成、"
            "消滅 = 基準日までに消滅(金額は未納本税・円)"
        )
        if not result.rows:
            self.stdout.write("未納の期別はありません。")
            return
        for line in table(result):
            self.stdout.write(line)

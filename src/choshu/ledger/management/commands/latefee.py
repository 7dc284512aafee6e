import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.rules.latefee import compute_late_fee
from choshu.rules.money import format_yen
from choshu.staff.models import Right


def _paid(value: str) -> tuple[date, int]:
    try:
        day, amount = value.split(":")
        return date.fromisoformat(day), int(amount)
    except ValueError:
        raise CommandError(f"--paid {value!r}: expected DATE:AMOUNT, e.g. 2022-01-31:65000") from None


class Command(BaseCommand):
    help = "Compute the late fee (延滞金) of one installment."
    required_right = Right.NONE  # arithmetic on the arguments; reads no row

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--principal", type=int, required=True, help="principal in yen (本税)")
        parser.add_argument("--due", type=date.fromisoformat, required=True, help="effective due date, used as given")
        parser.add_argument("--paid", type=_paid, action="append", default=[], help="DATE:AMOUNT, repeatable")
        parser.add_argument("--as-of", type=date.fromisoformat, help="required while the principal is not paid")
        parser.add_argument("--first-tier-months", type=int, default=1, help="1 for taxes, 3 for NHI premiums")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["principal"] < 0:
            raise CommandError("--principal must not be negative")
        try:
            fee = compute_late_fee(
                principal=options["principal"],
                due_date=options["due"],
                payments=options["paid"],
                as_of=options["as_of"],
                first_tier_months=options["first_tier_months"],
            )
        except (ValueError, LookupError) as exc:
            raise CommandError(str(exc)) from None
        segments = [
            {
                "from": s.start.isoformat(),
                "to": s.end.isoformat(),
                "days": s.days,
                "base": s.base,
                "rate": s.rate,
                "amount": s.amount,
            }
            for s in fee.segments
        ]
        if options["json"]:
            payload = {"late_fee": fee.amount, "fixed": fee.fixed, "unrounded": fee.unrounded, "segments": segments}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        for s in segments:
            self.stdout.write(
                f"{s['from']} – {s['to']}  {s['days']:>4} days  base {format_yen(int(s['base'])):>12}"  # type: ignore[call-overload]
                f"  {s['rate']:>5}%  {format_yen(int(s['amount'])):>10}"  # type: ignore[call-overload]
            )
        state = "fixed" if fee.fixed else "as of " + str(options["as_of"])
        self.stdout.write(f"sum {format_yen(fee.unrounded)} → late fee {format_yen(fee.amount)} yen ({state})")

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.ledger.selectors import person_ledger
from choshu.people.models import Person
from choshu.people.selectors import person_in_scope
from choshu.rules.money import format_yen
from choshu.rules.revenue import REVENUES
from choshu.staff.cli import command_actor
from choshu.staff.models import Right

FIELDS = (
    "levy_no",
    "revenue",
    "fiscal_year",
    "installment_no",
    "nominal_due_date",
    "due_date",
    "amount",
    "principal_paid",
    "balance",
    "late_fee",
    "late_fee_fixed",
    "status",
)


class Command(BaseCommand):
    help = "Print a person's ledger (個人収納状況): installments, balances and late fees."
    required_right = Right.SEES_PERSONAL_DATA

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("atena_no")
        parser.add_argument("--as-of", type=date.fromisoformat, help="late fees as of this date (default today)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--user", default="", help="the user reading: role and revenue scope apply, logged (default: the OS user)"
        )
        parser.add_argument("--purpose", default="", help="purpose recorded in the access log, e.g. case:12")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        revenues = REVENUES.keys() if actor is None else actor.scopes()
        person = Person.objects.filter(atena_no=options["atena_no"]).first()
        if person is None or not person_in_scope(person=person, revenues=revenues):
            raise CommandError(f"no person with atena_no {options['atena_no']} in the revenue scope")
        as_of = options["as_of"] or timezone.localdate()
        ledger = person_ledger(person=person, as_of=as_of, revenues=revenues)
        rows = [
            {f: (v.isoformat() if isinstance(v := getattr(line, f), date) else v) for f in FIELDS}
            for line in ledger.installments
        ]
        with transaction.atomic():  # nothing is printed unless the access-log entry is written
            access_log_write(
                actor=actor,
                action=Action.READ,
                subjects=[ref("person", person.pk)],
                purpose=options["purpose"],
                channel=AccessChannel.CLI,
            )
        if options["json"]:
            payload = {"atena_no": person.atena_no, "as_of": as_of.isoformat(), "installments": rows}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"{person.atena_no} {person.name} (as of {as_of})")
        for r in rows:
            self.stdout.write(
                f"{r['levy_no']:<14} {r['revenue']:<18} {r['fiscal_year']} {r['installment_no']:>2} {r['due_date']}"
                f" {format_yen(int(r['amount'])):>10} {format_yen(int(r['balance'])):>10}"  # type: ignore[call-overload]
                f" {format_yen(int(r['late_fee'])):>8} {r['status']}"  # type: ignore[call-overload]
            )

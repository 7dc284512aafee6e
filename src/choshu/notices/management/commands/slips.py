"""`choshu slips list|render ATENA_NO`: the payment slips (納付書) of a person's unpaid installments.

    choshu slips list ATENA_NO [--fiscal-year Y] [--as-of DATE] [--json]
    choshu slips render ATENA_NO [--fiscal-year Y] [--as-of DATE] --out FILE.pdf

Both record an access-log entry (list: read, render: print) in the transaction of the output:
nothing is shown or written unless the entry is. A ``--user`` must have personal-data rights and
sees only the revenues in their scope (``choshu.staff.cli``, docs/security.md "Command line");
without ``--user`` the operating-system user is recorded.
"""

import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.notices.slip_pdf import slip_pdf
from choshu.notices.slips import Slip, slips_for
from choshu.people.models import Person
from choshu.people.selectors import person_in_scope
from choshu.rules.money import format_yen
from choshu.staff.cli import command_actor
from choshu.staff.models import Right, User


def slip_json(slip: Slip) -> dict[str, object]:
    return {
        "levy_no": slip.levy_no,
        "revenue": slip.revenue,
        "fiscal_year": slip.fiscal_year,
        "installment_no": slip.installment_no,
        "amount": slip.amount,
        "due_date": slip.due_date.isoformat(),
        "deadline": slip.deadline.isoformat(),
        "reissue": slip.reissue,
        "barcode": slip.barcode,
        "payeasy": slip.payeasy.as_dict(),
        "el_no": slip.el_no.digits,
        "qr": slip.qr,
    }


class Command(BaseCommand):
    help = "納付書: list the slips of a person's unpaid installments, or render them as a PDF."
    required_right = {"list": Right.SEES_PERSONAL_DATA, "render": Right.SEES_PERSONAL_DATA}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the slips' keys, barcodes and QR payloads")
        render = sub.add_parser("render", help="the slips as an A4 PDF")
        for p in (listing, render):
            p.add_argument("atena_no")
            p.add_argument("--fiscal-year", type=int, default=None, help="only this 年度")
            p.add_argument("--as-of", type=date.fromisoformat, default=None, help="issue date (default today)")
            p.add_argument(
                "--user",
                default="",
                help="the user reading: role and revenue scope apply, logged (default: the OS user)",
            )
            p.add_argument("--purpose", default="", help="purpose recorded in the access log, e.g. case:12")
        listing.add_argument("--json", action="store_true")
        render.add_argument("--out", required=True, type=Path, help="the PDF file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)  # first: a refused user reads nothing
        revenues = None if actor is None else actor.scopes()
        person = Person.objects.filter(atena_no=options["atena_no"]).first()
        if person is None or not person_in_scope(person=person, revenues=revenues):
            raise CommandError(f"no person with atena_no {options['atena_no']} in the revenue scope")
        as_of = options["as_of"] or timezone.localdate()
        slips = slips_for(
            person=person,
            fiscal_year=options["fiscal_year"],
            as_of=as_of,
            revenues=revenues,
        )
        subjects = [ref("person", person.pk), *(ref("installment", s.installment_id) for s in slips)]
        if options["action"] == "render":
            self._render(options, person=person, slips=slips, as_of=as_of, actor=actor, subjects=subjects)
        else:
            self._list(options, person=person, slips=slips, as_of=as_of, actor=actor, subjects=subjects)

    def _list(
        self,
        options: dict[str, Any],
        *,
        person: Person,
        slips: list[Slip],
        as_of: date,
        actor: User | None,
        subjects: list[str],
    ) -> None:
        with transaction.atomic():  # nothing is printed unless the access-log entry is written
            access_log_write(
                actor=actor,
                action=Action.READ,
                subjects=subjects,
                purpose=options["purpose"],
                channel=AccessChannel.CLI,
            )
        if options["json"]:
            payload = {"atena_no": person.atena_no, "as_of": as_of.isoformat(), "slips": [slip_json(s) for s in slips]}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"{person.atena_no} {person.name} (as of {as_of})")
        for s in slips:
            self.stdout.write(
                f"{s.levy_no:<14} {s.fiscal_year} {s.installment_no:>2} {format_yen(s.amount):>10} {s.deadline}"
                f" {s.barcode or '-':<44} {s.el_no.display()}"
            )

    def _render(
        self,
        options: dict[str, Any],
        *,
        person: Person,
        slips: list[Slip],
        as_of: date,
        actor: User | None,
        subjects: list[str],
    ) -> None:
        if not slips:
            raise CommandError(f"宛名番号 {person.atena_no} には納付書を作成する未納の期別がありません")
        pdf = slip_pdf(person=person, slips=slips, issued_on=as_of)
        out: Path = options["out"]
        directory = out.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"no directory {directory}")
        fd, tmp = tempfile.mkstemp(prefix=".slips-", suffix=".pdf", dir=directory)
        replaced = False
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pdf)
            # The entry and the file stand or fall together: the file appears only with the entry.
            with transaction.atomic():
                access_log_write(
                    actor=actor,
                    action=Action.PRINT,
                    subjects=subjects,
                    purpose=options["purpose"],
                    channel=AccessChannel.CLI,
                )
                os.replace(tmp, out)
                replaced = True
        except BaseException:
            if replaced:  # the commit failed after the file was put in place
                out.unlink(missing_ok=True)
            raise
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.stdout.write(f"wrote {len(slips)} slips to {out}")

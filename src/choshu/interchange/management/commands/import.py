"""`choshu import persons|levies|accounts FILE [--json] [--user NAME]`: import an interchange file.

Exit status 0 when the file was imported, 2 when anything is wrong (then nothing is written).
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.formats.interchange import KINDS
from choshu.interchange.services import interchange_import
from choshu.staff.cli import command_actor
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "連携ファイル取込: import persons.csv, levies.csv or accounts.csv (all rows or none)."
    required_right = Right.CAN_IMPORT

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
        parser.add_argument("--user", default="", help="username recorded as the actor of the run")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        result = interchange_import(actor=actor, kind=options["kind"], file_name=str(path), data=data)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        else:
            for error in result.errors:
                self.stderr.write(f"{path}: {error}")
            if result.ok:
                self.stdout.write(
                    f"{path}: {result.kind}: {result.rows} rows: {result.created} created, "
                    f"{result.updated} updated, {result.unchanged} unchanged"
                    + (f", {result.overpayments} overpayments" if result.overpayments else "")
                )
            else:
                self.stderr.write(f"{path}: rejected, {len(result.errors)} errors; nothing imported")
        if not result.ok:
            raise SystemExit(2)

"""`choshu survey candidates --as-of DATE [--limit N] [--json] [--user U]`: whom to survey
(現地調査候補), their 宛名番号 one per line for the export form (the counts go to stderr);
`choshu survey import PACKAGE_ID FILE [--json] [--user U]`: the contractor's results for a
handed-over field-survey export (docs/field-survey.md).

The import takes the whole file or nothing: exit status 2 when anything is wrong, every problem
named with its line and column.
"""

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.audit.models import AccessChannel, Action
from choshu.audit.services import access_log_write, ref
from choshu.cases.services import CaseError
from choshu.cases.survey import (
    SURVEY_LIMIT,
    SurveyImportError,
    candidate_counts,
    survey_candidates,
    survey_package,
    survey_results_import,
)
from choshu.rules.money import format_yen
from choshu.staff.cli import command_actor
from choshu.staff.models import Right, User


class Command(BaseCommand):
    help = "現地調査: list the moved-out delinquents to survey, or import the contractor's results."
    required_right = {"candidates": Right.CAN_WORK_CASES, "import": Right.CAN_WORK_CASES}

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        candidates = sub.add_parser("candidates", help="moved-out delinquents not reached, largest amount first")
        candidates.add_argument("--as-of", required=True, type=date.fromisoformat, help="基準日 YYYY-MM-DD")
        candidates.add_argument("--limit", type=int, default=SURVEY_LIMIT, help=f"at most N (≤ {SURVEY_LIMIT})")
        candidates.add_argument("--json", action="store_true")
        candidates.add_argument("--user", default="")
        imp = sub.add_parser("import", help="the results CSV (choshu-survey-result/1) of a handed-over export")
        imp.add_argument("package", type=int, help="出力番号")
        imp.add_argument("file", type=Path)
        imp.add_argument("--json", action="store_true")
        imp.add_argument("--user", default="", help="the officer recorded as importing (required)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(self, options)
        try:
            if options["action"] == "candidates":
                self._candidates(actor, options)
            else:
                self._import(actor, options)
        except (CaseError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc

    def _candidates(self, actor: User | None, options: dict[str, Any]) -> None:
        as_of: date = options["as_of"]
        found = survey_candidates(actor=actor, as_of=as_of, limit=options["limit"])
        if found:
            access_log_write(
                actor=actor,
                action=Action.READ,
                subjects=[ref("person", c.person_id) for c in found],
                purpose="cases:survey",
                channel=AccessChannel.CLI,
            )
        counts = candidate_counts(found)
        if options["json"]:
            payload = {"as_of": as_of.isoformat(), **counts, "candidates": [c.as_dict() for c in found]}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        for c in found:
            self.stdout.write(c.atena_no)
        self.stderr.write(
            f"現地調査候補 基準日 {as_of.isoformat()}: {counts['total']} 件"
            f"(返戻 {counts['returned']} 件・90日接触なし {counts['no_contact']} 件)"
            f" 滞納額 計 {format_yen(counts['amount'])} 円"
        )

    def _import(self, actor: User | None, options: dict[str, Any]) -> None:
        if actor is None:
            raise CommandError("調査結果の取込には --user で取り込む職員を指定してください。")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        package = survey_package(actor, options["package"])
        try:
            summary = survey_results_import(
                actor=actor,
                package=package,
                text_or_bytes=data,
                file_name=path.name,
                channel=AccessChannel.CLI,
            )
        except SurveyImportError as exc:
            if options["json"]:
                errors = [{"line": p.line, "column": p.column, "reason": p.reason} for p in exc.problems]
                payload = {"ok": False, "package_id": package.pk, "file": exc.file_name, "errors": errors}
                self.stdout.write(json.dumps(payload, ensure_ascii=False))
            else:
                for line in exc.lines():
                    self.stderr.write(line)
                self.stderr.write(
                    f"{exc.file_name}: 取り込めません(問題 {len(exc.problems)}件)。何も登録していません。"
                )
            raise SystemExit(2) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"ok": True, **summary.as_dict()}, ensure_ascii=False))
            return
        by_residence = "・".join(f"{label} {n}" for label, n in summary.residence.items())
        self.stdout.write(
            f"出力番号 {summary.package_id}: {summary.file_name}({summary.encoding})から {summary.imported} 件を"
            f"取り込みました({by_residence}・連絡票交付 {summary.slips_handed})。"
            f"案件の交渉経過に記録 {summary.with_case} 件。"
        )

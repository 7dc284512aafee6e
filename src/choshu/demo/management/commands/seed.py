"""`choshu seed --persons N [--seed S] [--today YYYY-MM-DD]`: build a demo city (dummy data)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from choshu.demo.services import CityNotEmpty, city_seed
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "デモ自治体を生成する (ダミーデータ): persons, households, levies, installments, payments."
    required_right = Right.NONE  # dummy persons only, into an empty database (docs/security.md)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True, help="number of persons (宛名) to create")
        parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same city")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="as-of date (YYYY-MM-DD): fiscal years and payments up to it; default: today",
        )
        parser.add_argument("--chunk-size", type=int, default=5000, help="persons per transaction")
        parser.add_argument("--if-empty", action="store_true", help="do nothing (exit 0) if the database has a city")

    def handle(self, *args: Any, **options: Any) -> None:
        persons: int = options["persons"]
        if persons < 1:
            raise CommandError("--persons must be at least 1", returncode=2)
        step = max(persons // 10, 1)
        marks = {"next": step}

        def progress(done: int, seconds: float) -> None:
            if done >= marks["next"] or done == persons:
                self.stderr.write(f"  {done:,} / {persons:,} persons  {seconds:.1f} s")
                marks["next"] = done + step

        try:
            report = city_seed(
                persons=persons,
                seed=options["seed"],
                today=options["today"],
                chunk_size=options["chunk_size"],
                progress=progress if options["verbosity"] >= 1 else None,
            )
        except CityNotEmpty as exc:
            if options["if_empty"]:
                self.stdout.write(f"demo city kept: {exc}")
                return
            raise CommandError(str(exc), returncode=2) from exc
        years = ", ".join(str(y) for y in report.fiscal_years)
        self.stdout.write(f"demo city: seed {report.seed}, as of {report.today}, fiscal years {years}")
        for table, count in report.counts.items():
            self.stdout.write(f"  {table:<20}{count:>12,}")
        self.stdout.write(f"  {'total rows':<20}{sum(report.counts.values()):>12,}")
        stats = report.stats
        self.stdout.write(
            f"  obligors {stats.obligors:,}, in arrears {stats.delinquent:,} "
            f"({report.delinquent_share:.1%} of persons), revisions {stats.revisions:,}, "
            f"overpayments {stats.overpayments:,}"
        )
        self.stdout.write(f"elapsed {report.elapsed:.1f} s")

"""Benchmark of demand batches: every due date of one fiscal year of a demo city, prepared and
fixed (督促状の発付) inside one transaction that is rolled back, so the city is unchanged.

    .venv/bin/python bench/demands.py --db var/city350k.sqlite3 [--fiscal-year 2025]
    .venv/bin/python bench/demands.py --db postgres://postgres@127.0.0.1:5432/city350k

Prints, per due date, the letters and the queries issued, and the whole year's elapsed seconds.
The issue date of each batch is 15 days after its due date.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="an SQLite file or a postgres:// URL")
    parser.add_argument("--fiscal-year", type=int, default=2025)
    args = parser.parse_args(argv)
    db = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    os.environ["CHOSHU_DATABASE_URL"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choshu.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from choshu.ledger.models import Installment
    from choshu.notices.demands import demand_run

    due_dates = sorted(
        set(
            Installment.objects.filter(levy__fiscal_year=args.fiscal_year).values_list("due_date", flat=True).distinct()
        )
    )
    letters = lines = 0
    with transaction.atomic():
        started = time.perf_counter()
        for due_on in due_dates:
            batch_started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                result = demand_run(actor=None, due_on=due_on, issue_date=due_on + timedelta(days=15))
            batch_elapsed = time.perf_counter() - batch_started
            letters += len(result.letters)
            lines += sum(len(letter.lines) for letter in result.letters)
            print(
                f"{due_on}  {len(result.letters):>6,} letters  {len(queries.captured_queries):>3} queries"
                f"  {batch_elapsed:6.2f} s"
            )
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    print(
        f"{connection.vendor}: fiscal year {args.fiscal_year}, {len(due_dates)} batches, {letters:,} letters, "
        f"{lines:,} installments: {elapsed:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

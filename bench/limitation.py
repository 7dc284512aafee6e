"""Benchmark of the limitation batch (時効管理): `limitation_run` over every unpaid installment of a
demo city, as the system (all revenues), inside a transaction that is rolled back, so the city is
unchanged.

    .venv/bin/python bench/limitation.py --db var/city350k.sqlite3 [--as-of 2026-12-01] [--runs 3]
    .venv/bin/python bench/limitation.py --db postgres://postgres@127.0.0.1:5432/city350k --replace

Prints, per run, the installments computed, the queries issued and the elapsed seconds; then the
median, minimum and maximum. ``--replace`` first fills the stored limitations with an untimed run
in the same transaction, so the timed run replaces them (the nightly steady state) instead of
writing into an empty table.

``--with-demands`` first demands (untimed, in the same transaction, so rolled back too) every
installment due before the 基準日 that no batch demanded yet: `demand_run` per due date, issued 15
days after it, where that is on or before the 基準日; the events then include the demands.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ISSUE_AFTER_DAYS = 15


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="an SQLite file or a postgres:// URL")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 12, 1), help="基準日 YYYY-MM-DD")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--replace", action="store_true", help="time a run that replaces stored rows")
    parser.add_argument("--with-demands", action="store_true", help="demand what is due first (rolled back too)")
    args = parser.parse_args(argv)
    db = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    os.environ["CHOSHU_DATABASE_URL"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choshu.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from choshu.cases.limitation import limitation_run
    from choshu.ledger.models import Installment
    from choshu.notices.demands import demand_run

    times: list[float] = []
    with transaction.atomic():
        if args.with_demands:
            last_due = args.as_of - timedelta(days=ISSUE_AFTER_DAYS)
            due_dates = sorted(
                set(Installment.objects.filter(due_date__lte=last_due).values_list("due_date", flat=True).distinct())
            )
            started = time.perf_counter()
            lines = 0
            for due_on in due_dates:
                demanded = demand_run(actor=None, due_on=due_on, issue_date=due_on + timedelta(days=ISSUE_AFTER_DAYS))
                lines += sum(len(letter.lines) for letter in demanded.letters)
            if connection.vendor == "postgresql":
                # The planner's statistics, as autovacuum keeps them for committed batches; without
                # them it plans the demand reads for the empty tables it last saw.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE notices_demandbatch, notices_demandletter, notices_demandline")
            print(
                f"demanded (rolled back at the end): {len(due_dates)} due dates, {lines:,} installments"
                f"  {time.perf_counter() - started:.2f} s"
            )
        for n in range(1, args.runs + 1):
            with transaction.atomic():  # a savepoint: each run starts from the same state
                if args.replace:
                    limitation_run(actor=None, as_of=args.as_of)
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    result = limitation_run(actor=None, as_of=args.as_of)
                elapsed = time.perf_counter() - started
                transaction.set_rollback(True)
            times.append(elapsed)
            print(
                f"run {n}: {result.installments:,} installments, {result.within_six_months:,} within 6 months, "
                f"{result.extinguished:,} extinguished  {len(queries.captured_queries)} queries  {elapsed:6.2f} s"
            )
        transaction.set_rollback(True)
    print(
        f"{connection.vendor}: as of {args.as_of}, {args.runs} runs{' (replacing)' if args.replace else ''}: "
        f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of the breach run of payment plans (分納誓約の不履行判定) against a demo city, inside one
transaction that is rolled back, so the city is unchanged.

    .venv/bin/python bench/plans.py --db postgres://postgres@127.0.0.1:5432/city350k [--plans 20000]
    .venv/bin/python bench/plans.py --db var/city350k.sqlite3 [--as-of 2026-12-01]

Setup (untimed, set-based: bulk inserts, not the service per plan): persons owing delinquent
principal are drawn (fixed seed); each gets an open case (the one it has, or a new one) and a plan
pledged 30–200 days before the 基準日 (but after its first installment fell delinquent) over its
delinquent installments (the unpaid principal on the pledge day, from the ledger), monthly over
6–12 payments from 15 days after the pledge, with
one acknowledgement (LimitationEvent) per target. Then money arrives, as counter payments with
their principal allocations: one plan in six is paid in full after the pledge, two in six pay
every promised amount due (kept), the other half pay nothing. On PostgreSQL the plan tables are
analysed (as autovacuum would have done), untimed.

Timed: `plan_breach_run(actor=None, as_of=...)` alone. Prints the plans, the run's counts, its
elapsed seconds and its queries. Goal: under 10 s for 20,000 plans on the 350,000-person city.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _months_after(first: date, months: int) -> date:
    import calendar

    year, month0 = divmod(first.year * 12 + first.month - 1 + months, 12)
    return date(year, month0 + 1, min(first.day, calendar.monthrange(year, month0 + 1)[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="an SQLite file or a postgres:// URL")
    parser.add_argument("--plans", type=int, default=20_000)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="基準日 (default: today)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="print each query of the run with its time")
    parser.add_argument("--no-analyze", action="store_true", help="do not analyse the plan tables before the run")
    args = parser.parse_args(argv)
    db = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    os.environ["CHOSHU_DATABASE_URL"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choshu.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from choshu.cases.models import Case, LimitationEvent, PaymentPlan, PlanInstallment, PlanTarget
    from choshu.cases.plans import plan_breach_run
    from choshu.ledger import bulk
    from choshu.ledger.models import Allocation, Installment, Payment
    from choshu.rules.revenue import REVENUES
    from choshu.staff.models import Role, User

    as_of: date = args.as_of or timezone.localdate()
    rng = random.Random(args.seed)
    now = timezone.now()
    with transaction.atomic():
        setup_started = time.perf_counter()
        # Delinquent principal now, and the principal paid to it since the earliest pledge day.
        owed = list(
            Installment.objects.filter(due_date__lt=as_of, paid_principal__lt=F("amount"))
            .order_by("levy__person_id", "due_date", "pk")
            .values_list("pk", "levy__person_id", "levy__revenue", "due_date", "amount", "paid_principal")
        )
        by_person: dict[int, list[tuple[int, str, date, int]]] = defaultdict(list)
        for pk, person_id, revenue, due_date, amount, paid in owed:
            by_person[person_id].append((pk, revenue, due_date, amount - paid))
        persons = sorted(by_person)
        rng.shuffle(persons)
        pledged = {  # 30–200 days ago, after the first installment of the person fell delinquent
            p: max(as_of - timedelta(days=rng.randint(30, 200)), by_person[p][0][2] + timedelta(days=1))
            for p in persons
        }
        open_cases = dict(Case.objects.filter(state=Case.State.OPEN).values_list("person_id", "pk"))
        in_force = set(
            PaymentPlan.objects.filter(state__in=["active", "breached"]).values_list("case__person_id", flat=True)
        )
        chosen = [p for p in persons if p not in in_force][: args.plans]
        target_ids = [pk for p in chosen for pk, _, due, _ in by_person[p] if due < pledged[p]]
        since: dict[tuple[int, date], int] = defaultdict(int)  # paid after the pledge, per installment
        earliest = min((pledged[p] for p in chosen), default=as_of)
        for inst, effective_on, amount in Allocation.objects.filter(
            installment_id__in_array=target_ids, kind="principal", effective_on__gte=earliest
        ).values_list("installment_id", "effective_on", "amount"):
            since[(inst, effective_on)] += amount
        paid_since: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for (inst, effective_on), amount in since.items():
            paid_since[inst].append((effective_on, amount))

        actor = User.objects.create(
            username=f"bench-plans-{os.getpid()}", role=Role.SUPERVISOR, revenue_scopes=sorted(REVENUES)
        )
        new_cases = [p for p in chosen if p not in open_cases]
        case_ids = bulk.reserve_ids(Case, len(new_cases))
        bulk.insert(
            Case,
            ("id", "person_id", "state", "opened_on", "next_action_on", "amount"),
            ((pk, p, "open", as_of - timedelta(days=240), None, 0) for pk, p in zip(case_ids, new_cases, strict=True)),
        )
        open_cases.update(zip(new_cases, case_ids, strict=True))

        plan_ids = bulk.reserve_ids(PaymentPlan, len(chosen))
        plans, schedule, targets, events = [], [], [], []
        payments: list[tuple[int, date, list[tuple[int, int]]]] = []  # person, paid_on, [(installment, amount)]
        for n, (plan_id, person) in enumerate(zip(plan_ids, chosen, strict=True)):
            pledge = pledged[person]
            covered = []
            for pk, revenue, due, balance in by_person[person]:
                if due >= pledge:
                    continue
                at_pledge = balance + sum(a for on, a in paid_since[pk] if on >= pledge)
                covered.append((pk, revenue, at_pledge))
            total = sum(a for _, _, a in covered)
            count = min(rng.randint(6, 12), total)
            base, rest = divmod(total, count)
            rows = [
                (_months_after(pledge + timedelta(days=15), k), base + (rest if k == 0 else 0)) for k in range(count)
            ]
            plans.append((plan_id, open_cases[person], "active", pledge, total, sorted({r for _, r, _ in covered})))
            schedule += [(plan_id, k + 1, on, amount) for k, (on, amount) in enumerate(rows)]
            targets += [(plan_id, pk, a) for pk, _, a in covered]
            events += [(pk, "acknowledgement", pledge, f"plan:{plan_id}") for pk, _, _ in covered]
            # Money: the balance now (what the ledger allows), paid oldest first.
            kind = n % 6
            owing = [(pk, balance) for pk, _, due, balance in by_person[person] if due < pledge]
            if kind == 0:
                payments.append((person, pledge + timedelta(days=5), owing))
            elif kind in (1, 2):
                for on, amount in rows:
                    if on > as_of - timedelta(days=10) or on > timezone.localdate():
                        break
                    lines = []
                    for k, (pk, balance) in enumerate(owing):
                        take = min(balance, amount)
                        if take:
                            lines.append((pk, take))
                            owing[k] = (pk, balance - take)
                            amount -= take
                    if lines:
                        payments.append((person, on, lines))
        bulk.insert(
            PaymentPlan,
            ("id", "case_id", "state", "pledged_on", "total", "revenues", "note", "created_by_id", "created_at"),
            ((*row, "bench", actor.pk, now) for row in plans),
        )
        bulk.insert(PlanInstallment, ("plan_id", "number", "due_on", "amount"), schedule)
        bulk.insert(PlanTarget, ("plan_id", "installment_id", "amount"), targets)
        bulk.insert(
            LimitationEvent, ("installment_id", "kind", "on", "source", "recorded_at"), ((*e, now) for e in events)
        )
        payment_ids = bulk.reserve_ids(Payment, len(payments))
        bulk.insert(
            Payment,
            (
                "id",
                "person_id",
                "channel",
                "amount",
                "paid_on",
                "accounted_on",
                "status",
                "reference",
                "note",
                "created_at",
            ),
            (
                (pk, person, "counter", sum(a for _, a in lines), on, on, "confirmed", "", "bench", now)
                for pk, (person, on, lines) in zip(payment_ids, payments, strict=True)
            ),
        )
        bulk.insert(
            Allocation,
            ("payment_id", "installment_id", "kind", "reason", "amount", "effective_on", "created_at"),
            (
                (pk, inst, "principal", "allocate", amount, on, now)
                for pk, (_, on, lines) in zip(payment_ids, payments, strict=True)
                for inst, amount in lines
            ),
        )
        deltas: dict[int, int] = defaultdict(int)
        for _, _, lines in payments:
            for inst, amount in lines:
                deltas[inst] += amount
        bulk.add_to(Installment, "paid_principal", deltas)
        if connection.vendor == "postgresql" and not args.no_analyze:
            tables = [m._meta.db_table for m in (PaymentPlan, PlanInstallment, PlanTarget, Allocation, Case)]
            with connection.cursor() as cur:
                cur.execute("ANALYZE " + ", ".join(f'"{t}"' for t in tables))
        setup = time.perf_counter() - setup_started

        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            result = plan_breach_run(actor=None, as_of=as_of)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    print(
        f"{connection.vendor}: {len(chosen):,} plans ({len(targets):,} targets, {len(schedule):,} promised payments, "
        f"{len(payments):,} payments) set up in {setup:.1f} s; as of {as_of}"
    )
    print(
        f"plan_breach_run: {result.checked:,} plans, {len(result.breached):,} breached, "
        f"{len(result.completed):,} completed: {elapsed:.2f} s, {len(queries.captured_queries)} queries"
    )
    if args.verbose:
        for query in queries.captured_queries:
            print(f"  {float(query['time']):7.3f} s  {query['sql'][:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

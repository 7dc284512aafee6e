"""Benchmark of channel imports: 100,000 mixed-channel records against a demo city.

    .venv/bin/python bench/payments.py prepare --db var/city350k.sqlite3
    .venv/bin/python bench/payments.py run --db var/city350k.sqlite3 [--repeat 3]
    .venv/bin/python bench/payments.py run --db var/city350k.sqlite3 --phase import

``prepare`` picks unpaid installments of the city (fixed seed) and writes one file per format
under var/bench/payments-<engine>-<database>/: cvs-csv 40%, cvs-120 20%, payeasy 15%, bank-ocr 10%,
zengin-debit-result 10% (one in ten not debited), eltax 5%, and about 0.5% of records whose key
has a wrong check digit (suspense). It also writes the same records as one flat CSV (rows.csv:
format, key, amount, paid_on, reference, channel, bank result code) for the baselines.

``run`` times, in one process and on the same rows, each phase inside its own transaction that is
rolled back, so the city is unchanged (on PostgreSQL the deferred foreign keys are checked inside
the timing, as a commit would, and the touched tables are vacuumed between phases, untimed):

- copy:   the baseline "bare COPY into an unindexed table" of rows.csv (PostgreSQL COPY; on
  SQLite the csv module and one executemany into a table without indexes);
- sql:    the baseline "pure-SQL reconcile": the same COPY into a staging table, then one
  set-based statement that, for each row whose key names an installment (check digit right)
  and is not a direct debit the bank failed, inserts a payment and its principal allocation and
  raises the installment's paid principal (on SQLite four statements: no data-modifying CTEs);
- import: ``choshu.payments.services.channel_file_import`` over every file (parse, duplicate
  checks, reconciliation, ledger postings with late fees, overpayments and suspense, the
  channel records, the access log).

It prints each phase's elapsed seconds and records per second (the median of ``--repeat``
rounds), and the two ratios against the issue's goals: the import's share of COPY's throughput
(goal at least 1/5) and the import's time over the pure-SQL reconcile's (goal at most 2x).
``--phase`` runs one phase alone, for whole-process timing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MIX = (
    ("cvs-csv", 0.40),
    ("cvs-120", 0.20),
    ("payeasy", 0.15),
    ("bank-ocr", 0.10),
    ("zengin-debit-result", 0.10),
    ("eltax", 0.05),
)
EXT = {"cvs-csv": "csv", "eltax": "csv"}
PHASES = ("copy", "sql", "import")
# rows.csv: format, payment key, amount, paid_on, reference, payment channel, bank result code (direct debit)
Row = tuple[str, str, int, str, str, str, str]
COLUMNS = (
    "format varchar(30), key varchar(20), amount bigint, paid_on date, reference varchar(100), "
    "channel varchar(20), result_code varchar(1)"
)


def _database_url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db).resolve()}"


def _tag(db: str) -> str:
    """sqlite-city350k, postgres-city350k: one directory per database, whose ids may differ."""
    if "://" in db:
        return f"{db.split(':', 1)[0]}-{db.rsplit('/', 1)[-1]}"
    return f"sqlite-{Path(db).stem}"


def _setup(db: str) -> None:
    os.environ["CHOSHU_DATABASE_URL"] = _database_url(db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choshu.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def prepare(db: str, records: int, seed: int, out: Path) -> None:
    from django.conf import settings
    from django.db.models import F, Max

    from choshu.formats import bank_ocr, cvs_csv, cvs_fixed, eltax, payeasy_result, zengin_debit
    from choshu.formats.cvs_barcode import build_barcode, free_area
    from choshu.formats.payeasy import payeasy_keys
    from choshu.formats.payment_key import payment_key
    from choshu.ledger.models import Installment, Payment

    rng = random.Random(seed)
    # The store took the money the day before the city's last posting day; the files arrive two days later.
    latest = Payment.objects.aggregate(on=Max("paid_on"))["on"] or date(2026, 11, 24)
    paid_on, received_on = latest - timedelta(days=1), latest + timedelta(days=1)
    unpaid = list(
        Installment.objects.filter(paid_principal__lt=F("amount"), amount__lte=999_999)
        .order_by("pk")
        .values_list("pk", "amount", "paid_principal", "levy__revenue")
    )
    if len(unpaid) < records:
        raise SystemExit(f"only {len(unpaid):,} unpaid installments; need {records:,}")
    chosen = rng.sample(unpaid, records)
    out.mkdir(parents=True, exist_ok=True)
    flat: list[Row] = []
    start = 0
    for fmt, share in MIX:
        n = round(records * share) if fmt != MIX[-1][0] else records - start
        rows = chosen[start : start + n]
        start += n
        events = []
        for seq, (pk, amount, paid, revenue) in enumerate(rows):
            balance = amount - paid
            key = payment_key(pk)
            if rng.random() < 0.005:  # ~0.5% name nothing: a wrong check digit
                key = key[:-1] + str((int(key[-1]) + 1) % 10)
            if fmt in ("cvs-csv", "cvs-120"):
                barcode = build_barcode(
                    company_code=settings.CVS_COMPANY_CODE,
                    free_area=free_area(prefix=settings.CVS_AGENT_PREFIX, key=key),
                    reissue=0,
                    due_date=None,
                    amount=balance,
                )
                if fmt == "cvs-csv":
                    event = cvs_csv.make_event(
                        data_type="02",
                        barcode=barcode,
                        paid_on=paid_on,
                        paid_time=f"{seq // 60 % 24:02d}{seq % 60:02d}",
                        store_code=f"{seq:06d}",
                        settles_on=received_on,
                    )
                else:
                    event = cvs_fixed.make_event(
                        data_type="02",
                        barcode=barcode,
                        paid_on=paid_on,
                        cvs_code="0010",
                        paid_time=f"{seq // 60 % 24:02d}{seq % 60:02d}",
                        store_code=f"{seq:07d}",
                        settles_on=received_on,
                    )
            elif fmt in ("payeasy", "bank-ocr", "eltax"):
                keys = payeasy_keys(
                    institution_no=settings.PAYEASY_INSTITUTION_NO,
                    payment_no=key,
                    category=settings.PAYEASY_CATEGORIES[revenue],
                    secret=settings.PAYEASY_CONFIRMATION_KEY,
                    length=settings.PAYEASY_CONFIRMATION_LENGTH,
                )
                common: dict[str, Any] = {
                    "payment_no": key,
                    "confirmation_no": keys.confirmation_no,
                    "category": keys.category,
                    "amount": balance,
                    "paid_on": paid_on,
                    "institution_no": keys.institution_no,
                }
                if fmt == "payeasy":
                    event = payeasy_result.make_event(**common, center_seq=f"{seq:06d}")
                elif fmt == "bank-ocr":
                    event = bank_ocr.make_event(**common, seq=f"{seq:06d}")
                else:
                    event = eltax.make_event(**common, receipt_no=f"B{seq:011d}", method="card")
            else:
                event = None
            if event is not None:
                events.append(event)
                channel, result_code = event.channel, ""
            else:
                channel, result_code = zengin_debit.CHANNEL, "1" if seq % 10 == 9 else "0"  # 1: 資金不足
            flat.append((fmt, key, balance, paid_on.isoformat(), f"bench:{fmt}:{seq}", channel, result_code))
        path = out / f"{fmt}.{EXT.get(fmt, 'dat')}"
        if fmt == "cvs-csv":
            path.write_bytes(cvs_csv.dump(events))
        elif fmt == "cvs-120":
            path.write_bytes(cvs_fixed.dump(events, created_on=received_on))
        elif fmt == "payeasy":
            path.write_bytes(payeasy_result.dump(events, created_on=received_on))
        elif fmt == "bank-ocr":
            path.write_bytes(bank_ocr.dump(events, created_on=received_on))
        elif fmt == "eltax":
            path.write_bytes(eltax.dump(events))
        else:
            header = zengin_debit.DebitHeader(
                consignor_code=settings.DEBIT_CONSIGNOR_CODE,
                consignor_name=settings.DEBIT_CONSIGNOR_NAME,
                debit_date=paid_on,
                bank_code=settings.DEBIT_BANK_CODE,
                bank_name="",
                branch_code=settings.DEBIT_BRANCH_CODE,
                branch_name="",
                account_type=settings.DEBIT_ACCOUNT_TYPE,
                account_no=settings.DEBIT_ACCOUNT_NO,
            )
            debits = [
                zengin_debit.DebitRecord(
                    bank_code="0005",
                    bank_name="",
                    branch_code="100",
                    branch_name="",
                    account_type="1",
                    account_no=f"{seq:07d}",
                    holder_name="ﾍﾞﾝﾁ ﾀﾛｳ",
                    amount=balance,
                    customer_no=key.rjust(20, "0"),
                    new_code="0",
                    result_code=result_code,
                )
                for seq, (_fmt, key, balance, _on, _ref, _channel, result_code) in enumerate(flat[-len(rows) :])
            ]
            path.write_bytes(zengin_debit.write_result(header, debits))
    with (out / "rows.csv").open("w", newline="") as f:
        csv.writer(f).writerows(flat)
    manifest = {"records": records, "seed": seed, "db": db, "received_on": received_on.isoformat()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"prepared {records:,} records from {len(unpaid):,} unpaid installments in {out}")


def _rows(out: Path) -> list[Row]:
    with (out / "rows.csv").open(newline="") as f:
        return [(fm, k, int(a), p, r, c, rc) for fm, k, a, p, r, c, rc in csv.reader(f)]


def _timed(phase: str, out: Path, received_on: date) -> tuple[float, str]:
    """One phase inside a transaction that is rolled back: (elapsed seconds, what it wrote)."""
    from django.db import connection, transaction

    from choshu.payments.services import channel_file_import

    with transaction.atomic():
        started = time.perf_counter()
        if phase == "import":
            counts: Counter[str] = Counter()
            for fmt, _share in MIX:
                path = out / f"{fmt}.{EXT.get(fmt, 'dat')}"
                result = channel_file_import(
                    actor=None, format=fmt, file_name=path.name, data=path.read_bytes(), received_on=received_on
                )
                if not result.ok:
                    raise SystemExit(f"{path}: {result.errors[:3]}")
                counts.update(result.counts)
            detail = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
        elif phase == "copy":
            detail = f"{_copy(connection, out, 'bench_copy'):,} rows copied"
        else:
            _copy(connection, out, "bench_staging")
            detail = f"{_reconcile_sql(connection, received_on):,} payments applied"
        if connection.vendor == "postgresql":  # the foreign keys are deferred: check them as a commit would
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    if connection.vendor == "postgresql":  # what the rolled-back rows left behind, out of the next phase's way
        with connection.cursor() as cur:
            cur.execute(
                "VACUUM ledger_installment, ledger_payment, ledger_allocation, ledger_suspense, "
                "payments_channelimport, payments_channelrecord"
            )
    return elapsed, detail


def run(phases: Sequence[str], out: Path, repeat: int) -> None:
    from django.db import connection

    manifest = json.loads((out / "manifest.json").read_text())
    records, received_on = manifest["records"], date.fromisoformat(manifest["received_on"])
    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    print(f"{connection.vendor} {version}: {records:,} records of {out.name}, {repeat} round(s), each rolled back")
    times: dict[str, list[float]] = {p: [] for p in phases}
    for n in range(repeat):
        for phase in phases:
            elapsed, detail = _timed(phase, out, received_on)
            times[phase].append(elapsed)
            print(f"  round {n + 1} {phase:<6} {elapsed:7.2f} s  {records / elapsed:9,.0f} records/s  {detail}")
    median = {p: statistics.median(t) for p, t in times.items()}
    for phase, t in times.items():
        spread = f"  (min {min(t):.2f}, max {max(t):.2f})" if len(t) > 1 else ""
        print(f"{phase:<6} {median[phase]:7.2f} s  {records / median[phase]:9,.0f} records/s{spread}")
    if "import" in median and "copy" in median:
        n_copy = median["import"] / median["copy"]
        verdict = "met" if n_copy <= 5 else "missed"
        print(f"import reaches 1/{n_copy:.1f} of COPY's throughput (goal: at least 1/5: {verdict})")
    if "import" in median and "sql" in median:
        n_sql = median["import"] / median["sql"]
        verdict = "met" if n_sql <= 2 else "missed"
        print(f"import takes {n_sql:.2f}x the pure-SQL reconcile's time (goal: at most 2x: {verdict})")


def _copy(connection, out: Path, table: str) -> int:  # type: ignore[no-untyped-def]
    """The rows of rows.csv into a new table without indexes (dropped with the rollback)."""
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} ({COLUMNS})")
        if connection.vendor == "postgresql":
            with (out / "rows.csv").open("rb") as f, cur.cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
                while block := f.read(1 << 20):
                    copy.write(block)
        else:
            cur.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s)", _rows(out))
        cur.execute(f"SELECT count(*) FROM {table}")
        return int(cur.fetchone()[0])


def _key_valid(column: str) -> str:
    """SQL: ``column`` is a 16-digit payment key whose check digit (modulus 10, weights 3/1) is right."""
    digits = " + ".join(f"{3 if i % 2 else 1} * CAST(substr({column}, {i}, 1) AS integer)" for i in range(1, 16))
    return f"length({column}) = 16 AND (10 - ({digits}) %% 10) %% 10 = CAST(substr({column}, 16, 1) AS integer)"


def _reconcile_sql(connection, received_on: date) -> int:  # type: ignore[no-untyped-def]
    """Apply the staged rows whose key names an installment (direct debit: result code 0 only).

    Each becomes a confirmed payment of the installment's person, one principal allocation of what
    the installment still owes (at most the amount), and that much more paid principal. Rows whose
    key names nothing, and debits the bank did not make, are left out. Returns the payments written.
    """
    matched = f"""
        SELECT s.channel, s.amount, s.paid_on, s.reference, i.id AS inst_id, l.person_id,
               CASE WHEN s.amount < i.amount - i.paid_principal THEN s.amount
                    ELSE i.amount - i.paid_principal END AS principal
        FROM bench_staging s
        JOIN ledger_installment i ON i.id = CAST(substr(s.key, 1, 15) AS bigint)
        JOIN ledger_levy l ON l.id = i.levy_id
        WHERE {_key_valid("s.key")}
          AND (s.format <> 'zengin-debit-result' OR s.result_code = '0')
    """
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE bench_staging")
            cur.execute(
                f"""
                WITH m AS MATERIALIZED (
                    SELECT nextval(pg_get_serial_sequence('ledger_payment', 'id')) AS payment_id, x.*
                    FROM ({matched}) x
                ),
                p AS (
                    INSERT INTO ledger_payment (id, person_id, channel, amount, paid_on, accounted_on, status,
                                                reference, note, created_at)
                    SELECT payment_id, person_id, channel, amount, paid_on, %s, 'confirmed', reference, '', now()
                    FROM m
                ),
                a AS (
                    INSERT INTO ledger_allocation (payment_id, installment_id, kind, reason, amount, effective_on,
                                                   created_at)
                    SELECT payment_id, inst_id, 'principal', 'allocate', principal, paid_on, now()
                    FROM m WHERE principal > 0
                ),
                u AS (
                    UPDATE ledger_installment i SET paid_principal = i.paid_principal + x.principal
                    FROM (SELECT inst_id, sum(principal) AS principal FROM m GROUP BY inst_id) x
                    WHERE i.id = x.inst_id
                )
                SELECT count(*) FROM m
                """,
                [received_on],
            )
            return int(cur.fetchone()[0])
        # SQLite has no data-modifying CTEs: the matched rows, numbered with fresh payment ids, then three statements.
        cur.execute(
            "SELECT max(coalesce((SELECT max(id) FROM ledger_payment), 0),"
            " coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'ledger_payment'), 0))",
            [],
        )
        first_id = int(cur.fetchone()[0]) + 1
        cur.execute(
            f"CREATE TEMPORARY TABLE bench_matched AS SELECT %s + row_number() OVER () - 1 AS payment_id, x.*"
            f" FROM ({matched}) x",
            [first_id],
        )
        cur.execute(
            """INSERT INTO ledger_payment (id, person_id, channel, amount, paid_on, accounted_on, status, reference,
                                           note, created_at)
               SELECT payment_id, person_id, channel, amount, paid_on, %s, 'confirmed', reference, '',
                      datetime('now')
               FROM bench_matched""",
            [received_on.isoformat()],
        )
        applied = int(cur.rowcount)
        cur.execute(
            """INSERT INTO ledger_allocation (payment_id, installment_id, kind, reason, amount, effective_on,
                                              created_at)
               SELECT payment_id, inst_id, 'principal', 'allocate', principal, paid_on, datetime('now')
               FROM bench_matched WHERE principal > 0""",
            [],
        )
        cur.execute(
            """UPDATE ledger_installment SET paid_principal = paid_principal + x.principal
               FROM (SELECT inst_id, sum(principal) AS principal FROM bench_matched GROUP BY inst_id) x
               WHERE ledger_installment.id = x.inst_id""",
            [],
        )
        cur.execute("DROP TABLE bench_matched", [])
        return applied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["prepare", "run"])
    parser.add_argument("--db", required=True, help="SQLite file or database URL")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--phase", choices=[*PHASES, "all"], default="all", help="one phase only (for whole-process timing)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the phases; medians are reported")
    args = parser.parse_args(argv)
    _setup(args.db)
    out = ROOT / "var" / "bench" / f"payments-{_tag(args.db)}"
    if args.action == "prepare":
        prepare(args.db, args.records, args.seed, out)
    else:
        run(PHASES if args.phase == "all" else (args.phase,), out, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

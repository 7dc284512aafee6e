"""Benchmark of channel imports: 100,000 mixed-channel records against a demo city.

    .venv/bin/python bench/payments.py prepare --db var/city350k.sqlite3
    .venv/bin/python bench/payments.py run --db var/city350k.sqlite3 --phase import
    .venv/bin/python bench/payments.py run --db var/city350k.sqlite3 --phase copy
    .venv/bin/python bench/payments.py run --db var/city350k.sqlite3 --phase sql

``prepare`` picks unpaid installments of the city (fixed seed) and writes one file per format
under var/bench/payments-<database>/: cvs-csv 40%, cvs-120 20%, payeasy 15%, bank-ocr 10%,
zengin-debit-result 10% (one in ten not debited), eltax 5%, and about 0.5% of records whose key
names nothing (suspense). It also writes the same records as one flat CSV (rows.csv) for the
baselines.

``run`` times one phase inside a transaction that is rolled back, so the city is unchanged:

- import: ``choshu.payments.services.channel_file_import`` over every file (parse, duplicate
  checks, reconciliation, ledger postings with late fees, overpayments and suspense);
- copy:   the baseline "bare COPY into an unindexed table" of rows.csv (PostgreSQL COPY; on
  SQLite one executemany into a table without indexes);
- sql:    the baseline "pure-SQL reconcile": COPY into a staging table, then one set-based
  statement that inserts the payments and their principal allocations and raises the
  installments' paid principal (on SQLite three statements: no data-modifying CTEs there).

Each run prints the phase's own elapsed seconds and records per second.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

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


def _database_url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db).resolve()}"


def _tag(db: str) -> str:
    return db.rsplit("/", 1)[-1] if "://" in db else Path(db).stem


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
    flat: list[tuple[str, str, int, str, str]] = []  # channel, key, amount, paid_on, reference
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
                common = {
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
            flat.append((fmt, key, balance, paid_on.isoformat(), f"bench:{fmt}:{seq}"))
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
                    result_code="1" if seq % 10 == 9 else "0",
                )
                for seq, (_fmt, key, balance, _on, _ref) in enumerate(flat[-len(rows) :])
            ]
            path.write_bytes(zengin_debit.write_result(header, debits))
    with (out / "rows.csv").open("w", newline="") as f:
        csv.writer(f).writerows(flat)
    manifest = {"records": records, "seed": seed, "db": db, "received_on": received_on.isoformat()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"prepared {records:,} records from {len(unpaid):,} unpaid installments in {out}")


def _rows(out: Path) -> list[tuple[str, str, int, str, str]]:
    with (out / "rows.csv").open(newline="") as f:
        return [(c, k, int(a), p, r) for c, k, a, p, r in csv.reader(f)]


def run(phase: str, out: Path) -> None:
    from django.db import connection, transaction

    from choshu.payments.services import channel_file_import

    manifest = json.loads((out / "manifest.json").read_text())
    records, received_on = manifest["records"], date.fromisoformat(manifest["received_on"])
    with transaction.atomic():
        started = time.perf_counter()
        if phase == "import":
            for fmt, _share in MIX:
                path = out / f"{fmt}.{EXT.get(fmt, 'dat')}"
                result = channel_file_import(
                    actor=None, format=fmt, file_name=path.name, data=path.read_bytes(), received_on=received_on
                )
                if not result.ok:
                    raise SystemExit(f"{path}: {result.errors[:3]}")
        elif phase == "copy":
            _copy(connection, out, "bench_copy")
        else:
            _copy(connection, out, "bench_staging")
            _reconcile_sql(connection, received_on)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    print(f"{connection.vendor} {phase}: {records:,} records in {elapsed:.2f} s ({records / elapsed:,.0f} records/s)")


def _copy(connection, out: Path, table: str) -> None:  # type: ignore[no-untyped-def]
    columns = "channel varchar(30), key varchar(20), amount bigint, paid_on date, reference varchar(100)"
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE {table} ({columns})")
        if connection.vendor == "postgresql":
            with (out / "rows.csv").open("rb") as f, cur.cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
                while block := f.read(1 << 20):
                    copy.write(block)
        else:
            cur.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s)", _rows(out))


def _reconcile_sql(connection, received_on: date) -> None:  # type: ignore[no-untyped-def]
    matched = """
        SELECT s.channel, s.amount, s.paid_on, s.reference, i.id AS inst_id, l.person_id,
               CASE WHEN s.amount < i.amount - i.paid_principal THEN s.amount
                    ELSE i.amount - i.paid_principal END AS principal
        FROM bench_staging s
        LEFT JOIN ledger_installment i ON i.id = CAST(substr(s.key, 1, 15) AS bigint)
        LEFT JOIN ledger_levy l ON l.id = i.levy_id
    """
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"""
                WITH s AS ({matched}),
                p AS (
                    INSERT INTO ledger_payment (person_id, channel, amount, paid_on, accounted_on, status, reference,
                                                note, created_at)
                    SELECT person_id, 'cvs', amount, paid_on, %s, 'confirmed', reference, '', now() FROM s
                    RETURNING id, reference
                ),
                a AS (
                    INSERT INTO ledger_allocation (payment_id, installment_id, kind, reason, amount, effective_on,
                                                   created_at)
                    SELECT p.id, s.inst_id, 'principal', 'allocate', s.principal, s.paid_on, now()
                    FROM p JOIN s ON s.reference = p.reference WHERE s.inst_id IS NOT NULL AND s.principal > 0
                )
                UPDATE ledger_installment i SET paid_principal = i.paid_principal + x.principal
                FROM (SELECT inst_id, sum(principal) AS principal FROM s WHERE inst_id IS NOT NULL
                      GROUP BY inst_id) x
                WHERE i.id = x.inst_id
                """,
                [received_on],
            )
        else:
            cur.execute(f"CREATE TEMPORARY TABLE bench_matched AS {matched}")
            cur.execute(
                """INSERT INTO ledger_payment (person_id, channel, amount, paid_on, accounted_on, status, reference,
                                               note, created_at)
                   SELECT person_id, 'cvs', amount, paid_on, %s, 'confirmed', reference, '', datetime('now')
                   FROM bench_matched""",
                [received_on],
            )
            cur.execute(
                """INSERT INTO ledger_allocation (payment_id, installment_id, kind, reason, amount, effective_on,
                                                  created_at)
                   SELECT p.id, m.inst_id, 'principal', 'allocate', m.principal, m.paid_on, datetime('now')
                   FROM ledger_payment p JOIN bench_matched m ON m.reference = p.reference
                   WHERE p.reference LIKE 'bench:%%' AND m.inst_id IS NOT NULL AND m.principal > 0"""
            )
            cur.execute(
                """UPDATE ledger_installment SET paid_principal = paid_principal + x.principal
                   FROM (SELECT inst_id, sum(principal) AS principal FROM bench_matched WHERE inst_id IS NOT NULL
                         GROUP BY inst_id) x
                   WHERE ledger_installment.id = x.inst_id"""
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["prepare", "run"])
    parser.add_argument("--db", required=True, help="SQLite file or database URL")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phase", choices=["import", "copy", "sql"], default="import")
    args = parser.parse_args(argv)
    _setup(args.db)
    out = ROOT / "var" / "bench" / f"payments-{_tag(args.db)}"
    if args.action == "prepare":
        prepare(args.db, args.records, args.seed, out)
    else:
        run(args.phase, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

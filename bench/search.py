"""Benchmark of the person search (宛名検索): median milliseconds per representative query.

    .venv/bin/python bench/search.py --db var/city350k.sqlite3
    .venv/bin/python bench/search.py --db postgres://postgres@127.0.0.1:5432/city350k

The queries are taken from one sample person of the city (the same one for the same city), so
each finds something: 宛名番号, a 2- and a 4-character kana prefix, the surname (kanji prefix), the
birth date (和暦), an address without 東京都新宿区, and kana + birth date. Each query runs
`--repeat` times through `person_search` (limit 50, as on the screen) after one warm-up run,
once per revenue scope of `--scopes` (default: "all" — a user holding every revenue, no
restriction — and "nhi" — an NHI officer, who finds only persons with an NHI levy).
`--explain` prints the database's plan of each query.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def _database_url(db: str) -> str:
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).resolve()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLite file or database URL")
    parser.add_argument("--repeat", type=int, default=30, help="runs per query (default 30)")
    parser.add_argument("--sample", type=int, default=0, help="which sample person: 0, 1, 2, … (default 0)")
    parser.add_argument("--explain", action="store_true", help="print the query plan of each query")
    parser.add_argument(
        "--scopes",
        default="all,nhi",
        help="revenue scopes, comma-separated; each is 'all' or revenue codes joined by '+' (default all,nhi)",
    )
    args = parser.parse_args(argv)

    os.environ["CHOSHU_DATABASE_URL"] = _database_url(args.db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choshu.settings")
    import django

    django.setup()

    from django.db import connection

    from choshu.people.models import Person
    from choshu.people.selectors import CITY_ADDRESS_PREFIX, person_search, person_search_queryset
    from choshu.rules.calendar import wareki_short
    from choshu.rules.revenue import REVENUES

    total = Person.objects.count()
    if total == 0:
        print("no persons in this database", file=sys.stderr)
        return 2
    # A resident individual in the ward, with a 丁目 address, picked at a fixed position.
    candidates = Person.objects.filter(
        kind="individual", residency="resident", address__startswith=CITY_ADDRESS_PREFIX, address__contains="丁目"
    ).order_by("id")
    sample = candidates[(total // 3 + 7919 * args.sample) % max(candidates.count(), 1)]
    assert sample.birth_date is not None
    surname = sample.name.split(" ")[0]
    town_block = sample.address.removeprefix(CITY_ADDRESS_PREFIX).split("丁目")[0] + "丁目"
    queries = [
        ("宛名番号", sample.atena_no),
        ("カナ2文字", sample.kana_key[:2]),
        ("カナ4文字", sample.kana_key[:4]),
        ("氏名(姓)", surname),
        ("生年月日(和暦)", wareki_short(sample.birth_date)),
        ("住所(区名省略)", town_block),
        ("カナ+生年月日", f"{sample.kana_key[:3]} {sample.birth_date.isoformat()}"),
    ]

    vendor = connection.vendor
    print(f"{vendor}  persons {total:,}  sample {sample.atena_no}  repeat {args.repeat}")
    print(f"{'scope':<8}{'query':<16}{'text':<24}{'hits':>6}{'median ms':>12}{'max ms':>10}")
    for scope in args.scopes.split(","):
        revenues = list(REVENUES) if scope == "all" else scope.split("+")
        for label, text in queries:
            hits = len(person_search(query=text, revenues=revenues))  # warm-up
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                person_search(query=text, revenues=revenues)
                times.append((time.perf_counter() - started) * 1000)
            median, slowest = statistics.median(times), max(times)
            print(f"{scope:<8}{label:<16}{text:<24}{hits:>6}{median:>12.2f}{slowest:>10.2f}")
            if args.explain:
                qs = person_search_queryset(query=text, revenues=revenues)
                assert qs is not None
                print("    " + qs.explain().replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Writes the demo city (`choshu seed`) into an empty database with bulk inserts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Max
from django.utils import timezone

from choshu.demo.city import COLUMNS, TABLES, CityGenerator, CityParams, CityStats, Row
from choshu.ledger.models import (
    Allocation,
    DebitMandate,
    Installment,
    InstallmentAmount,
    Levy,
    LevyRevision,
    Overpayment,
    Payment,
)
from choshu.people.models import Household, Person

MODELS: dict[str, type[models.Model]] = {
    "household": Household,
    "person": Person,
    "mandate": DebitMandate,
    "levy": Levy,
    "revision": LevyRevision,
    "installment": Installment,
    "installment_amount": InstallmentAmount,
    "payment": Payment,
    "allocation": Allocation,
    "overpayment": Overpayment,
}


class CityNotEmpty(Exception):
    """The demo city is only generated into a database without persons and households."""


@dataclass(frozen=True)
class SeedReport:
    persons: int
    seed: int
    today: date
    fiscal_years: tuple[int, int, int]
    counts: dict[str, int]  # rows inserted per table key (see city.COLUMNS)
    stats: CityStats
    elapsed: float  # seconds

    @property
    def delinquent_share(self) -> float:
        """Share of all persons that are in arrears (滞納者)."""
        return self.stats.delinquent / self.stats.persons if self.stats.persons else 0.0


def _table_and_columns(key: str, quote: Callable[[str], str]) -> tuple[str, str, int]:
    model = MODELS[key]
    columns: list[str] = []
    for name in COLUMNS[key]:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column, name
        columns.append(quote(field.column))
    return quote(str(model._meta.db_table)), ", ".join(columns), len(columns)


def _writer(connection: BaseDatabaseWrapper, cursor: CursorWrapper) -> Callable[[str, list[Row]], None]:
    """Bulk writer per backend: COPY on PostgreSQL, executemany of one INSERT elsewhere (SQLite)."""
    specs = {key: _table_and_columns(key, connection.ops.quote_name) for key in TABLES}
    if connection.vendor == "postgresql":
        raw: Any = cursor.cursor  # the psycopg cursor

        def copy_rows(key: str, rows: list[Row]) -> None:
            table, columns, _ = specs[key]
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

        return copy_rows
    statements = {
        key: f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * n)})"
        for key, (table, columns, n) in specs.items()
    }

    def insert_rows(key: str, rows: list[Row]) -> None:
        cursor.executemany(statements[key], cast(list[Any], rows))

    return insert_rows


def city_seed(
    *,
    persons: int,
    seed: int = 1,
    today: date | None = None,
    chunk_size: int = 5000,
    progress: Callable[[int, float], None] | None = None,
    using: str = "default",
) -> SeedReport:
    """Generate a demo city of ``persons`` persons (dummy data) into an empty database.

    Deterministic for (persons, seed, today, chunk_size). One transaction per chunk; ids are
    taken above the current maximum of each table, and PostgreSQL sequences are reset after.
    ``progress(persons_done, seconds)`` is called after each chunk.
    """
    started = time.monotonic()
    today = today or timezone.localdate()
    if Person.objects.using(using).exists() or Household.objects.using(using).exists():
        raise CityNotEmpty(
            "the database already has persons or households; the demo city is generated only into an "
            "empty database (run it on a fresh database, e.g. a new SQLite file after `choshu migrate`)"
        )
    connection = connections[using]
    first_ids = {
        key: (model._default_manager.using(using).aggregate(m=Max("id"))["m"] or 0) + 1 for key, model in MODELS.items()
    }
    params = CityParams(persons=persons, seed=seed, today=today, chunk_size=chunk_size)
    generator = CityGenerator(
        params,
        first_ids,
        adapt_date=connection.ops.adapt_datefield_value,
        created_at=connection.ops.adapt_datetimefield_value(timezone.now()),
    )
    counts = dict.fromkeys(TABLES, 0)
    done = 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB page cache for the index inserts
        write = _writer(connection, cursor)
        for chunk in generator.chunks():
            with transaction.atomic(using=using):
                for key in TABLES:
                    rows = chunk[key]
                    if rows:
                        write(key, rows)
                        counts[key] += len(rows)
            done += len(chunk["person"])
            if progress is not None:
                progress(done, time.monotonic() - started)
        if connection.vendor == "postgresql":
            for sql in connection.ops.sequence_reset_sql(no_style(), list(MODELS.values())):
                cursor.execute(sql)
        # Fresh statistics after a bulk load, or the planner takes the tables for empty.
        cursor.execute("ANALYZE")
    return SeedReport(
        persons=persons,
        seed=seed,
        today=today,
        fiscal_years=params.fiscal_years,
        counts=counts,
        stats=generator.stats,
        elapsed=time.monotonic() - started,
    )

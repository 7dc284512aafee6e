"""Bulk writes and reads for batch paths: rows as tuples, COPY on PostgreSQL, executemany on SQLite;
membership in a list of any length as one parameter (`field__in_array`).

The ORM's bulk_create builds a model instance per row and bulk_update writes one CASE per row;
at 100,000 rows both cost more than the work itself. These helpers take plain tuples of column
values (dates as ``date``, datetimes aware) and must run inside the caller's transaction.

``reserve_ids`` hands out primary keys before the rows are written, so that rows which point at
each other (a payment and its allocations) go in with one statement per table.

``field__in_array=values`` is ``field IN values`` with the values as one parameter: ``= ANY(%s)``
on PostgreSQL, ``IN (SELECT value FROM json_each(%s))`` on SQLite. A list of 100,000 keys is one
query, not twenty chunks of 5,000 placeholders each of which Django builds and the database parses
(and for which PostgreSQL may choose a plan that reads a whole joined table per chunk).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from django.db import connection, models
from django.db.models import Lookup


@models.Field.register_lookup
class InArray(Lookup):  # type: ignore[type-arg]
    lookup_name = "in_array"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        return list(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values, default=str)]


models.ForeignObject.register_lookup(InArray)  # a foreign key has lookups of its own, not Field's


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys of ``model``'s table, never handed out before."""
    if count == 0:
        return []
    table = _table(model)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
            return [row[0] for row in cur.fetchall()]
        # SQLite: the transaction holds the database's write lock (IMMEDIATE), so nobody else
        # takes ids meanwhile; AUTOINCREMENT's sqlite_sequence moves up as the rows go in.
        cur.execute(f'SELECT MAX(id) FROM "{table}"')  # noqa: S608 - the table name is ours
        top = cur.fetchone()[0] or 0
        cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        seq = cur.fetchone()
        start = max(top, seq[0] if seq else 0) + 1
    return list(range(start, start + count))


def _converters(model: type[models.Model], columns: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, converter) for the columns whose Python values the driver cannot take as they are."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for n, column in enumerate(columns):
        field = fields[column]
        if isinstance(field, models.JSONField):
            found.append((n, lambda v: json.dumps(v, ensure_ascii=False)))
        elif connection.vendor == "sqlite" and isinstance(field, models.DateTimeField):
            found.append((n, lru_cache(maxsize=64)(connection.ops.adapt_datetimefield_value)))
        elif connection.vendor == "sqlite" and isinstance(field, models.DateField):
            found.append((n, date.isoformat))
    return found


def _converted(
    rows: Iterable[Sequence[Any]], converters: list[tuple[int, Callable[[Any], Any]]]
) -> Iterator[Sequence[Any]]:
    if not converters:
        yield from rows
        return
    for row in rows:
        values = list(row)
        for n, convert in converters:
            if values[n] is not None:
                values[n] = convert(values[n])
        yield values


def insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order; JSON columns as dict or list). Returns the count."""
    table = _table(model)
    names = ", ".join(f'"{c}"' for c in columns)
    values = _converted(rows, _converters(model, columns))
    count = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" for _ in columns)
            batch = list(values)
            cur.cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)
            count = len(batch)
    return count


def add_to(model: type[models.Model], column: str, deltas: Mapping[int, int]) -> None:
    """``column += delta`` for each primary key in ``deltas``, in one statement on PostgreSQL."""
    if not deltas:
        return
    table = _table(model)
    ids, values = list(deltas), list(deltas.values())
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f'UPDATE "{table}" t SET "{column}" = t."{column}" + v.d '  # noqa: S608 - our names
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, d) WHERE t.id = v.id",
                [ids, values],
            )
        else:
            cur.cursor.executemany(
                f'UPDATE "{table}" SET "{column}" = "{column}" + ? WHERE id = ?',  # noqa: S608
                list(zip(values, ids, strict=True)),
            )


def set_column(model: type[models.Model], column: str, values: Mapping[int, int]) -> None:
    """``column = value`` (an integer, e.g. a foreign key) for each primary key in ``values``."""
    if not values:
        return
    table = _table(model)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f'UPDATE "{table}" t SET "{column}" = v.x '  # noqa: S608
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, x) WHERE t.id = v.id",
                [list(values), list(values.values())],
            )
        else:
            cur.cursor.executemany(
                f'UPDATE "{table}" SET "{column}" = ? WHERE id = ?',  # noqa: S608
                [(v, k) for k, v in values.items()],
            )

"""Querysets compiled to SQL once, then run with new values: the hot reads of a submission.

Django compiles a queryset to SQL on every evaluation: ~0.2–0.3 ms of Python per query here,
against ~0.02 ms for SQLite to run a short indexed SELECT (perf/ingest_breakdown.py). A
submission and its attention evaluation run the same few queries every time with only an id or
a key changing, so `Prepared` compiles each once per database (the ORM still writes the SQL,
per backend) and afterwards only swaps the values in the parameters, then converts the rows
with the same converters Django applies (datetimes, JSON).

    RUNS = Prepared(lambda device_id: Benchmark.objects.filter(device_id=device_id)
                    .order_by("-run_at").values_list("id", "run_at")[:60], device_id=int)
    RUNS.rows(device_id=7)  # → [(id, run_at), …]

A queryset given to `Prepared` is a `values_list()` of fixed shape whose arguments reach the SQL
as parameters unchanged (an exact lookup, not `__contains` or `__in`): compiling refuses one whose
placeholder value it cannot find among the parameters. Queries run through the connection's
cursor, so they are logged and counted as any ORM query. Django's checks made while compiling
(`select_for_update()` outside a transaction on PostgreSQL) are made at the first run only.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

# placeholder values: each compiled query gets distinct ones, so that no constant of the
# query can be taken for an argument
_PLACEHOLDERS = {int: lambda n: -7_000_000_000_000 - n, str: lambda n: f"\x00prepared-{n}\x00"}


class Prepared:
    """A values_list() queryset compiled once per database alias; `rows(**values)` runs it."""

    def __init__(self, build: Callable[..., QuerySet], **arguments: type) -> None:
        unsupported = {name for name, kind in arguments.items() if kind not in _PLACEHOLDERS}
        if unsupported:
            raise TypeError(f"Prepared arguments must be int or str: {sorted(unsupported)}")
        self._build = build
        self._arguments = arguments
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple:
        placeholders = {
            name: _PLACEHOLDERS[kind](n) for n, (name, kind) in enumerate(self._arguments.items())
        }
        queryset = self._build(**placeholders)
        query = queryset.query
        columns = [*query.extra_select, *query.values_select, *query.annotation_select]
        fields = list(queryset._fields or ()) or columns  # values_list() alone: every column
        if queryset._iterable_class is not ValuesListIterable or fields != columns:
            # rows are returned in the SQL's column order: fields first, then annotations
            raise ValueError(f"Prepared needs values_list(fields…, annotations…): {columns}")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        positions = {
            name: [i for i, param in enumerate(params) if param == value]
            for name, value in placeholders.items()
        }
        missing = sorted(name for name, found in positions.items() if not found)
        if missing:
            raise ValueError(f"{missing} do not reach the query's parameters unchanged: {sql}")
        # Django's own converters (datetimes, JSON); those bound to the compiling thread's
        # connection read only its settings (the time zone), the same in every thread
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        return sql, params, positions, compiler, converters

    def rows(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple]:
        """The rows of the query for these values, converted as the ORM converts them."""
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        sql, template, positions, compiler, converters = compiled
        params = list(template)
        for name, indexes in positions.items():
            for i in indexes:
                params[i] = values[name]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        if converters:
            return list(map(tuple, compiler.apply_converters(fetched, converters)))
        return fetched

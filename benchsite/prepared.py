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
as parameters unchanged (an exact lookup or a comparison such as `__lt`, not `__contains` or
`__in`): compiling refuses one whose placeholder value it cannot find among the parameters.
Queries run through the connection's cursor, so they are logged and counted as any ORM query.
Django's checks made while compiling (`select_for_update()` outside a transaction on PostgreSQL)
are made at the first run only.
`rows(offset=, limit=)` reads a slice with the backend's own LIMIT/OFFSET (a median read off an
index: insights.peer_selectors).
"""

import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesListIterable
from django.db.models.sql.compiler import SQLCompiler

# placeholder values: each compiled query gets distinct ones, so that no constant of the
# query can be taken for an argument
_PLACEHOLDERS = {
    int: lambda n: -7_000_000_000_000 - n,
    float: lambda n: -7.25e15 - n,
    str: lambda n: f"\x00prepared-{n}\x00",
}


class _Compiled(NamedTuple):
    sql: str
    params: list  # with the placeholder values, swapped at each run
    positions: dict[str, list[int]]  # argument → its indexes in params
    compiler: SQLCompiler
    converters: dict
    model: type[Model]
    # for instances(): the model's fields read, in the model's own order (Model.from_db takes
    # them so), and where each is in a row; None when a column is no field of the model
    model_fields: list[str] | None
    model_positions: list[int]
    sliced: bool  # the queryset had a LIMIT or an OFFSET of its own


class Prepared:
    """A values_list() queryset compiled once per database alias; `rows(**values)` runs it."""

    def __init__(self, build: Callable[..., QuerySet], **arguments: type) -> None:
        unsupported = {name for name, kind in arguments.items() if kind not in _PLACEHOLDERS}
        if unsupported:
            raise TypeError(f"Prepared arguments must be int, float or str: {sorted(unsupported)}")
        self._build = build
        self._arguments = arguments
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> "_Compiled":
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
        attnames = [field.attname for field in queryset.model._meta.concrete_fields]
        read = [name for name in attnames if name in columns]
        return _Compiled(
            sql,
            params,
            positions,
            compiler,
            converters,
            queryset.model,
            read if len(read) == len(columns) else None,
            [columns.index(name) for name in read],
            query.is_sliced,
        )

    def _compiled_for(self, using: str) -> "_Compiled":
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        return compiled

    def instances(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[Model]:
        """The rows as instances of the queryset's model, as `only(…)` makes them (the fields
        not read are deferred). The columns must be fields of the model, in any order."""
        compiled = self._compiled_for(using)
        if compiled.model_fields is None:
            raise ValueError("Prepared.instances() needs a values_list() of the model's fields")
        return [
            compiled.model.from_db(
                using, compiled.model_fields, [row[i] for i in compiled.model_positions]
            )
            for row in self.rows(using, **values)
        ]

    def rows(
        self,
        using: str = DEFAULT_DB_ALIAS,
        *,
        offset: int = 0,
        limit: int | None = None,
        **values: Any,
    ) -> list[tuple]:
        """The rows of the query for these values, converted as the ORM converts them;
        `offset` and `limit` slice them as `queryset[offset:offset + limit]` would (the
        backend's own LIMIT/OFFSET, on a queryset not sliced already)."""
        compiled = self._compiled_for(using)
        params = list(compiled.params)
        for name, indexes in compiled.positions.items():
            for i in indexes:
                params[i] = values[name]
        sql = compiled.sql
        if offset or limit is not None:
            if compiled.sliced:
                raise ValueError("Prepared.rows(offset=, limit=) needs a queryset not sliced")
            high = None if limit is None else offset + limit
            sql = f"{sql} {connections[using].ops.limit_offset_sql(offset, high)}"
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        if compiled.converters:
            converted = compiled.compiler.apply_converters(fetched, compiled.converters)
            return list(map(tuple, converted))
        return fetched

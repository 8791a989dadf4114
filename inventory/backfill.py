"""Data migrations that fill a derived column of existing rows (a snapshot's disk models and
readings and its hardware key, a benchmark's methods): one loop, in batches, on the migration's
historical model."""

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connections, router

BATCH = 2000


def fill_derived(model, *, source: str, target: str, derive: Callable[[Any], Any]) -> None:
    """Set `target` to derive(`source`) on every row of `model` where that is not empty (the
    column's default), reading and writing BATCH rows at a time."""
    fill_rows(
        model, columns=(source,), target=target, derive=lambda row: derive(getattr(row, source))
    )


def fill_rows(model, *, columns: Iterable[str], target: str, derive: Callable[[Any], Any]) -> None:
    """Set `target` to derive(row) on every row of `model` where that is not empty, the row
    read with `columns` only, BATCH rows read and written at a time; a row that holds it
    already is not written (a key that a rule's change leaves alike on most rows)."""
    changed = []
    rows = model.objects.only("id", target, *columns).order_by("id")
    for row in rows.iterator(chunk_size=BATCH):
        value = derive(row)
        if value and value != getattr(row, target):
            changed.append((value, row.pk))
        if len(changed) >= BATCH:
            _write(model, target, changed)
            changed = []
    _write(model, target, changed)


def _write(model, target: str, values: list[tuple[Any, int]]) -> None:
    """Each (value, id) of `values` written, one UPDATE by id each in one executemany:
    bulk_update's one statement of BATCH CASE branches took 42 s for 100,000 hardware keys on
    SQLite, each row matched against every branch."""
    if not values:
        return
    connection = connections[router.db_for_write(model)]
    field, name, meta = model._meta.get_field(target), connection.ops.quote_name, model._meta
    table, column, key = name(meta.db_table), name(field.column), name(meta.pk.column)
    sql = f"UPDATE {table} SET {column} = %s WHERE {key} = %s"  # noqa: S608 (the model's names)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(field.get_db_prep_save(v, connection), pk) for v, pk in values])


def hardware_keys(**rule) -> Callable[[Any, Any], None]:
    """A migration's RunPython function that fills every snapshot's `hardware_key` again as
    inventory.history.hardware_key(snapshot, **rule) computes it (0028: without the virtual
    interfaces, 0030: with the ports' MACs, 0032: without a MAC two ports carry, 0034: with
    the DIMMs' modules; each reversed with the rule before it)."""

    def run(apps, schema_editor):
        # history imports the models: read once a migration runs, the apps ready
        from .history import KEY_COLUMNS, hardware_key

        fill_rows(
            apps.get_model("inventory", "HardwareSnapshot"),
            columns=KEY_COLUMNS,
            target="hardware_key",
            derive=lambda snapshot: hardware_key(snapshot, **rule),
        )

    return run

"""Each disk's SMART readings before a device's newest snapshots, summed up by the database.

The device page reads a disk's newest readings one by one (its rows, its charts) and the ones
before only as this sum: a machine benchmarked for years was every snapshot's `disk_readings`
decoded and walked in Python at every view of its page (0.4 s at 5,000 runs), for rows and
charts that show the newest and one row for the rest. The database unnests each snapshot's
readings with its JSON functions (inventory.readings_sql) and
returns a row per disk, SMART health and name read: how many readings, from when to when, the
lowest and highest of each value.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from inventory import readings_sql
from inventory.columns import SMART_FIELDS
from inventory.models import HardwareSnapshot

# the readings summed up, each a number (the submission's validation typed them)
NUMBERS = tuple(name for name in SMART_FIELDS if name != "smart_health")


def _sql(vendor: str, snapshots: str) -> str:
    def text(name: str) -> str:
        return readings_sql.text(vendor, name)

    # a disk across snapshots: its serial, or its name without one (inventory.columns.disk_key)
    key = f"COALESCE(NULLIF({text('serial')}, ''), NULLIF({text('name')}, ''))"
    values = ", ".join(f"{readings_sql.number(vendor, name)} AS {name}" for name in NUMBERS)
    spreads = ", ".join(f"MIN({name}), MAX({name})" for name in NUMBERS)
    # every name here is this module's own; the device and its snapshots are parameters
    return f"""
        SELECT disk, smart_health, name, model, serial, COUNT(*), MIN(captured_at),
            MAX(captured_at), {spreads}
        FROM (
            SELECT s.captured_at, {key} AS disk, {text("smart_health")} AS smart_health,
                {text("name")} AS name, {text("model")} AS model, {text("serial")} AS serial,
                {values}
            FROM inventory_hardwaresnapshot s, {readings_sql.disks_from(vendor, "s.disk_readings")}
            WHERE s.id IN ({snapshots}) AND {readings_sql.is_object(vendor)}
        ) readings
        WHERE disk IS NOT NULL
        GROUP BY disk, smart_health, name, model, serial
    """  # noqa: S608


def older_readings(device_id: int, *, skipped: int) -> dict[str, dict[str, Any]]:
    """Per disk (by disk key) of the device's snapshots but its newest `skipped`: `count`
    readings (snapshots that listed it), the `first` and `last` read, its `name`, `model` and
    `serial` at the last, `healths` (each SMART health read, oldest first) and, per number of
    NUMBERS, its lowest and highest reading (`low`, `high`: None when never read). One query.
    Disks that share a serial in a snapshot (a USB enclosure's bays) are one disk, as
    inventory.columns.disks_of reads them: its ranges and count take each of their readings."""
    older = (
        HardwareSnapshot.objects.filter(device_id=device_id)
        .order_by("-captured_at", "-id")
        .values("id")[skipped:]
    )
    inner, params = older.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor, inner), params)
        rows = cursor.fetchall()
    disks: dict[str, dict[str, Any]] = {}
    healths: dict[str, list[tuple[datetime.datetime, str]]] = {}
    for disk, health, name, model, serial, count, first, last, *spreads in rows:
        first, last = _when(first), _when(last)
        entry = disks.get(disk)
        if entry is None or last > entry["last"]:  # the identity of its last reading
            identity = {"name": name, "model": model, "serial": serial}
            entry = disks[disk] = {**(entry or _empty(first, last)), **identity}
        entry["count"] += count
        entry["first"], entry["last"] = min(entry["first"], first), max(entry["last"], last)
        for index, name_ in enumerate(NUMBERS):
            low, high = _number(spreads[2 * index]), _number(spreads[2 * index + 1])
            entry["low"][name_] = bound(entry["low"][name_], low, min)
            entry["high"][name_] = bound(entry["high"][name_], high, max)
        if health is not None:
            healths.setdefault(disk, []).append((first, health))
    for disk, read in healths.items():
        disks[disk]["healths"] = list(dict.fromkeys(health for _, health in sorted(read)))
    return disks


def _empty(first: datetime.datetime, last: datetime.datetime) -> dict[str, Any]:
    return {
        "count": 0,
        "first": first,
        "last": last,
        "healths": [],
        "low": dict.fromkeys(NUMBERS),
        "high": dict.fromkeys(NUMBERS),
    }


def bound(a: Any, b: Any, pick) -> Any:
    """The lower or higher (`pick`: min, max) of two readings, either of which may be None."""
    return b if a is None else a if b is None else pick(a, b)


def _number(value: Any) -> int | float | None:
    """A reading as the JSON had it: PostgreSQL's numeric arrives as a Decimal (41, not 41.0)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _when(value: Any) -> datetime.datetime:
    """A time from the database: SQLite's aggregate of a datetime column is its text, in UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)

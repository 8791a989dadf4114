"""The machines whose disks are old or wearing out, by their latest snapshot's SMART readings:
the device list's *disks* filter (the admin's, the API's `?disks=`), and how many machines in
service have such a disk and the worst of them (the dashboard's, benchsite.disk_life). The
disks were read one machine at a time, on its page; "which disks have run 40,000 hours?" had
no answer.

For each machine the database reads its latest snapshot's `disk_readings` (inventory.readings_sql)
for the highest reading of its disks; a reading that is not a number (none was sent, the disk
was not read) counts as none.
"""

import json
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import Func, QuerySet
from django.db.models.fields import FloatField

from . import readings_sql
from .models import Device, HardwareSnapshot

# NVMe's percent_used: the share of the rated write endurance used (it may pass 100); drives
# and monitoring tools warn from 80 %
WORN_PERCENT_USED = 80
# power-on hours: 40,000 h is 4.6 years powered on, past most drives' warranty (3 to 5 years)
OLD_POWER_ON_HOURS = 40_000

# the choices, as the admin's filter and the API's ?disks= name them, with the reading each
# reads and its threshold
DISK_CHOICES = {
    "worn": (
        f"worn: {WORN_PERCENT_USED} % of its rated life used or more",
        "percent_used",
        WORN_PERCENT_USED,
    ),
    "old": (
        f"old: {OLD_POWER_ON_HOURS:,} power-on hours or more",
        "power_on_hours",
        OLD_POWER_ON_HOURS,
    ),
}


class HighestReading(Func):
    """The highest `reading` (one of inventory.columns.SMART_FIELDS, a number) among the disks
    of a snapshot's `disk_readings`, NULL when none has one: a subquery of the row it is
    computed for, so a page of the ranking stops at its last device (an IN over every
    machine's disks was read three times a page: 0.44 s at 10,000 machines)."""

    output_field = FloatField()

    def __init__(self, expression, *, reading: str):
        if reading not in ("percent_used", "power_on_hours"):  # this module's names only
            raise ValueError(reading)
        super().__init__(expression, reading=reading)

    def as_sql(self, compiler, connection, **extra):
        vendor, reading = connection.vendor, self.extra["reading"]
        # `reading` is one of this module's names (__init__); the column, Django's own
        template = (
            f"(SELECT MAX({readings_sql.number(vendor, reading)})"  # noqa: S608
            f" FROM {readings_sql.disks_from(vendor, '%(expressions)s')}"
            f" WHERE {readings_sql.is_number(vendor, reading)})"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


def devices_with_disks(queryset: QuerySet, choice: str) -> QuerySet:
    """The devices of `queryset` whose latest snapshot lists a disk `choice` (a key of
    DISK_CHOICES) describes."""
    _, reading, threshold = DISK_CHOICES[choice]
    highest = HighestReading("latest_snapshot__disk_readings", reading=reading)
    return queryset.alias(disk_highest=highest).filter(disk_highest__gte=threshold)


def disk_reading(disk: Any, choice: str) -> int | float | None:
    """A disk's (a snapshot's `disk_readings` item) reading that `choice` reads when it is a
    number at or past the choice's threshold, else None: as the database reads it (a text,
    a boolean or nothing counts as none)."""
    _, reading, threshold = DISK_CHOICES[choice]
    value = disk.get(reading) if isinstance(disk, Mapping) else None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return value if number and value >= threshold else None


def disks_wearing_out(*, limit: int) -> dict[str, tuple[int, list]]:
    """Per choice of DISK_CHOICES, how many machines in service have such a disk and the
    `limit` worst of them, the highest reading first: each (device's pk, hostname, its disk,
    the disk's reading). One query, whatever the fleet's size, reads every machine's disks
    once: each machine's highest readings (`high`), then per choice a row of its count and
    rows of its worst: 95 ms on SQLite, 58 on PostgreSQL at 10,000 machines of 3 disks. A
    HighestReading per machine and choice, as the filter reads them to stop at a page's last
    machine, read them four times in three queries (+0.2 s of the dashboard)."""
    vendor, quote = connection.vendor, connection.ops.quote_name
    devices, snapshots = quote(Device._meta.db_table), quote(HardwareSnapshot._meta.db_table)
    # each machine's highest reading of each choice, a subquery of its row: grouped by machine
    # instead, PostgreSQL sorted the disks' rows with their snapshot's readings, on disk (134 ms)
    highest = ", ".join(
        f"(SELECT MAX({_value(vendor, reading)})"  # noqa: S608
        f" FROM {readings_sql.disks_from(vendor, 's.disk_readings')}) AS {choice}"
        for choice, (_, reading, _) in DISK_CHOICES.items()
    )
    # the choices' and the columns' names are this module's own, the tables Django's; the
    # readings of the worst machines' snapshots read once they are found
    told = " UNION ALL ".join(
        f"SELECT '{choice}', NULL, NULL, COUNT(*), NULL FROM high WHERE {choice} >= %s"  # noqa: S608
        f" UNION ALL SELECT '{choice}', w.id, w.hostname, w.{choice}, (SELECT s.disk_readings"
        f" FROM {snapshots} s WHERE s.id = w.snapshot_id) FROM (SELECT * FROM high WHERE"
        f" {choice} >= %s ORDER BY {choice} DESC, hostname, id LIMIT %s) AS w"
        for choice in DISK_CHOICES
    )
    # `high` is read four times: made once (PostgreSQL and SQLite make a CTE read more than once)
    sql = (
        f"WITH high AS (SELECT dev.id, dev.hostname, s.id AS snapshot_id, {highest}"  # noqa: S608
        f" FROM {devices} dev JOIN {snapshots} s ON s.id = dev.latest_snapshot_id"
        f" WHERE dev.retired_on IS NULL) {told}"
    )
    params = [
        value
        for _, _, threshold in DISK_CHOICES.values()
        for value in (threshold, threshold, limit)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[str, tuple[int, list]] = {choice: (0, []) for choice in DISK_CHOICES}
    for choice, pk, hostname, value, disks in rows:
        count, worst = result[choice]
        if pk is None:  # the choice's count
            result[choice] = (int(value), worst)
        else:
            worst.append(_worst(pk, hostname, disks, choice))
    for _, worst in result.values():  # a UNION's rows come in no promised order
        worst.sort(key=lambda row: (-(row[3] or 0), row[1], row[0]))
    return result


def _value(vendor: str, reading: str) -> str:
    """The disk's `reading` as a number, NULL when it is none (a CASE: PostgreSQL would cast
    a text otherwise, an AND being read in any order)."""
    is_number, number = (
        readings_sql.is_number(vendor, reading),
        readings_sql.number(vendor, reading),
    )
    return f"(CASE WHEN {is_number} THEN {number} END)"


def _worst(pk: int, hostname: str, disks: Any, choice: str) -> tuple:
    """A machine of disks_wearing_out with its disk of the highest reading of `choice`."""
    disks = json.loads(disks) if isinstance(disks, str) else disks  # SQLite's: a text
    readings = [(disk_reading(disk, choice), n) for n, disk in enumerate(disks or ())]
    value, n = max((r for r in readings if r[0] is not None), default=(None, 0))
    return pk, hostname, disks[n] if value is not None else {}, value

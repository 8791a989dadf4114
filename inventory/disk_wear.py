"""The machines whose disks are old or wearing out, by their latest snapshot's SMART readings:
the device list's *disks* filter (the admin's, the API's `?disks=`). The disks were read one
machine at a time, on its page; "which disks have run 40,000 hours?" had no answer.

For each machine the database reads its latest snapshot's `disk_readings` (SQLite's
json_each, PostgreSQL's jsonb_array_elements) for the highest reading of its disks; a reading
that is not a number (none was sent, the disk was not read) counts as none.
"""

from django.db.models import Func, QuerySet
from django.db.models.fields import FloatField

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
    # a snapshot's disk_readings is a list (inventory.columns.disk_readings); SQLite parses
    # the JSON text again for each function given it, so the list is not checked to be one
    template = (
        "(SELECT MAX(json_extract(d.value, '$.%(reading)s')) FROM json_each(%(expressions)s)"
        " AS d WHERE json_type(d.value, '$.%(reading)s') IN ('integer', 'real'))"
    )

    def __init__(self, expression, *, reading: str):
        if reading not in ("percent_used", "power_on_hours"):  # this module's names only
            raise ValueError(reading)
        super().__init__(expression, reading=reading)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(SELECT MAX((d.value ->> '%(reading)s')::numeric) FROM"
            " jsonb_array_elements(CASE jsonb_typeof(%(expressions)s) WHEN 'array' THEN"
            " %(expressions)s ELSE '[]' END) AS d"
            " WHERE jsonb_typeof(d.value -> '%(reading)s') = 'number')",
            **extra,
        )


def devices_with_disks(queryset: QuerySet, choice: str) -> QuerySet:
    """The devices of `queryset` whose latest snapshot lists a disk `choice` (a key of
    DISK_CHOICES) describes."""
    _, reading, threshold = DISK_CHOICES[choice]
    highest = HighestReading("latest_snapshot__disk_readings", reading=reading)
    return queryset.alias(disk_highest=highest).filter(disk_highest__gte=threshold)

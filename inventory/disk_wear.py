"""The machines whose disks are old or wearing out, by their latest snapshot's SMART readings:
the device list's *disks* filter (the admin's, the API's `?disks=`). The disks were read one
machine at a time, on its page; "which disks have run 40,000 hours?" had no answer.

For each machine the database reads its latest snapshot's `disk_readings` (inventory.readings_sql)
for the highest reading of its disks; a reading that is not a number (none was sent, the disk
was not read) counts as none.
"""

from django.db.models import Func, QuerySet
from django.db.models.fields import FloatField

from . import readings_sql

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

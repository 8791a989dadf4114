"""The fleet's hardware changes since a date ("which machines had a DIMM pulled, a disk swapped,
a NIC added this month, and what exactly?"): every pair of consecutive snapshots of a machine
whose hardware keys (inventory.history.hardware_key) differ, the newer one taken since then,
newest first, found by the database; what changed in words (history.snapshot_told) for the
rows read only. The API's GET /api/hardware-changes, the admin's Hardware changes page and the
dashboard's panel read it.

A machine whose every run tells a change (a VM whose RAM balloons, a test bench with another card
at each run) would fill the list: the fleet's list keeps a machine's newest
PER_DEVICE changes, each row saying how many the machine has in all (its own list, ?device=,
has them all). Over a year or two, a machine's newest few are its kernel updates, and the RAM
upgrade or the disk swapped before them is in no machine's few: `parts` lists the changes of
a part alone (no BIOS, OS or kernel update), told in words to be found, as many as there are
since the date. A snapshot without a key (written by a server older than the keys, see the
field's help_text) is not compared: the change across it is found between the snapshots
around it.
"""

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.db import connection
from django.utils import timezone

from .history import CHANGE_COLUMNS, snapshot_told
from .models import Device, HardwareSnapshot

PER_DEVICE = 3  # a machine's changes listed in the fleet's list; more: on its own list
SINCE_DAYS = 30  # the list's default period, and the dashboard's


@dataclass
class FleetChange:
    """One hardware change of one machine: from one snapshot to the next."""

    device_id: int
    hostname: str
    captured_at: datetime
    before_snapshot: int
    after_snapshot: int
    changes: list[str]  # in words; empty when the keys differ and nothing is told
    device_changes: int  # the machine's changes since the list's date, all of them
    parts: bool = False  # a part's change among them: more than a BIOS, OS or kernel update


def since_default(now: datetime | None = None) -> date:
    """The list's date without one: SINCE_DAYS days before today (the server's TIME_ZONE)."""
    # the server's, not the request's: the API's is UTC (benchsite.apitime)
    return timezone.localdate(now, timezone.get_default_timezone()) - timedelta(days=SINCE_DAYS)


# the dates a start is taken within: any earlier is all of the past, and midnight of year 1
# in a time zone east of UTC is no datetime in UTC (nor year 9999's west of it)
EARLIEST, LATEST = date(1970, 1, 1), date(9999, 1, 1)


def _start(since: date) -> datetime:
    """Midnight of `since` in the server's TIME_ZONE."""
    since = min(max(since, EARLIEST), LATEST)
    return timezone.make_aware(datetime.combine(since, time.min), timezone.get_default_timezone())


def _before(column: str, device: str) -> str:
    """A machine's newest snapshot with a key before the start (a parameter): its `column`,
    read off the index of keys."""
    snap = connection.ops.quote_name(HardwareSnapshot._meta.db_table)
    return (
        f"SELECT {column} FROM {snap} p WHERE p.device_id = {device} "  # noqa: S608
        "AND p.captured_at < %s AND p.hardware_key <> '' "
        "ORDER BY p.captured_at DESC, p.id DESC LIMIT 1"
    )


def _moved_sql(*, device: bool, retired: bool) -> str:
    """The machines whose hardware key moved since the start: two or more keys among their
    snapshots since then, or another than their newest one before it (one look-up of the index
    of keys a machine). Parameters: the start twice, the device's id with `device`. One pass
    over the index of keys, whatever the snapshots are."""
    quote = connection.ops.quote_name
    snap, dev = quote(HardwareSnapshot._meta.db_table), quote(Device._meta.db_table)
    own = "AND s.device_id = %s" if device else ""
    in_service = "" if retired else "AND d.retired_on IS NULL"
    return f"""
        SELECT sp.device_id FROM (
            SELECT s.device_id, MIN(s.hardware_key) AS low, MAX(s.hardware_key) AS high,
                ({_before("p.hardware_key", "s.device_id")}) AS before_key
            FROM {snap} s
            WHERE s.captured_at >= %s AND s.hardware_key <> '' {own}
            GROUP BY s.device_id
        ) sp JOIN {dev} d ON d.id = sp.device_id
        WHERE (sp.low <> sp.high OR sp.before_key <> sp.low) {in_service}
    """  # noqa: S608 (names from the models, values as parameters)


def _changes_sql(per_device: int | None) -> str:
    """The changes of the machines a parameter lists (moved), as rows (id, before_id,
    device_count), newest first: their snapshots since the start, each with the one before it
    (LAG over the keys, as hardware_life reads one machine's; the first, with the newest one
    before the start), those whose key differs, each machine's newest first, counted per
    machine. Parameters: the start twice, the machines, the start. A few hundred machines of
    10,000 in a month: their snapshots are found by the index, where a window over every
    machine's took 45 ms on SQLite, and on PostgreSQL a plan costed for all of them was
    compiled (JIT) for 22 ms."""
    snap = connection.ops.quote_name(HardwareSnapshot._meta.db_table)
    listed = (
        "= ANY(%s)" if connection.vendor == "postgresql" else "IN (SELECT value FROM json_each(%s))"
    )
    cap = "" if per_device is None else f"WHERE nth <= {int(per_device)}"
    return f"""
        WITH paired AS (
            SELECT s.id, s.device_id, s.captured_at, s.hardware_key,
                COALESCE(LAG(s.id) OVER w, ({_before("p.id", "s.device_id")})) AS before_id,
                COALESCE(
                    LAG(s.hardware_key) OVER w, ({_before("p.hardware_key", "s.device_id")})
                ) AS before_key
            FROM {snap} s
            WHERE s.device_id {listed} AND s.captured_at >= %s AND s.hardware_key <> ''
            WINDOW w AS (PARTITION BY s.device_id ORDER BY s.captured_at, s.id)
        ),
        changed AS (
            SELECT id, device_id, captured_at, before_id,
                ROW_NUMBER() OVER (
                    PARTITION BY device_id ORDER BY captured_at DESC, id DESC
                ) AS nth,
                COUNT(*) OVER (PARTITION BY device_id) AS device_count
            FROM paired WHERE before_key <> hardware_key
        )
        SELECT id, before_id, device_count FROM changed {cap}
        ORDER BY captured_at DESC, id DESC
    """  # noqa: S608 (names from the models, values as parameters)


class FleetChanges(Sequence):
    """The changes since a date as a paginated list reads them: count() and slices. Two
    queries read every change's ids (three numbers a change: 480 changes of 10,000 machines in
    30 days), then each slice is told in words (one query more)."""

    def __init__(
        self,
        since: date,
        *,
        device_id: int | None = None,
        retired: bool = False,
        per_device: int = PER_DEVICE,
        parts: bool = False,
    ):
        self.since = since
        self.device_id = device_id
        self.parts = parts
        # one machine's list has all its changes (a retired machine's too: asked for by its
        # id); the fleet's, each machine's newest `per_device`
        one = device_id is not None
        self.per_device = None if one else per_device
        self.retired = retired or one
        self._rows: list[tuple[int, int, int]] | None = None
        self._updated = 0  # with `parts`: the machines of updates alone

    @property
    def rows(self) -> list[tuple[int, int, int]]:
        """Every change as (its snapshot, the one before, the machine's count), newest first."""
        if self._rows is not None:
            return self._rows
        start = connection.ops.adapt_datetimefield_value(_start(self.since))
        one = [self.device_id] if self.device_id is not None else []
        with connection.cursor() as cursor:
            cursor.execute(_moved_sql(device=bool(one), retired=self.retired), [start, start, *one])
            moved = [device for (device,) in cursor.fetchall()]
            self._rows = []
            if moved:
                listed = moved if connection.vendor == "postgresql" else json.dumps(moved)
                cap = None if self.parts else self.per_device
                cursor.execute(_changes_sql(cap), [start, start, listed, start])
                self._rows = cursor.fetchall()
        if self.parts:
            self._rows, self._updated = _of_parts(self._rows, self.per_device)
        return self._rows

    def count(self) -> int:
        return len(self.rows)

    def machines_updated(self) -> int:
        """With `parts`: how many machines had BIOS, OS or kernel updates since the date and no
        part changed (one whose change no phrase tells, RAM within rounding, is neither)."""
        _ = self.rows
        return self._updated

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return told(self.rows[index])
        return told([self.rows[index]])[0]


TOLD_AT_ONCE = 500  # changes told in one query where all are (their two snapshots' columns)


def _of_parts(rows: list[tuple[int, int, int]], per_device: int | None) -> tuple[list, int]:
    """The rows whose change tells a part's (not only an update's), each machine's newest
    `per_device` (all with None), each with the count of its machine's; and how many machines
    have updates alone among the rows."""
    machine = {}  # a kept row's snapshot: its machine
    updated = set()  # the machines of a change told that is no part's
    for start in range(0, len(rows), TOLD_AT_ONCE):
        for change in told(rows[start : start + TOLD_AT_ONCE]):
            if change.parts:
                machine[change.after_snapshot] = change.device_id
            elif change.changes:
                updated.add(change.device_id)
    kept = [row for row in rows if row[0] in machine]
    counts = Counter(machine[row[0]] for row in kept)
    seen: Counter = Counter()
    listed = []
    for row in kept:  # newest first
        seen[machine[row[0]]] += 1
        if per_device is None or seen[machine[row[0]]] <= per_device:
            listed.append((row[0], row[1], counts[machine[row[0]]]))
    return listed, len(updated - set(counts))


def told(rows: list[tuple[int, int, int]]) -> list[FleetChange]:
    """The changes (after, before, the machine's count) in words, each saying whether a part's
    is among them: both snapshots' columns that a change is told from, with the machine's
    hostname, in one query."""
    wanted = {pk for row in rows for pk in row[:2]}
    columns = dict.fromkeys(("id", "device_id", "device__hostname", *CHANGE_COLUMNS))
    read = {
        row["id"]: row for row in HardwareSnapshot.objects.filter(pk__in=wanted).values(*columns)
    }
    changes = []
    for after_id, before_id, count in rows:
        if after_id not in read or before_id not in read:
            continue  # its machine (or a snapshot) deleted since the ids were read: gone
        after, before = SimpleNamespace(**read[after_id]), SimpleNamespace(**read[before_id])
        told = snapshot_told(before, after)
        changes.append(
            FleetChange(
                device_id=after.device_id,
                hostname=after.device__hostname,
                captured_at=after.captured_at,
                before_snapshot=before_id,
                after_snapshot=after_id,
                changes=told.phrases,
                device_changes=count,
                parts=told.parts,
            )
        )
    return changes

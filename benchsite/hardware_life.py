"""A machine's hardware over its whole life, for its device page: the changes, and the stretches
of snapshots between them (a weekly cron's five years are 260 snapshots of a few machines).

The composition layer: it reads inventory's snapshots and tells them with inventory's diff.
"""

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlencode

from inventory.history import CHANGE_COLUMNS, snapshot_changes
from inventory.models import Device, HardwareSnapshot

TIMELINE_LIMIT = 5000  # snapshots: about 7 years of two runs a day (0.2 s to read and compare)
PERIODS_SHOWN = 20  # the snapshots section's rows: its newest stretches of one hardware
# what a stretch's row shows of its hardware, besides what a change is told from
SHOWN_COLUMNS = ("cpu_model", "ram_total_mb", "os_name", "os_version", "kernel_version")


@dataclass
class HardwareChange:
    """What changed in the machine's hardware between two of its snapshots."""

    at: datetime
    before_id: int
    after_id: int
    changes: list[str]


@dataclass
class HardwarePeriod:
    """Snapshots one after the other with no hardware change between them: one row of the
    device page's snapshots, from its first to its last, instead of one row a week."""

    device_id: int
    first: SimpleNamespace  # its oldest snapshot's columns
    last: SimpleNamespace  # its newest's
    count: int
    previous_id: int | None  # the snapshot before `first` (the change that began it), if any
    began: list[str] = field(default_factory=list)  # that change, in phrases
    snapshots: list[tuple[int, datetime]] = field(default_factory=list)  # newest first

    @property
    def began_said(self) -> str:
        """What began it: a change, or the machine's first snapshot, or (the oldest read of a
        life longer than was read) the same hardware as the snapshots before."""
        if self.began:
            return ", ".join(self.began)
        return "the same as before" if self.previous_id else "its first hardware"

    @property
    def snapshots_query(self) -> str:
        """The snapshots' admin list filtered to this stretch: each of them a click away."""
        return urlencode(
            {
                "device__id__exact": self.device_id,
                "captured_at__gte": self.first.captured_at.isoformat(),
                "captured_at__lte": self.last.captured_at.isoformat(),
            }
        )


@dataclass
class HardwareLife:
    changes: list[HardwareChange]  # newest first
    periods: list[HardwarePeriod]  # newest first
    truncated: bool  # older snapshots than the newest TIMELINE_LIMIT were not read


def hardware_life(device: Device, *, limit: int = TIMELINE_LIMIT) -> HardwareLife:
    """Every hardware change of the device over its newest `limit` snapshots, and the stretches
    of unchanged hardware between them, newest first. One query, of the columns a change is told
    from and a stretch shows: the score history shows its newest runs, and a RAM upgrade three
    years back was out of sight."""
    columns = dict.fromkeys(("id", *CHANGE_COLUMNS, *SHOWN_COLUMNS))
    # the columns as values, not model instances: a sixth less time at 2,200 snapshots
    rows = (
        HardwareSnapshot.objects.filter(device_id=device.pk)
        .order_by("-captured_at", "-id")
        .values(*columns)[: limit + 1]
    )
    snapshots = [SimpleNamespace(**row) for row in rows]
    shown = snapshots[:limit]
    changes, periods = [], []
    begins = True  # the newest snapshot begins the newest stretch; each change, an older one
    for index, newer in enumerate(shown):
        older = snapshots[index + 1] if index + 1 < len(snapshots) else None
        if begins:
            periods.append(HardwarePeriod(device.pk, newer, newer, 0, None))
        period = periods[-1]
        period.first, period.count = newer, period.count + 1
        period.previous_id = older.id if older else None
        period.snapshots.append((newer.id, newer.captured_at))
        phrases = snapshot_changes(older, newer)
        period.began = phrases
        if phrases:
            changes.append(HardwareChange(newer.captured_at, older.id, newer.id, phrases))
        begins = bool(phrases)
    return HardwareLife(changes, periods, len(snapshots) > limit)

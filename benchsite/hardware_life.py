"""A machine's hardware over its whole life, for its device page: the changes, and the stretches
of snapshots between them (a weekly cron's five years are 260 snapshots of a few machines).

The composition layer: it reads inventory's snapshots and tells them with inventory's diff.
"""

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import NamedTuple
from urllib.parse import urlencode

from django.db.models import F, Q, Window
from django.db.models.functions import Lag, Lead, RowNumber

from inventory.history import CHANGE_COLUMNS, STRETCH_COLUMNS, snapshot_told
from inventory.models import Device, HardwareSnapshot

# the stretches of one hardware read (by their keys; a stretch alike in what a change is told
# from may be one of several that tell no change between them): a machine whose every run
# tells a change (a VM whose RAM balloons) is read over its newest 5,000 runs
TIMELINE_LIMIT = 5000
PERIODS_SHOWN = 20  # the snapshots section's rows: its newest stretches of one hardware
# what a stretch's row shows of its hardware, besides what a change is told from
SHOWN_COLUMNS = STRETCH_COLUMNS


@dataclass
class HardwareChange:
    """What changed in the machine's hardware between two of its snapshots."""

    at: datetime
    before_id: int
    after_id: int
    changes: list[str]
    parts: bool = True  # false: a BIOS, OS or kernel update alone


@dataclass
class UpdatesFolded:
    """BIOS, OS or kernel updates alone, one after the other, said as one row of the device
    page's changes: "14 BIOS, OS or kernel updates", the newest named."""

    changes: list[HardwareChange]  # newest first, two or more
    parts = False
    folded = True

    @property
    def at(self) -> datetime:
        return self.changes[0].at

    @property
    def since(self) -> datetime:
        return self.changes[-1].at

    @property
    def before_id(self) -> int:  # the snapshot before the oldest: compared with the newest
        return self.changes[-1].before_id

    @property
    def after_id(self) -> int:
        return self.changes[0].after_id


def changes_folded(changes: list[HardwareChange], rows: int) -> tuple[list, int]:
    """The device page's first `rows` rows of changes (newest first), each run of two or more
    updates alone folded into one (UpdatesFolded), with how many changes they tell: two years
    of a weekly cron's kernel updates were the page's 12 rows, and the RAM added among them
    was the one row to find."""
    shown, told = [], 0
    while told < len(changes) and len(shown) < rows:
        end = told
        while end < len(changes) and not changes[end].parts:
            end += 1
        if end - told >= 2:
            shown.append(UpdatesFolded(changes[told:end]))
            told = end
        else:
            shown.append(changes[told])
            told += 1
    return shown, told


def folded_said(rows: list, told: int, total: int) -> str:
    """What the device page's changes show by default (`rows` of changes_folded, telling
    `told` of `total`), as the link back to them from all of them (?all=changes) says it: it
    said "the first 12 only" of two rows, a run of 18 kernel updates and a RAM upgrade."""
    runs = " (each run of BIOS, OS or kernel updates one row)" if told > len(rows) else ""
    shown = f"{len(rows)} row{'' if len(rows) == 1 else 's'}"
    if told < total:
        return f"the newest {shown} only{runs}"
    return f"all of them in {shown}{runs}"


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
    truncated: bool  # older snapshots than the periods' were not read

    @property
    def covered(self) -> int:
        """The snapshots its periods hold: the newest ones of the device."""
        return sum(period.count for period in self.periods)


class _Stretch(NamedTuple):
    """Snapshots one after the other with the same hardware key (positions count from the
    device's first snapshot)."""

    first_id: int
    previous_id: int | None  # the snapshot before it
    first_position: int
    last_id: int
    last_at: datetime
    last_position: int

    @property
    def count(self) -> int:
        return self.last_position - self.first_position + 1


_IN_ORDER = (F("captured_at").asc(), F("id").asc())


def _stretches(device_id: int, limit: int) -> list[_Stretch]:
    """The device's newest `limit` stretches of one hardware key, newest first. One query,
    which returns only the snapshots that begin or end one, found by the database over the
    index of keys; a snapshot without a key (stored before there were keys) is one alone."""
    key, before, after = F("hardware_key"), F("key_before"), F("key_after")
    begins = Q(hardware_key="") | Q(key_before__isnull=True) | ~Q(hardware_key=before)
    ends = Q(hardware_key="") | Q(key_after__isnull=True) | ~Q(hardware_key=after)
    rows = (
        HardwareSnapshot.objects.filter(device_id=device_id)
        .annotate(
            key_before=Window(Lag(key), order_by=_IN_ORDER),
            key_after=Window(Lead(key), order_by=_IN_ORDER),
            id_before=Window(Lag("id"), order_by=_IN_ORDER),
            position=Window(RowNumber(), order_by=_IN_ORDER),
        )
        .filter(begins | ends)
        .order_by("-captured_at", "-id")
        .values_list(
            "id", "captured_at", "hardware_key", "key_before", "key_after", "id_before", "position"
        )[: 2 * limit]
    )
    stretches, last = [], None
    for pk, at, own, key_before, key_after, id_before, position in rows:  # newest first
        if not own or key_after != own:  # it ends one: the newest of its stretch
            last = (pk, at, position)
        if (not own or key_before != own) and last is not None:
            stretches.append(_Stretch(pk, id_before, position, *last))
            last = None
    return stretches[:limit]


def hardware_life(device: Device, *, limit: int = TIMELINE_LIMIT, listed: int = 0) -> HardwareLife:
    """Every hardware change of the device over its newest `limit` stretches of one hardware
    key, and the periods of unchanged hardware between them, newest first, each with its
    snapshots' ids and times among the newest `listed`. Two queries, whatever the age of the
    machine (three with `listed`): the stretches (_stretches), then the columns a change is
    told from and a period shows, of the first snapshot of each. The snapshots of a stretch
    share its key, so the change between two stretches is the change between their first
    snapshots: ten weekly years were 520 snapshots' disks and interfaces read and compared,
    for a RAM upgrade and a disk replaced."""
    stretches = _stretches(device.pk, limit)
    wanted = {stretch.first_id for stretch in stretches}
    if stretches and stretches[-1].previous_id is not None:  # the one before the oldest read
        wanted.add(stretches[-1].previous_id)
    columns = dict.fromkeys(("id", *CHANGE_COLUMNS, *SHOWN_COLUMNS))
    rows = HardwareSnapshot.objects.filter(pk__in=wanted).values(*columns) if wanted else []
    read = {row["id"]: SimpleNamespace(**row) for row in rows}
    changes, periods = [], []
    begins = True  # the newest stretch begins the newest period; each change, an older one
    for index, stretch in enumerate(stretches):
        newer = read[stretch.first_id]
        following = stretches[index + 1].first_id if index + 1 < len(stretches) else None
        older = read.get(following or stretch.previous_id)  # alike with its stretch's last
        if begins:  # its newest snapshot, showing what its stretch's first shows
            last = SimpleNamespace(
                **{**vars(newer), "id": stretch.last_id, "captured_at": stretch.last_at}
            )
            periods.append(HardwarePeriod(device.pk, last, last, 0, None))
        period = periods[-1]
        period.first, period.count = newer, period.count + stretch.count
        period.previous_id = stretch.previous_id
        phrases, parts = snapshot_told(older, newer)
        period.began = phrases
        if phrases:
            changes.append(
                HardwareChange(
                    newer.captured_at,
                    stretch.previous_id,
                    newer.id,
                    phrases,
                    parts,
                )
            )
        begins = bool(phrases)
    if listed:
        _list_snapshots(device.pk, periods, listed)
    truncated = bool(stretches) and stretches[-1].first_position > 1
    return HardwareLife(changes, periods, truncated)


def _list_snapshots(device_id: int, periods: list[HardwarePeriod], listed: int) -> None:
    """Each period's snapshots (id and time, newest first) among the device's newest
    `listed`. One query."""
    rows = (
        HardwareSnapshot.objects.filter(device_id=device_id)
        .order_by("-captured_at", "-id")
        .values_list("id", "captured_at")[:listed]
    )
    index = 0
    for pk, at in rows:
        while index < len(periods) and (at, pk) < (
            periods[index].first.captured_at,
            periods[index].first.id,
        ):
            index += 1
        if index == len(periods):
            return
        periods[index].snapshots.append((pk, at))

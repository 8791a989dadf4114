"""The data the insight rules read, in a fixed number of queries per device."""

import datetime
import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from benchmarks import validity
from benchmarks.models import Benchmark, Validity
from benchsite.prepared import Prepared
from inventory.columns import SMART_COUNTERS, disks_of, method_measured, methods_compared
from inventory.models import Device, HardwareSnapshot
from inventory.schema import CATEGORY_NAMES

from . import rules
from .delivery import DEVICE_RETIRED
from .models import AttentionItem, Kind, Severity

# critical items before warnings, wherever open items are listed
CRITICAL_FIRST = Case(
    When(severity=Severity.CRITICAL, then=0), default=1, output_field=IntegerField()
)
RUNS_READ = 60  # the newest valid runs read first; a baseline short of runs reads further back
FIGURE_NAMES = rules.FIGURE_NAMES  # "global", "cpu", …
SCORE_FIELDS = tuple(f"{name}_score" for name in FIGURE_NAMES)  # their columns
RUN_COLUMNS = ("id", "run_at", "validity", "methods", "excluded_categories", *SCORE_FIELDS)


def thresholds() -> rules.Thresholds:
    return rules.Thresholds(
        baseline_runs=settings.BASELINE_RUNS,
        regression_pct=settings.REGRESSION_PCT,
        peer_gap_pct=settings.PEER_GAP_PCT,
        disk_hot_c=settings.DISK_HOT_C,
    )


def _figures(scores: Sequence[float | None], excluded: list[str]) -> dict[str, float | None]:
    # a category the run left out of its global score neither makes a baseline nor is judged
    return validity.counted(dict(zip(FIGURE_NAMES, scores, strict=True)), excluded)


def _runs_query(*order, limit: int, **only) -> Prepared:
    return Prepared(
        lambda device_id: (
            Benchmark.objects.filter(device_id=device_id, **only)
            .order_by(*order, "-run_at", "-id")
            .values_list(*RUN_COLUMNS)[:limit]
        ),
        device_id=int,
    )


_VALID_RUNS = _runs_query(limit=RUNS_READ, validity=Validity.VALID)
# the latest run with a score, else the latest run
_LATEST_RUN = _runs_query(
    Case(When(global_score__isnull=True, then=Value(1)), default=Value(0)), limit=1
)


def device_runs(device_id: int) -> tuple[rules.Run | None, list[rules.Run]]:
    """The run that ranks the device, by the ranking's rule (inventory.runs): its latest valid
    run with a score, else its latest run with one, else its latest run (`valid` says which);
    and, for a valid one, the valid runs before it, newest first. One query when a valid run
    has a score, which reads each run's small `methods`, not its results. The valid runs are
    read apart from the others: however many suspect runs came after them (a machine busy for
    weeks), its latest valid run and its baseline are found."""
    rows = _VALID_RUNS.rows(device_id=device_id)
    return runs_of(device_id, rows, lambda: _LATEST_RUN.rows(device_id=device_id))


def runs_of(
    device_id: int, rows: list[tuple], latest_rows: Callable[[], list[tuple]]
) -> tuple[rules.Run | None, list[rules.Run]]:
    """device_runs from the rows of its newest RUNS_READ valid runs, and `latest_rows`: those of
    its latest run as _LATEST_RUN reads it, asked only when no valid run has a score (many
    devices' rows read at once: insights.batch_selectors)."""
    valid = [_run(row) for row in rows]
    # a run without a score (every category skipped: an inventory-only run) ranks no one
    # while a run has one: a suspect run with scores ranks the device before a valid one
    # without (it was the insights' latest, while the ranking showed the suspect one)
    latest = next((run for run in valid if run.scores.get("global") is not None), None)
    if latest is None:
        rows = latest_rows()
        return (_run(rows[0]) if rows else None), []
    earlier = [run for run in valid if run.run_at < latest.run_at]
    # a category measured now and then (a GPU), or the latest method's runs further back than
    # the newest RUNS_READ: a baseline short of runs looks for those measured alike, however far
    more, oldest = len(valid) == RUNS_READ, valid[-1]
    while more and (short := _baseline_short(latest, earlier, settings.BASELINE_RUNS)):
        rows = _older_valid_runs(device_id, oldest, _measured_as(latest, short))
        earlier += (older := [_run(row) for row in rows])
        more, oldest = len(rows) == OLDER_RUNS, (older or [oldest])[-1]
    return latest, earlier


OLDER_RUNS = 500  # read at a time beyond the newest RUNS_READ, when a baseline needs them


def _baseline_short(latest: rules.Run, earlier: list[rules.Run], runs: int) -> set[str]:
    """The figures of `latest` with fewer than `runs` earlier runs measured alike to draw their
    baseline from (rules.baseline)."""
    measured = [rules.Measured.of(run) for run in earlier]
    medians, _ = rules.medians_alike(latest.methods, measured, take=runs, minimum=runs)
    return {name for name, value in latest.scores.items() if value is not None} - medians.keys()


def _measured_as(latest: rules.Run, names) -> Q:
    """The runs with one of these figures measured as `latest`'s was, in SQL, by the methods as
    stored (rules.medians_alike tells a category left out of the global from one counted): a
    method changed with a bench.sh upgrade is looked for, not read run by run."""

    def same(category: str) -> Q:
        method = method_measured(latest.methods.get(category))
        if method is None:  # not measured, or no method said: absent equals absent
            return Q(**{f"methods__{category}__isnull": True}) | Q(**{f"methods__{category}": None})
        return Q(**{f"methods__{category}": method})

    wanted = Q()
    for name in names:
        alike = (
            functools.reduce(operator.and_, map(same, CATEGORY_NAMES))
            if name == "global"
            else same(name)
        )
        wanted |= alike & Q(**{f"{name}_score__isnull": False})
    return wanted


def _older_valid_runs(device_id: int, oldest: rules.Run, wanted: Q) -> list[tuple]:
    return list(
        Benchmark.objects.filter(device_id=device_id, validity=Validity.VALID)
        .filter(Q(run_at__lt=oldest.run_at) | Q(run_at=oldest.run_at, id__lt=oldest.id))
        .filter(wanted)
        .order_by("-run_at", "-id")
        .values_list(*RUN_COLUMNS)[:OLDER_RUNS]
    )


def _run(row: Sequence[Any]) -> rules.Run:
    pk, run_at, validity, methods, excluded, *scores = row
    return rules.Run(
        id=pk,
        run_at=run_at,
        scores=_figures(scores, excluded),
        methods=methods_compared(methods, excluded),
        valid=validity == Validity.VALID,
    )


_NEWEST_RUN = Prepared(
    lambda device_id: (
        Benchmark.objects.filter(device_id=device_id).order_by("-id").values_list("id")[:1]
    ),
    device_id=int,
)


def newest_run_id(device_id: int) -> int | None:
    """The id of the device's newest stored run (the last submission stored): what tells that
    a device got or lost a run between two reads."""
    rows = _NEWEST_RUN.rows(device_id=device_id)
    return rows[0][0] if rows else None


_DEVICE_LOCK = Prepared(
    lambda device_id: (
        Device.objects.select_for_update()
        .filter(pk=device_id)
        .values_list("id", "retired_on", "attention_muted")
    ),
    device_id=int,
)


class Locked(NamedTuple):
    """What a judgment needs of the device row it locked."""

    retired_on: datetime.date | None  # a retired machine opens no item
    attention_muted: dict  # the kinds it opens no item of (insights.mute)


def device_lock(device_id: int) -> Locked | None:
    """Lock the device's row until the transaction ends, as a submission does (PostgreSQL;
    SQLite's immediate transactions take turns); None if it is gone."""
    rows = _DEVICE_LOCK.rows(device_id=device_id)
    return Locked(*rows[0][1:]) if rows else None


def latest_cpu_model(device_id: int) -> str:
    value = (
        Device.objects.filter(pk=device_id).values_list("latest_snapshot__cpu_model", flat=True)
    ).first()
    return value or ""


def acknowledged_since_newest_run(device_id: int) -> set[tuple[str, str, str]]:
    """The (kind, category, disk) of the device's items a person acknowledged since its newest
    run arrived, and since the kind was last unmuted (still_acknowledged). One query."""
    newest = Benchmark.objects.filter(device_id=device_id).order_by("-id").values("received_at")
    return {
        (kind, category, disk)
        for kind, category, disk, closed_at, unmuted in AttentionItem.objects.filter(
            device_id=device_id, closed_at__gte=Subquery(newest[:1])
        )
        .exclude(closed_by="")
        .values_list("kind", "category", "disk", "closed_at", "device__attention_unmuted")
        if still_acknowledged(kind, closed_at, unmuted)
    }


def still_acknowledged(kind: str, closed_at: datetime.datetime, unmuted: Mapping | None) -> bool:
    """Whether an item of `kind` acknowledged at `closed_at` (since its device's newest run)
    still keeps the condition closed: not when the kind was unmuted on the device since
    (`unmuted`: its attention_unmuted). The person who unmutes asks to be told again while the
    condition holds, as the unmuting's own judgment tells it: a peer's run and a rescore then
    open it too, where the muting's closing of the item kept it closed until the machine's
    next run."""
    at = (unmuted or {}).get(kind)
    return at is None or closed_at >= datetime.datetime.fromisoformat(at)


def device_snapshots(device_id: int, *, limit: int | None) -> list[dict]:
    """The newest `limit` snapshots' (all with None) id, time and disks (their
    `disk_readings`, by disk key), newest first. One query, which decodes no snapshot's whole
    storage."""
    return [snapshot_of(row) for row in _SNAPSHOTS.rows(device_id=device_id, limit=limit)]


def snapshot_of(row: tuple) -> dict:
    """A snapshot as device_snapshots gives it, from its row (id, captured_at, disk_readings)."""
    pk, captured_at, disks = row
    return {"id": pk, "captured_at": captured_at, "disks": disks_of(disks)}


# compiled once, its LIMIT given at each read: the API's ?smart_points= takes any of thousands
_SNAPSHOTS = Prepared(
    lambda device_id: (
        HardwareSnapshot.objects.filter(device_id=device_id)
        .order_by("-captured_at", "-id")
        .values_list("id", "captured_at", "disk_readings")
    ),
    device_id=int,
)


def previous_readings(
    snapshots: list[dict], *, device_id: int, more: bool
) -> dict[str, Mapping[str, Any]]:
    """Per disk of the newest of `snapshots` (the device's newest ones, newest first), each
    SMART counter it read, that counter's last reading before it: at the previous snapshot
    that had the disk and read that counter, however far back. A run that could not read it
    (without root) hides no rise: 0, then nothing, then 5 is a rise; nor does a disk plugged
    in now and then (a USB backup disk). No query when `snapshots` hold every reading wanted;
    otherwise (`more`: the device has snapshots older than these) the older snapshots are read,
    OLDER_PAGE at a time, until they do."""
    if not snapshots:
        return {}
    missing = {
        key: {name for name in SMART_COUNTERS if disk.get(name) is not None}
        for key, disk in snapshots[0]["disks"].items()
    }
    found: dict[str, dict[str, Any]] = {}
    batch = snapshots[1:]
    while True:
        for snapshot in batch:
            for key, disk in snapshot["disks"].items():
                if key not in missing:
                    continue
                readings = found.setdefault(key, {})
                for name in list(missing[key]):
                    if disk.get(name) is not None:
                        readings[name] = disk[name]
                        missing[key].discard(name)
        if not more or not any(missing.values()):
            return found
        oldest = (batch or snapshots)[-1]
        batch = _older_snapshots(device_id, oldest["captured_at"], oldest["id"])
        more = len(batch) == OLDER_PAGE


OLDER_PAGE = 200


def _older_snapshots(device_id: int, captured_at, pk: int) -> list[dict]:
    """The OLDER_PAGE snapshots of the device before this one, newest first."""
    rows = (
        HardwareSnapshot.objects.filter(device_id=device_id)
        .filter(Q(captured_at__lt=captured_at) | Q(captured_at=captured_at, id__lt=pk))
        .order_by("-captured_at", "-id")
        .values_list("id", "captured_at", "disk_readings")[:OLDER_PAGE]
    )
    return [{"id": pk, "captured_at": at, "disks": disks_of(disks)} for pk, at, disks in rows]


@functools.cache
def _open_items_query(lock: bool) -> Prepared:
    def build(device_id):
        # in the order of their ids, as an acknowledgement locks them (newest first, the
        # items' default order, each waited for the other: a deadlock)
        items = AttentionItem.objects.filter(device_id=device_id, closed_at__isnull=True)
        return (items.select_for_update() if lock else items).order_by("pk").values_list()

    return Prepared(build, device_id=int)


def device_open_items(device: Device, *, lock: bool = False) -> list[AttentionItem]:
    """The device's open items, in the order of their ids, each knowing its device (a
    notification names it); `lock`: locked until the transaction ends (PostgreSQL), in that
    order. One query, compiled once: a submission's evaluation reads them."""
    items = _open_items_query(lock).instances(device_id=device.pk)
    for item in items:
        item.device = device
    return items


def open_items(device_id: int) -> list[AttentionItem]:
    """A device's open items, critical first, newest first."""
    items = AttentionItem.objects.filter(device_id=device_id, closed_at__isnull=True)
    return list(items.select_related("device").order_by(CRITICAL_FIRST, "-opened_at", "-id"))


def closed_counts(device_id: int) -> tuple[int, int]:
    """How many of a device's items are closed (its past, listed on the items' admin page),
    and how many of those its retirement closed (not checked since). One query."""
    counts = AttentionItem.objects.filter(device_id=device_id, closed_at__isnull=False).aggregate(
        closed=Count("pk"), retired=Count("pk", filter=Q(closed_by=DEVICE_RETIRED))
    )
    return counts["closed"], counts["retired"]


class Board(NamedTuple):
    """The open items as the dashboard's panel shows them (attention_board)."""

    critical: list[AttentionItem]  # the newest critical items, their devices read
    critical_machines: int  # machines with a critical item open
    total: int  # open items
    # each warning kind with one open: (kind, machines, [(device_id, hostname, item id)…]),
    # the machines of its newest items first
    warnings: list[tuple[str, int, list[tuple[int, str, int]]]]


def attention_board(*, critical: int, named: int) -> Board:
    """The open items a person sees first: the newest `critical` critical items (they are
    few, and each is said); of each warning kind, how many machines have it and the `named`
    of them whose item of that kind is the newest. Three queries whatever is open, one when
    nothing is."""
    open_items = AttentionItem.objects.filter(closed_at__isnull=True)
    counts = open_items.aggregate(
        total=Count("id"),
        critical=Count("device", distinct=True, filter=Q(severity=Severity.CRITICAL)),
    )
    if not counts["total"]:
        return Board([], 0, 0, [])
    shown = list(
        open_items.filter(severity=Severity.CRITICAL)
        .select_related("device")
        .order_by("-opened_at", "-id")[:critical]
    )
    # each (kind, machine) once, by its newest item of that kind; ranked within its kind
    newer = open_items.filter(
        kind=OuterRef("kind"), device_id=OuterRef("device_id"), id__gt=OuterRef("id")
    )
    within_kind = {"partition_by": F("kind")}
    rows = (
        open_items.filter(severity=Severity.WARNING)
        .exclude(Exists(newer))
        .annotate(
            rank=Window(
                RowNumber(), order_by=(F("opened_at").desc(), F("id").desc()), **within_kind
            ),
            machines=Window(Count("id"), **within_kind),
        )
        .filter(rank__lte=named)
        .order_by("kind", "rank")
        .values("kind", "machines", "device_id", "device__hostname", "id")
    )
    warnings: dict[str, tuple[int, list[tuple[int, str, int]]]] = {}
    for row in rows:
        machines, named_rows = warnings.setdefault(row["kind"], (row["machines"], []))
        named_rows.append((row["device_id"], row["device__hostname"], row["id"]))
    in_order = [(kind, *warnings[kind]) for kind in Kind.values if kind in warnings]
    return Board(shown, counts["critical"], counts["total"], in_order)

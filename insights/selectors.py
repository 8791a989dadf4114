"""The data the insight rules read, in a fixed number of queries per device."""

import functools
import itertools
import json
import operator
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, TextField, When
from django.db.models.functions import Cast

from benchmarks import validity
from benchmarks.models import Benchmark, Validity
from benchsite.prepared import Prepared
from inventory.columns import disks_of, model_key
from inventory.models import Device, HardwareSnapshot
from inventory.schema import CATEGORY_NAMES

from . import rules
from .models import AttentionItem, Kind, Severity

# critical items before warnings, wherever open items are listed
_CRITICAL_FIRST = Case(
    When(severity=Severity.CRITICAL, then=0), default=1, output_field=IntegerField()
)
RUNS_READ = 60  # the newest valid runs read first; a baseline short of runs reads further back
SNAPSHOTS_READ = 50  # a disk's SMART history: the newest snapshots
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


def _runs_query(*, valid_only: bool, limit: int) -> Prepared:
    return Prepared(
        lambda device_id: (
            Benchmark.objects.filter(
                device_id=device_id, **({"validity": Validity.VALID} if valid_only else {})
            )
            .order_by("-run_at", "-id")
            .values_list(*RUN_COLUMNS)[:limit]
        ),
        device_id=int,
    )


_VALID_RUNS = _runs_query(valid_only=True, limit=RUNS_READ)
_LATEST_RUN = _runs_query(valid_only=False, limit=1)


def device_runs(device_id: int) -> tuple[rules.Run | None, list[rules.Run]]:
    """The run that ranks the device (its latest valid run with a score, else its latest valid
    run, else its latest: `valid` says which) and its valid runs before that one, newest first.
    One query when it has a valid run (two otherwise), which reads each run's small `methods`,
    not its results. The valid runs are read apart from the others: however many suspect runs
    came after them (a machine busy for weeks), its latest valid run and its baseline are
    found."""
    valid = [_run(row) for row in _VALID_RUNS.rows(device_id=device_id)]
    if not valid:
        rows = _LATEST_RUN.rows(device_id=device_id)
        return (_run(rows[0]) if rows else None), []
    # a run without a score (every category skipped: an inventory-only run) ranks no one
    # while a run has one, as in the ranking (inventory.runs)
    latest = next((run for run in valid if run.scores.get("global") is not None), valid[0])
    earlier = [run for run in valid if run.run_at < latest.run_at]
    more = len(valid) == RUNS_READ
    while more and _baseline_short(latest, earlier, settings.BASELINE_RUNS):
        # a category measured now and then (a GPU), or the latest method's runs further back
        # than the newest RUNS_READ: the baseline is drawn from the runs before, however far
        older = [_run(row) for row in _older_valid_runs(device_id, valid[-1])]
        valid += older
        earlier += older
        more = len(older) == OLDER_RUNS
    return latest, earlier


OLDER_RUNS = 500  # read at a time beyond the newest RUNS_READ, when a baseline needs them


def _baseline_short(latest: rules.Run, earlier: list[rules.Run], runs: int) -> bool:
    """Whether a figure of `latest` has fewer than `runs` earlier runs measured alike to draw
    its baseline from (rules.baseline)."""
    measured = [rules.Measured.of(run) for run in earlier]
    medians, _ = rules.medians_alike(latest.methods, measured, take=runs, minimum=runs)
    return any(value is not None and name not in medians for name, value in latest.scores.items())


def _older_valid_runs(device_id: int, oldest: rules.Run) -> list[tuple]:
    return list(
        Benchmark.objects.filter(device_id=device_id, validity=Validity.VALID)
        .filter(Q(run_at__lt=oldest.run_at) | Q(run_at=oldest.run_at, id__lt=oldest.id))
        .order_by("-run_at", "-id")
        .values_list(*RUN_COLUMNS)[:OLDER_RUNS]
    )


def _run(row: Sequence[Any]) -> rules.Run:
    pk, run_at, validity, methods, excluded, *scores = row
    return rules.Run(
        id=pk,
        run_at=run_at,
        scores=_figures(scores, excluded),
        methods=methods or {},
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
    lambda device_id: Device.objects.select_for_update().filter(pk=device_id).values_list("id"),
    device_id=int,
)


def device_lock(device_id: int) -> bool:
    """Lock the device's row until the transaction ends, as a submission does (PostgreSQL;
    SQLite's immediate transactions take turns); False if it is gone."""
    return bool(_DEVICE_LOCK.rows(device_id=device_id))


def latest_cpu_model(device_id: int) -> str:
    value = (
        Device.objects.filter(pk=device_id).values_list("latest_snapshot__cpu_model", flat=True)
    ).first()
    return value or ""


def device_peers(
    device_id: int, key: str, value: str, *, figures: Sequence[str] = FIGURE_NAMES
) -> rules.Peers:
    """The other benchmarked devices whose latest snapshot has this `value` of `key` (cpu_model
    or system_model): how many, and their ranking figures (`figures`, all by default; a
    submission's evaluation reads only "global") grouped by the methods they were measured
    with. One query, none for no value. A CPU model may be shared by thousands of machines: rows
    are read as tuples sorted by their methods' text (one bench.sh version makes one), grouped,
    and each group's methods decoded once."""
    wanted = model_key(value)
    if not wanted:
        return rules.Peers(0, [])
    rows = _peers_query(key, tuple(figures)).rows(wanted=wanted, device_id=device_id)
    # per methods' text, per figure its values; the rows come sorted by methods and exclusions
    by_methods: dict[str | None, list[list[float | None]]] = {}
    for (text, excluded), group in itertools.groupby(rows, key=_METHODS_AND_EXCLUDED):
        if excluded and excluded != "[]":  # a figure left out of its global score: not a peer's
            left_out = json.loads(excluded)
            group = [
                tuple(validity.counted(dict(zip(figures, row, strict=False)), left_out).values())
                for row in group
            ]
        columns = by_methods.setdefault(text, [[] for _ in figures])
        # the group's columns: its figures', then its methods and exclusions (not kept)
        for column, values in zip(columns, zip(*group, strict=True), strict=False):
            column.extend(values)
    measured = []
    for text, columns in by_methods.items():
        methods = json.loads(text) if text else None
        measured.append(
            rules.Measured(
                methods if isinstance(methods, dict) else {},
                dict(zip(figures, columns, strict=True)),
            )
        )
    return rules.Peers(len(rows), measured)


_METHODS_AND_EXCLUDED = operator.itemgetter(-2, -1)


@functools.cache
def _peers_query(key: str, figures: tuple[str, ...]) -> Prepared:
    return Prepared(
        lambda wanted, device_id: (
            # the key column follows latest_snapshot: a deleted latest snapshot leaves no peer
            Device.objects.filter(**{f"{key}_key": wanted}, latest_snapshot__isnull=False)
            .filter(global_score__isnull=False)
            .exclude(pk=device_id)
            .annotate(
                methods=Cast("ranking_methods", TextField()),
                excluded=Cast("ranking_excluded", TextField()),
            )
            .values_list(*(f"{name}_score" for name in figures), "methods", "excluded")
            .order_by("methods", "excluded")  # grouped by device_peers
        ),
        wanted=str,
        device_id=int,
    )


def acknowledged_since_newest_run(device_id: int) -> set[tuple[str, str, str]]:
    """The (kind, category, disk) of the device's items a person acknowledged since its newest
    run arrived. One query."""
    newest = Benchmark.objects.filter(device_id=device_id).order_by("-id").values("received_at")
    return set(
        AttentionItem.objects.filter(device_id=device_id, closed_at__gte=Subquery(newest[:1]))
        .exclude(closed_by="")
        .values_list("kind", "category", "disk")
    )


def below_peers_acknowledged(device_ids: set[int]) -> set[int]:
    """Which of these devices have a below_peers item a person acknowledged since their newest
    run arrived (acknowledged_since_newest_run, for several devices). One query."""
    newest = Benchmark.objects.filter(device_id=OuterRef("device_id")).order_by("-id")
    return set(
        AttentionItem.objects.filter(
            kind=Kind.BELOW_PEERS,
            device_id__in=device_ids,
            closed_at__gte=Subquery(newest.values("received_at")[:1]),
        )
        .exclude(closed_by="")
        .values_list("device_id", flat=True)
    )


def device_snapshots(device_id: int, *, limit: int = SNAPSHOTS_READ) -> list[dict]:
    """The newest snapshots' id, time and disks (their `disk_readings`, by disk key), newest
    first. One query, which decodes no snapshot's whole storage."""
    rows = _snapshots_query(limit).rows(device_id=device_id)
    return [
        {"id": pk, "captured_at": captured_at, "disks": disks_of(disks)}
        for pk, captured_at, disks in rows
    ]


@functools.cache
def _snapshots_query(limit: int) -> Prepared:
    return Prepared(
        lambda device_id: (
            HardwareSnapshot.objects.filter(device_id=device_id)
            .order_by("-captured_at", "-id")
            .values_list("id", "captured_at", "disk_readings")[:limit]
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
        key: {name for name in rules.SMART_COUNTERS if disk.get(name) is not None}
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
        items = AttentionItem.objects.filter(device_id=device_id, closed_at__isnull=True)
        return (items.select_for_update() if lock else items).values_list()

    return Prepared(build, device_id=int)


def device_open_items(device: Device, *, lock: bool = False) -> list[AttentionItem]:
    """The device's open items, in no order, each knowing its device (a notification names
    it); `lock`: locked until the transaction ends (PostgreSQL). One query, compiled once: a
    submission's evaluation reads them."""
    items = _open_items_query(lock).instances(device_id=device.pk)
    for item in items:
        item.device = device
    return items


def open_items(device_id: int) -> list[AttentionItem]:
    """A device's open items, critical first, newest first."""
    items = AttentionItem.objects.filter(device_id=device_id, closed_at__isnull=True)
    return list(items.select_related("device").order_by(_CRITICAL_FIRST, "-opened_at", "-id"))


def attention_board(*, limit: int = 20) -> tuple[list[AttentionItem], int]:
    """The open items a person sees first: critical before warning, newest first; and how
    many are open in all. Two queries."""
    open_items = AttentionItem.objects.filter(closed_at__isnull=True)
    shown = list(
        open_items.select_related("device").order_by(_CRITICAL_FIRST, "-opened_at", "-id")[:limit]
    )
    total = len(shown) if len(shown) < limit else open_items.count()
    return shown, total


_PEER_GROUP = Prepared(
    lambda wanted: (
        Device.objects.filter(
            cpu_model_key=wanted, latest_snapshot__isnull=False, global_score__isnull=False
        )
        .annotate(methods=Cast("ranking_methods", TextField()))
        .values_list("id", "ranking_run_valid", "global_score", "methods")
        .order_by("global_score")  # rules.below_peers_in_group reads them lowest first
    ),
    wanted=str,
)
# apart: a correlated EXISTS per machine cost more than this look-up of the few open items
_BELOW_PEERS_OPEN = Prepared(
    lambda wanted: (
        AttentionItem.objects.filter(
            kind=Kind.BELOW_PEERS, closed_at__isnull=True, device__cpu_model_key=wanted
        )
        .values_list("device_id")
        .order_by()
    ),
    wanted=str,
)


def peer_group(
    cpu_model: str = "", *, key: str = "", open_items: bool = True
) -> tuple[list[rules.Member], set[int]]:
    """Every benchmarked machine with this CPU model (or model `key`) as its peers see it,
    lowest figure first, and (`open_items`) which of them have a below_peers item open. Two
    queries (one without `open_items`)."""
    wanted = key or model_key(cpu_model)
    if not wanted:
        return [], set()
    members, methods_of = [], {}
    for pk, valid, score, text in _PEER_GROUP.rows(wanted=wanted):
        if text not in methods_of:
            decoded = json.loads(text) if text else None
            decoded = decoded if isinstance(decoded, dict) else {}
            methods_of[text] = tuple(decoded.get(name) for name in CATEGORY_NAMES)
        members.append(rules.Member(pk, bool(valid), score, methods_of[text]))
    if not open_items:
        return members, set()
    return members, {pk for (pk,) in _BELOW_PEERS_OPEN.rows(wanted=wanted)}

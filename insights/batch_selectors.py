"""What the rules read of many devices at once, for `rescore`'s judgment of a whole fleet: a
batch of devices in a fixed number of queries, where insights.selectors reads one device's in
about 16 (16,179 queries for 1,000 machines, perf/rescore.py). The same rows: each device's
newest runs and snapshots numbered per device (ROW_NUMBER() OVER its device, in the order of
its own read) where one device's read takes a LIMIT. Selectors: queries only, no writes."""

from collections.abc import Sequence
from typing import NamedTuple

from django.db.models import Case, Count, F, OuterRef, Subquery, Value, When, Window
from django.db.models.functions import RowNumber

from benchmarks.models import Benchmark, Validity
from inventory.columns import methods_of_key
from inventory.models import Device, HardwareSnapshot

from . import peer_selectors, rules, selectors
from .models import AttentionItem

# snapshots read to judge the disks on a submission: the newest and the ones before it that a
# disk's previous readings are found in (the API's history reads more)
SNAPSHOTS_JUDGED = 5


class Read(NamedTuple):
    """A device's runs (selectors.device_runs) and newest snapshots (selectors.device_snapshots)
    as device_assessment reads them."""

    runs: tuple[rules.Run | None, list[rules.Run]]
    snapshots: list[dict]


class Devices(NamedTuple):
    """What a judgment reads of each of a batch of devices, by device id."""

    cpu_models: dict[int, str]  # its latest snapshot's (selectors.latest_cpu_model)
    open_items: dict[int, list[AttentionItem]]  # selectors.device_open_items
    acknowledged: dict[int, set[tuple[str, str, str]]]  # acknowledged_since_newest_run
    reads: dict[int, Read]
    members: dict[int, tuple[str, rules.Member]]  # its model's key and its figure (peer_group)


def devices_read(devices: Sequence[Device], *, lock: bool = False) -> Devices:
    """What the rules read of each of these devices, in 7 queries whatever their number (up to
    500: each device's id is a parameter), and one more for each device whose baseline is
    short of its newest 60 valid runs (selectors.device_runs); `lock`: their open items locked
    until the transaction ends, in the order of their ids (another order waited for an
    acknowledgement of them that waited for it: a deadlock, the batch rolled back)."""
    ids = [device.pk for device in devices]
    by_id = {device.pk: device for device in devices}
    # locked in the order of their ids, as an acknowledgement and a retirement lock them
    items = AttentionItem.objects.filter(device_id__in=ids, closed_at__isnull=True).order_by("pk")
    open_items: dict[int, list[AttentionItem]] = {pk: [] for pk in ids}
    for item in items.select_for_update() if lock else items:
        item.device = by_id[item.device_id]
        open_items[item.device_id].append(item)
    newest = Benchmark.objects.filter(device_id=OuterRef("device_id")).order_by("-id")
    acknowledged: dict[int, set] = {pk: set() for pk in ids}
    for pk, kind, category, disk, closed_at, unmuted in (
        AttentionItem.objects.filter(
            device_id__in=ids, closed_at__gte=Subquery(newest.values("received_at")[:1])
        )
        .exclude(closed_by="")
        .values_list(
            "device_id", "kind", "category", "disk", "closed_at", "device__attention_unmuted"
        )
    ):
        if selectors.still_acknowledged(kind, closed_at, unmuted):
            acknowledged[pk].add((kind, category, disk))
    valid = _newest(ids, selectors.RUNS_READ, validity=Validity.VALID)
    latest = _newest(ids, 1, order=(_UNSCORED_LAST,))
    snapshots = _newest_snapshots(ids)
    reads = {
        pk: Read(
            selectors.runs_of(pk, valid.get(pk, []), lambda pk=pk: latest.get(pk, [])),
            [selectors.snapshot_of(row) for row in snapshots.get(pk, [])],
        )
        for pk in ids
    }
    cpu_models = {
        pk: model or ""
        for pk, model in Device.objects.filter(pk__in=ids).values_list(
            "pk", "latest_snapshot__cpu_model"
        )
    }
    members = {
        pk: (key, rules.Member(pk, bool(valid_), score, methods_of_key(text)))
        for key, pk, valid_, score, text in Device.objects.filter(
            pk__in=ids, **peer_selectors.PEERS
        ).values_list("cpu_model_key", *peer_selectors.MEMBER)
    }
    return Devices(cpu_models, open_items, acknowledged, reads, members)


# the order of selectors._LATEST_RUN: the latest run with a score, else the latest run
_UNSCORED_LAST = Case(When(global_score__isnull=True, then=Value(1)), default=Value(0))


def _newest(ids: list[int], limit: int, *, order=(), **only) -> dict[int, list[tuple]]:
    """Each device's newest `limit` runs (of those `only` selects), newest first, as
    selectors._runs_query reads them: their RUN_COLUMNS rows by device id."""
    ranked = Window(
        RowNumber(),
        partition_by=F("device_id"),
        order_by=[*order, F("run_at").desc(), F("id").desc()],
    )
    rows = (
        Benchmark.objects.filter(device_id__in=ids, **only)
        .annotate(place=ranked)
        .filter(place__lte=limit)
        .values_list("device_id", "place", *selectors.RUN_COLUMNS)
        .order_by()
    )
    return _by_device(rows)


def _newest_snapshots(ids: list[int]) -> dict[int, list[tuple]]:
    """Each device's newest SNAPSHOTS_JUDGED snapshots' (id, captured_at, disk_readings)."""
    ranked = Window(
        RowNumber(),
        partition_by=F("device_id"),
        order_by=[F("captured_at").desc(), F("id").desc()],
    )
    rows = (
        HardwareSnapshot.objects.filter(device_id__in=ids)
        .annotate(place=ranked)
        .filter(place__lte=SNAPSHOTS_JUDGED)
        .values_list("device_id", "place", "id", "captured_at", "disk_readings")
        .order_by()
    )
    return _by_device(rows)


def _by_device(rows) -> dict[int, list[tuple]]:
    """Rows (device id, place, …) as each device's (…), in the order of their places."""
    found: dict[int, list[tuple]] = {}
    for device_id, _place, *row in sorted(rows, key=lambda row: (row[0], row[1])):
        found.setdefault(device_id, []).append(tuple(row))
    return found


def groups_read(keys) -> dict[str, rules.Group]:
    """The machines of each of these CPU model keys as below_peers judges one of them
    (peer_selectors.peer_group, without a member: each device's comes from devices_read), in one
    query whatever the number of models: each machine numbered in its model's and methods'
    order by a window, with their count, and only the figures around each middle read
    (rules.middle). peer_group reads a model's in two queries or more, the middle at an offset
    that a count before it gives: a batch's models read so cost 1,629 queries for 1,000
    machines of 200 models, 195 now (perf/rescore.py)."""
    keys = set(keys)
    wanted = sorted(key for key in keys if key)
    sizes: dict[str, dict[tuple, int]] = {key: {} for key in keys}
    middles: dict[str, dict[tuple, tuple[int, tuple[float, ...]]]] = {key: {} for key in keys}
    if wanted:
        by_group: dict[tuple[str, str], list[tuple[int, float, int]]] = {}
        for key, text, size, place, score in _middles(wanted):
            by_group.setdefault((key, text), []).append((place, score, size))
        for (key, text), rows in by_group.items():
            size = rows[0][2]
            start, count = rules.middle(size)
            figures = tuple(score for place, score, _ in sorted(rows) if place > start)[:count]
            methods = methods_of_key(text)
            sizes[key][methods], middles[key][methods] = size, (start, figures)
    return {key: rules.Group(sizes[key], middles[key], []) for key in keys}


def _middles(wanted: list[str]):
    """The machines of these model keys near their middles: (key, methods' key, how many there
    are measured so, place among them from 1, lowest figure first, figure). Numbered and
    counted in the statement that reads them: a machine coming or going meanwhile moves both."""
    measured_so = [F("cpu_model_key"), F("ranking_methods_key")]
    return (
        Device.objects.filter(cpu_model_key__in=wanted, **peer_selectors.PEERS)
        .annotate(
            place=Window(RowNumber(), partition_by=measured_so, order_by=F("global_score").asc()),
            size=Window(Count("pk"), partition_by=measured_so),
        )
        # rules.middle's figures, from place (size - 1) // 2 (1 at least) on, 3 at most: those
        # with size - 2 <= 2 * place <= size + 3
        .annotate(twice=F("place") * 2)
        .filter(twice__gte=F("size") - 2, twice__lte=F("size") + 3)
        .values_list("cpu_model_key", "ranking_methods_key", "size", "place", "global_score")
        .order_by()
    )

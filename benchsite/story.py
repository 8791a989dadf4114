"""A device's story for its admin page: its hardware, its runs and what changed between them.

The composition layer: it reads inventory (snapshots, hardware diff) and benchmarks (runs).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from benchmarks.models import Benchmark, Validity
from benchmarks.selectors import benchmark_history
from inventory.history import snapshot_changes, snapshot_sections
from inventory.models import Device
from inventory.schema import CATEGORIES

HISTORY_LIMIT = 100
SNAPSHOT_LIST_LIMIT = 20


@dataclass
class HistoryRow:
    """One benchmark of the device's history, with what changed since the previous run."""

    benchmark: Benchmark
    scores: dict[str, float | None]
    cpu_single: float | None
    cpu_multi: float | None
    changes: list[str] = field(default_factory=list)

    @property
    def run_at(self) -> datetime:
        return self.benchmark.run_at

    @property
    def category_scores(self) -> list[tuple[Any, float | None]]:
        return [(category, self.scores[category.name]) for category in CATEGORIES]


def _result(results: dict, category: str, key: str) -> float | None:
    value = (results or {}).get(category)
    if not isinstance(value, dict):
        return None
    number = value.get(key)
    return number if isinstance(number, int | float) and not isinstance(number, bool) else None


def device_history(device: Device, *, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The newest `limit` benchmarks, newest first, each with its hardware changes.

    One query: benchmarks with their snapshot (its raw copy deferred, it can be large).
    """
    benchmarks = list(
        benchmark_history(device_id=device.pk)
        .select_related("snapshot")
        .defer("snapshot__raw", "extra")[: limit + 1]  # one more: the oldest needs its predecessor
    )
    rows = []
    for index, benchmark in enumerate(benchmarks[:limit]):
        previous = benchmarks[index + 1] if index + 1 < len(benchmarks) else None
        rows.append(
            HistoryRow(
                benchmark=benchmark,
                scores={"global": benchmark.global_score, **benchmark.category_scores},
                cpu_single=_result(benchmark.results, "cpu", "score_single"),
                cpu_multi=_result(benchmark.results, "cpu", "score_multi"),
                changes=snapshot_changes(
                    previous.snapshot if previous else None, benchmark.snapshot
                ),
            )
        )
    return rows


def device_story(device: Device) -> dict[str, Any]:
    """Everything the device page shows about the machine, in a handful of queries."""
    history = device_history(device)
    snapshots = list(
        device.snapshots.defer("raw").order_by("-captured_at", "-id")[: SNAPSHOT_LIST_LIMIT + 1]
    )
    for index, snapshot in enumerate(snapshots):
        following = snapshots[index + 1] if index + 1 < len(snapshots) else None
        snapshot.previous_id = following.pk if following else None
    latest_snapshot = snapshots[0] if snapshots else None
    latest = history[0].benchmark if history else None
    benchmarks_count = len(history) if len(history) < HISTORY_LIMIT else device.benchmarks.count()
    storage = (latest_snapshot.storage or {}) if latest_snapshot else {}
    network = (latest_snapshot.network or {}) if latest_snapshot else {}
    return {
        "snapshot": latest_snapshot,
        "sections": snapshot_sections(latest_snapshot) if latest_snapshot else [],
        "disks": [d for d in storage.get("devices") or [] if isinstance(d, dict)],
        "partitions": [p for p in storage.get("partitions") or [] if isinstance(p, dict)],
        "interfaces": [i for i in network.get("interfaces") or [] if isinstance(i, dict)],
        "latest": latest,
        # the figures that rank the device, as the dashboard and the device list show them:
        # the device's own ranking columns (benchmarks.services keeps them with each run)
        "ranking_scores": [
            (category, getattr(device, f"{category.name}_score")) for category in CATEGORIES
        ],
        # the latest run ranks the device unless it is suspect and an older run is valid
        "ranked_by_latest": latest is not None
        and (latest.validity == Validity.VALID or not device.ranking_run_valid),
        "history": history,
        "history_truncated": benchmarks_count > len(history),
        "benchmarks_count": benchmarks_count,
        "snapshots": snapshots[:SNAPSHOT_LIST_LIMIT],
        "categories": CATEGORIES,
    }

"""Re-applying the scoring and validity rules in force to stored runs (`manage.py rescore`,
the benchmark list's action)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.db.models import F, QuerySet

from inventory.models import HardwareSnapshot
from inventory.rows import rows_update
from inventory.runs import Ranked
from inventory.services import devices_latest_snapshot_refresh

from . import scoring, signals, validity
from .models import CATEGORY_FIELDS, Benchmark, Validity
from .services import device_ranking_refresh, score_weights, validity_thresholds

RESCORE_BATCH = 1000


@dataclass(frozen=True)
class Rescored:
    """One benchmark whose stored scoring differs from what the rules in force give."""

    benchmark_id: int
    hostname: str
    global_before: float | None
    global_after: float | None
    validity_before: str
    validity_after: str
    run_at_before: datetime | None = None
    run_at_after: datetime | None = None
    # dated by its arrival (its started_at unreadable, from a clock years off): the line says so
    by_arrival: bool = False

    @property
    def figures_changed(self) -> bool:
        """Whether its global score, validity or run time changes: a run whose figures stay is
        counted, not listed (only the weights and rules it records change)."""
        return (self.global_before, self.validity_before, self.run_at_before) != (
            self.global_after,
            self.validity_after,
            self.run_at_after,
        )


SHOWN = 50  # the runs whose figures change kept to be listed, one per line; the rest counted


@dataclass
class RescoreResult:
    examined: int = 0
    changed: int = 0  # runs whose stored scoring differs from what the rules in force give
    moved: int = 0  # of those, the runs whose figures change (Rescored.figures_changed)
    # the first SHOWN of them, in id order: an upgrade's 100,000 changes are counted, not kept
    # (rescore of 100,000 runs on SQLite, perf/rescore.py: peak memory 180 -> 154 MB)
    shown: list[Rescored] = field(default_factory=list)
    device_ids: set[int] = field(default_factory=set)  # the devices of the runs examined
    # with `ranking`: the run each device examined is ranked by, as the rules in force score its
    # runs (inventory.runs.Ranked: a time and a figure a device, whatever its history)
    ranked: dict[int, Ranked] = field(default_factory=dict)

    def add(self, change: Rescored) -> None:
        self.changed += 1
        if change.figures_changed:
            self.moved += 1
            if len(self.shown) < SHOWN:
                self.shown.append(change)


def benchmark_rescore(
    *,
    benchmarks: QuerySet[Benchmark] | None = None,
    weights: Mapping[str, float] | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    ranking: bool = False,
) -> RescoreResult:
    """Re-apply the scoring, validity and run-time rules in force to stored runs: global
    score, validity and its reasons, excluded categories, the weights and scoring version
    recorded, and the run time (conditions.started_at, received_at kept: runs stored by a
    version that dated them by arrival); then every device's ranking figures, whatever changed
    (a device's figures stored by an older rule are put right too). `dry_run` reports the
    changes and saves nothing. `ranking` keeps in `ranked` the run each device would be ranked
    by, for a dry run's ranking (`benchmarks` must then hold all the runs of its devices).

    A run's snapshot is put at the run's time where it is not (benchmarks_ingest captures it
    then; an earlier version's rescore re-dated runs and left their snapshots at arrival), and
    its device then points at its newest snapshot.

    Batched so memory stays flat over any history; each batch commits on its own, after which
    `progress` is told how many runs were examined so far.
    """
    weights = dict(weights or score_weights())
    thresholds = validity_thresholds()
    queryset = (
        (benchmarks if benchmarks is not None else Benchmark.objects.all())
        .only(
            "id",
            "device_id",
            "snapshot_id",
            *RESCORED_FIELDS,
            "received_at",
            "results",
            *CATEGORY_FIELDS,
        )  # fmt: skip
        # the columns wanted of its device and snapshot, not an instance of each (perf/rescore.py)
        .annotate(hostname=F("device__hostname"), snapshot_at=F("snapshot__captured_at"))
    )
    result = RescoreResult()
    moved: set[int] = set()  # devices whose snapshots moved with their runs
    last_pk = 0
    while True:
        # keyset pages rather than one open cursor: writes between reads are safe everywhere
        page = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:RESCORE_BATCH])
        if not page:
            break
        last_pk = page[-1].pk
        result.examined += len(page)
        result.device_ids.update(run.device_id for run in page)
        batch = []
        for benchmark in page:
            before = (benchmark.global_score, benchmark.validity, benchmark.run_at)
            if _rescored(benchmark, weights, thresholds):
                batch.append(benchmark)
                result.add(
                    Rescored(
                        benchmark.pk,
                        benchmark.hostname,
                        before[0],
                        benchmark.global_score,
                        before[1],
                        benchmark.validity,
                        before[2],
                        benchmark.run_at,
                        benchmark.run_at == benchmark.received_at,
                    )
                )
            if ranking:  # by its figures as rescored, changed or not
                _rank(result.ranked, benchmark)
        apart = [run for run in page if run.snapshot_id and run.snapshot_at != run.run_at]
        if (batch or apart) and not dry_run:
            with transaction.atomic():
                rows_update(Benchmark, batch, RESCORED_FIELDS)
                moved |= _snapshots_moved_with_their_runs(apart)
        if progress is not None:
            progress(result.examined)
    if moved:  # a device's latest snapshot is its newest by the times now
        devices_latest_snapshot_refresh(device_ids=moved)
    if not dry_run:
        # the devices' figures follow their runs' scores and times: those of the runs examined
        # (`rescore --device`, the admin's selection, which a filter on validity or scoring
        # version no longer selects once rescored), or every device
        if benchmarks is None:
            device_ranking_refresh()
        ids = sorted(result.device_ids)
        for start in range(0, len(ids) if benchmarks is not None else 0, DEVICES_CHUNK):
            device_ranking_refresh(device_ids=ids[start : start + DEVICES_CHUNK])
    return result


DEVICES_CHUNK = 500  # device ids per statement: within every database's parameter limit
# the admin's rescore, in one request (perf/admin_actions.py, SQLite, 18 runs a machine):
# 10,000 runs and their 555 machines judged again took 4.7-7.8 s (PostgreSQL 10 s); 50,000 took
# 45 s (19 s the runs, 26 s the 2,777 machines' judgment; PostgreSQL 50 s), too close to the
# worker's 60 s timeout (gunicorn.conf.py),
# and one transaction that long holds SQLite's write lock past a submission's 30 s busy
# timeout. More is refused, naming `manage.py rescore`, which commits as it goes.
RESCORE_IN_A_REQUEST = 10_000


def benchmark_rescore_selected(*, benchmarks: QuerySet[Benchmark]) -> RescoreResult:
    """The admin's rescore of selected runs (at most RESCORE_IN_A_REQUEST): benchmark_rescore
    in one transaction, all of it or, a worker killed, none; then runs_rescored, on which the
    insights judge the runs' devices again once it commits, as `manage.py rescore --device`
    judges them."""
    with transaction.atomic():
        result = benchmark_rescore(benchmarks=benchmarks)
        signals.runs_rescored.send(sender=Benchmark, device_ids=sorted(result.device_ids))
    return result


class _Moved(NamedTuple):
    """A snapshot's new time, as rows_update writes it (its pk and field): a HardwareSnapshot
    made for each cost 1.1 s of 10,000 runs under cProfile."""

    pk: int
    captured_at: datetime


def _snapshots_moved_with_their_runs(runs: list[Benchmark]) -> set[int]:
    """Each run's snapshot put at the run's time, in one statement for the batch (an upgrade
    moves every snapshot of 100,000 runs); the devices whose snapshots moved."""
    snapshots: dict[int, _Moved] = {}
    for run in runs:  # a snapshot of several runs at the first one's time, as it was put
        if run.snapshot_id not in snapshots:
            snapshots[run.snapshot_id] = _Moved(run.snapshot_id, run.run_at)
    rows_update(HardwareSnapshot, list(snapshots.values()), ["captured_at"])
    return {run.device_id for run in runs}


def _rank(ranked: dict[int, Ranked], run: Benchmark) -> None:
    """The device's ranking run, this run taken into account (inventory.runs' rule, the one a
    submission and device_ranking_refresh apply: runs come in id order, the newest stored of a
    time last)."""
    now = ranked.get(run.device_id) or Ranked(None)
    valid, score = run.validity == Validity.VALID, run.global_score
    if now.taken_by(run.run_at, valid=valid, score=score):
        ranked[run.device_id] = Ranked(run.run_at, valid and score is not None, score)


RESCORED_FIELDS = (
    "run_at",
    "global_score",
    "weights",
    "scoring_version",
    "validity",
    "validity_reasons",
    "excluded_categories",
)


def _rescored(benchmark: Benchmark, weights, thresholds) -> bool:
    """Apply the rules in force to one benchmark in memory; whether anything changed."""
    reasons = validity.validity_reasons(benchmark.results, thresholds)
    excluded = validity.excluded_categories(benchmark.results)
    new = {
        "run_at": validity.run_time(benchmark.results, received_at=benchmark.received_at),
        "global_score": scoring.global_score(benchmark.category_scores, weights, excluded),
        "weights": weights,
        "scoring_version": scoring.SCORING_VERSION,
        "validity": Validity.SUSPECT if reasons else Validity.VALID,
        "validity_reasons": reasons,
        "excluded_categories": excluded,
    }
    if all(getattr(benchmark, name) == value for name, value in new.items()):
        return False
    for name, value in new.items():
        setattr(benchmark, name, value)
    return True

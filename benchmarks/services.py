"""The ingestion pipeline and the other writes of benchmarks."""

import functools
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    JSONField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.columns import methods_key, model_keys
from inventory.matching import IdentityKeys, device_find_or_create
from inventory.models import Device, HardwareSnapshot
from inventory.runs import PeerPlace, RunRecord, device_methods_keys_refresh, device_run_record
from inventory.schema import Results, Submission
from inventory.services import snapshot_record

from . import scoring, signals, validity
from .models import CATEGORY_FIELDS, Benchmark, Validity

logger = logging.getLogger(__name__)

# Concurrent first submissions of one new hostname race on its unique index (PostgreSQL; SQLite
# serialises writers): the loser retries and finds the winner's device.
INGEST_ATTEMPTS = 3
# what PostgreSQL asks a transaction to be run again for: a deadlock it broke (a device renamed
# while its machine's submissions arrive: one waits for the row under its old name, another
# for the identity lock the first one takes next), a serialization failure
RUN_AGAIN = frozenset({"40P01", "40001"})


def _to_run_again(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in RUN_AGAIN


KNOWN_TOP_LEVEL = frozenset(
    {"device_identifier", "bench_script_version", "submission_id", "hardware", "results"}
)


@dataclass(frozen=True)
class IngestResult:
    device_id: int
    snapshot_id: int | None
    benchmark_id: int
    global_score: float | None
    created: bool  # False: a retried submission_id, nothing stored
    device_created: bool = False  # the submission made its device
    renamed_from: str | None = None  # the device's hostname before the submission renamed it
    validity: str = "valid"
    validity_reasons: list[str] = field(default_factory=list)
    excluded_categories: list[str] = field(default_factory=list)
    # the device's CPU model key before this run (its peers' group, should the run move it)
    previous_cpu_model_key: str = ""
    # where the device stood among its CPU model's machines before this run (None: not told)
    previous_place: PeerPlace | None = field(default=None, compare=False)
    # the stored objects, for the caller's after_store (not compared: ids say it all)
    device: Device | None = field(default=None, compare=False, repr=False)
    snapshot: HardwareSnapshot | None = field(default=None, compare=False, repr=False)
    # the run brought its retired machine back into service (inventory.runs)
    returned: bool = False


def score_weights() -> dict[str, float]:
    """The weights in force (SCORE_WEIGHTS), validated at startup by benchmarks.apps."""
    return dict(_parsed_weights(settings.SCORE_WEIGHTS))


@functools.lru_cache(maxsize=8)
def _parsed_weights(spec: str) -> dict[str, float]:
    # parsed once per value, not per submission (keyed by the string: tests override it)
    return scoring.parse_weights(spec)


def _category_scores(results: Results | None) -> dict[str, float | None]:
    sections = {name: getattr(results, name, None) for name in scoring.CATEGORIES}
    return {name: section.score if section else None for name, section in sections.items()}


def _existing(submission_id) -> IngestResult | None:
    benchmark = (
        Benchmark.objects.filter(submission_id=submission_id)
        .only(
            "id",
            "device_id",
            "snapshot_id",
            "global_score",
            "validity",
            "validity_reasons",
            "excluded_categories",
        )
        .first()
    )
    if benchmark is None:
        return None
    return IngestResult(
        device_id=benchmark.device_id,
        snapshot_id=benchmark.snapshot_id,
        benchmark_id=benchmark.pk,
        global_score=benchmark.global_score,
        created=False,
        validity=benchmark.validity,
        validity_reasons=benchmark.validity_reasons,
        excluded_categories=benchmark.excluded_categories,
    )


# what the caller does with a stored run right after its transaction commits (the composition
# layer: insights' attention evaluation); a failure there is logged, never the submission's
AfterStore = Callable[[IngestResult], None]


def benchmark_ingest(
    *,
    submission: Submission,
    document: Mapping[str, Any],
    submitted_by: str = "",
    after_store: AfterStore | None = None,
) -> IngestResult:
    """Store one validated submission: device (found or created), snapshot, scored benchmark.

    `submission` is the validated submission (benchmarks.validation), `document` the JSON
    object as received (its unknown keys are kept). All or nothing: one transaction. A repeated
    submission_id stores nothing and returns the first submission's ids. `after_store` gets
    the stored run once its transaction has committed (not for a repeated submission_id).
    """
    started = time.monotonic()
    submission_id = submission.submission_id
    # No look-up first: a repeated submission_id is rare, and its unique index refuses the
    # second insert (IntegrityError below), which saves a query on every other submission.
    weights = score_weights()
    scores = _category_scores(submission.results)
    for attempt in range(1, INGEST_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                result = _ingest(submission, document, scores, weights, submitted_by)
            break
        except IntegrityError:
            if submission_id is not None and (existing := _existing(submission_id)):
                return existing
            if attempt == INGEST_ATTEMPTS:
                raise
        except OperationalError as error:
            # answered 503 before: bench.sh sent the run again 30 s later, a run without
            # retries was lost
            if not _to_run_again(error) or attempt == INGEST_ATTEMPTS:
                raise
            logger.warning("submission of %s run again: %s", submission.device_identifier, error)
    if after_store is not None:
        try:
            after_store(result)
        except Exception:
            # the run is stored and answered as such; the next submission evaluates again
            logger.exception(
                "after storing benchmark %s of device %s: %s failed",
                result.benchmark_id,
                result.device_id,
                getattr(after_store, "__qualname__", after_store),
            )
    logger.info(
        "submission device=%s device_id=%s benchmark_id=%s global=%s %s by=%s in %.0f ms",
        submission.device_identifier,
        result.device_id,
        result.benchmark_id,
        result.global_score,
        " ".join(f"{name}={score}" for name, score in scores.items()),
        submitted_by or "-",
        (time.monotonic() - started) * 1000,
    )
    return result


def validity_thresholds() -> validity.Thresholds:
    """The run-validity thresholds in force (VALIDITY_* settings)."""
    return validity.Thresholds(
        busy_pct=settings.VALIDITY_BUSY_PCT,
        steal_pct=settings.VALIDITY_STEAL_PCT,
        max_cv_pct=settings.VALIDITY_MAX_CV_PCT,
        max_cv_pct_network=settings.VALIDITY_MAX_CV_PCT_NETWORK,
    )


def _ingest(submission: Submission, document, scores, weights, submitted_by) -> IngestResult:
    hardware = submission.hardware
    version = submission.bench_script_version or ""
    raw_results = document.get("results")
    results = dict(raw_results) if isinstance(raw_results, Mapping) else {}
    received_at = timezone.now()
    run_at = validity.run_time(results, received_at=received_at)
    reasons = validity.validity_reasons(results, validity_thresholds())
    excluded = validity.excluded_categories(results)
    device, device_created, renamed_from = device_find_or_create(
        identifier=submission.device_identifier,
        keys=IdentityKeys.from_hardware(hardware),
        actor=submitted_by,
        run_at=run_at,
    )
    previous_cpu_model_key, previous_place = device.cpu_model_key, PeerPlace.of(device)
    snapshot = snapshot_record(
        device=device,
        hardware=hardware,
        raw=document.get("hardware"),
        bench_script_version=version,
        captured_at=run_at,
    )
    benchmark = Benchmark.objects.create(
        device=device,
        snapshot=snapshot,
        run_at=run_at,
        received_at=received_at,
        bench_script_version=version,
        global_score=scoring.global_score(scores, weights, excluded),
        results=results,
        methods=scoring.methods_of(results),
        extra={k: v for k, v in document.items() if k not in KNOWN_TOP_LEVEL},
        validity=Validity.SUSPECT if reasons else Validity.VALID,
        validity_reasons=reasons,
        excluded_categories=excluded,
        scoring_version=scoring.SCORING_VERSION,
        weights=weights,
        submission_id=submission.submission_id,
        submitted_by=submitted_by[:100],
        **{f"{name}_score": score for name, score in scores.items()},
    )
    recorded = device_run_record(device=device, run=run_record(benchmark), actor=submitted_by)
    return IngestResult(
        device_id=device.pk,
        snapshot_id=snapshot.pk,
        benchmark_id=benchmark.pk,
        global_score=benchmark.global_score,
        created=True,
        device_created=device_created,
        renamed_from=renamed_from,
        validity=benchmark.validity,
        validity_reasons=reasons,
        excluded_categories=excluded,
        previous_cpu_model_key=previous_cpu_model_key,
        previous_place=previous_place,
        device=device,
        snapshot=snapshot,
        returned="retired_on" in recorded,
    )


RANKING_FIGURES = ("global_score", *CATEGORY_FIELDS)


def run_record(benchmark: Benchmark) -> RunRecord:
    """What the device keeps of a run: its time, validity, snapshot and ranking figures."""
    return RunRecord(
        run_at=benchmark.run_at,
        received_at=benchmark.received_at,
        valid=benchmark.validity == Validity.VALID,
        validity=benchmark.validity,
        reasons=benchmark.validity_reasons,
        snapshot_id=benchmark.snapshot_id,
        snapshot_at=benchmark.snapshot.captured_at if benchmark.snapshot_id else None,
        model_keys=model_keys(benchmark.snapshot),
        figures={
            **{name: getattr(benchmark, name) for name in RANKING_FIGURES},
            "ranking_methods": benchmark.methods,
            "ranking_methods_key": methods_key(benchmark.methods, benchmark.excluded_categories),
            "ranking_excluded": benchmark.excluded_categories,
        },
    )


def device_ranking_refresh(*, device_ids: Iterable[int] | None = None) -> int:
    """Recompute devices' run columns from their benchmarks (after a deletion or a rescore),
    by the rule of inventory.runs.device_run_changes: the figures of the latest valid run
    with a score, else of the latest run with one, else of the latest run. One UPDATE with
    correlated subqueries; every device when `device_ids` is None."""
    latest = Benchmark.objects.filter(device=OuterRef("pk")).order_by("-run_at", "-id")
    # the latest arrival: each device's runs aggregated off its index (benchmarks_device_time),
    # where "ORDER BY received_at DESC LIMIT 1" may walk the fleet's arrivals backward
    arrived = (
        Benchmark.objects.filter(device=OuterRef("pk"))
        .order_by()
        .values("device")
        .annotate(last=Max("received_at"))
    )
    # a run without any score (every category skipped) ranks no one while another run has one
    scored = latest.filter(global_score__isnull=False)
    valid = scored.filter(validity=Validity.VALID)
    has_valid = Exists(valid)

    def ranked(name: str):
        return Case(
            When(has_valid, then=Subquery(valid.values(name)[:1])),
            When(Exists(scored), then=Subquery(scored.values(name)[:1])),
            default=Subquery(latest.values(name)[:1]),
        )

    devices = (
        Device.objects.all()
        if device_ids is None
        else Device.objects.filter(pk__in=set(device_ids))
    )
    with transaction.atomic():
        # The devices' rows first, in one order: a submission being stored for one of them is
        # waited for, and the UPDATE below then reads its run (on PostgreSQL an UPDATE that
        # waits on a row reads the subqueries as they were before: the run's figures were
        # overwritten with the older ones until the device's next run)
        list(devices.select_for_update().order_by("pk").values_list("pk"))
        refreshed = devices.update(
            last_benchmark_at=Subquery(latest.values("run_at")[:1]),
            last_received_at=Subquery(arrived.values("last")),
            latest_validity=Coalesce(Subquery(latest.values("validity")[:1]), Value("")),
            latest_validity_reasons=Coalesce(
                Subquery(latest.values("validity_reasons")[:1]), Value([], JSONField())
            ),
            ranking_run_at=ranked("run_at"),
            ranking_run_valid=Case(
                When(has_valid, then=Value(True)),
                When(Exists(latest), then=Value(False)),
                default=Value(None),
                output_field=BooleanField(),
            ),
            **{name: ranked(name) for name in RANKING_FIGURES},
            ranking_methods=Coalesce(ranked("methods"), Value({}, JSONField())),
            ranking_excluded=Coalesce(ranked("excluded_categories"), Value([], JSONField())),
        )
        device_methods_keys_refresh(devices)
        return refreshed


@transaction.atomic
def benchmark_delete(*, benchmarks: QuerySet[Benchmark]) -> int:
    """Delete benchmarks and keep their devices' latest-benchmark pointers right."""
    device_ids = list(benchmarks.values_list("device_id", flat=True).distinct())
    deleted, _ = benchmarks.delete()
    device_ranking_refresh(device_ids=device_ids)
    if deleted:
        signals.runs_deleted.send(sender=Benchmark, device_ids=sorted(device_ids))
    return deleted

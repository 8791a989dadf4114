"""The ingestion pipeline and the other writes of benchmarks."""

import functools
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from inventory.models import Device
from inventory.schema import Results, Submission
from inventory.services import (
    IdentityKeys,
    device_find_or_create,
    device_ranking_set,
    snapshot_record,
)

from . import scoring
from .models import CATEGORY_FIELDS, Benchmark

logger = logging.getLogger(__name__)

# Concurrent first submissions of one new hostname race on its unique index (PostgreSQL; SQLite
# serialises writers): the loser retries and finds the winner's device.
INGEST_ATTEMPTS = 3
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
        .only("id", "device_id", "snapshot_id", "global_score")
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
    )


def benchmark_ingest(
    *, submission: Submission, document: Mapping[str, Any], submitted_by: str = ""
) -> IngestResult:
    """Store one validated submission: device (found or created), snapshot, scored benchmark.

    `submission` is the validated submission (benchmarks.validation), `document` the JSON
    object as received (its unknown keys are kept). All or nothing: one transaction. A repeated
    submission_id stores nothing and returns the first submission's ids.
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


def _ingest(submission: Submission, document, scores, weights, submitted_by) -> IngestResult:
    hardware = submission.hardware
    version = submission.bench_script_version or ""
    now = timezone.now()
    device, _ = device_find_or_create(
        identifier=submission.device_identifier,
        keys=IdentityKeys.from_system(hardware.system if hardware else None),
    )
    snapshot = snapshot_record(
        device=device,
        hardware=hardware,
        raw=document.get("hardware"),
        bench_script_version=version,
        captured_at=now,
    )
    raw_results = document.get("results")
    benchmark = Benchmark.objects.create(
        device=device,
        snapshot=snapshot,
        run_at=now,
        bench_script_version=version,
        global_score=scoring.global_score(scores, weights),
        results=dict(raw_results) if isinstance(raw_results, Mapping) else {},
        extra={k: v for k, v in document.items() if k not in KNOWN_TOP_LEVEL},
        scoring_version=scoring.SCORING_VERSION,
        weights=weights,
        submission_id=submission.submission_id,
        submitted_by=submitted_by[:100],
        **{f"{name}_score": score for name, score in scores.items()},
    )
    device_ranking_set(
        device_id=device.pk,
        run_at=benchmark.run_at,
        snapshot_id=snapshot.pk,
        figures=benchmark_figures(benchmark),
    )
    return IngestResult(
        device_id=device.pk,
        snapshot_id=snapshot.pk,
        benchmark_id=benchmark.pk,
        global_score=benchmark.global_score,
        created=True,
    )


def benchmark_figures(benchmark: Benchmark) -> dict[str, float | None]:
    """The figures of a run that rank its device: global and category scores."""
    return {name: getattr(benchmark, name) for name in RANKING_FIGURES}


RANKING_FIGURES = ("global_score", *CATEGORY_FIELDS)


def device_ranking_refresh(*, device_ids: Iterable[int] | None = None) -> int:
    """Recompute devices' ranking figures from their benchmarks (after a deletion or a rescore):
    one UPDATE with a correlated subquery per figure; all devices when `device_ids` is None."""
    latest = Benchmark.objects.filter(device=OuterRef("pk")).order_by("-run_at", "-id")
    devices = (
        Device.objects.all()
        if device_ids is None
        else Device.objects.filter(pk__in=set(device_ids))
    )
    return devices.update(
        last_benchmark_at=Subquery(latest.values("run_at")[:1]),
        **{name: Subquery(latest.values(name)[:1]) for name in RANKING_FIGURES},
    )


@transaction.atomic
def benchmark_delete(*, benchmarks: QuerySet[Benchmark]) -> int:
    """Delete benchmarks and keep their devices' latest-benchmark pointers right."""
    device_ids = list(benchmarks.values_list("device_id", flat=True).distinct())
    deleted, _ = benchmarks.delete()
    device_ranking_refresh(device_ids=device_ids)
    return deleted


RESCORE_BATCH = 1000


def benchmark_rescore(
    *, benchmarks: QuerySet[Benchmark] | None = None, weights: Mapping[str, float] | None = None
) -> tuple[int, int]:
    """Recompute global scores with the weights in force. Returns (examined, changed).

    Batched so memory stays flat over any history; each batch commits on its own.
    """
    weights = dict(weights or score_weights())
    queryset = (benchmarks if benchmarks is not None else Benchmark.objects.all()).only(
        "id", "global_score", "weights", "scoring_version", *CATEGORY_FIELDS
    )
    examined = changed = 0
    last_pk = 0
    while True:
        # keyset pages rather than one open cursor: writes between reads are safe everywhere
        page = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:RESCORE_BATCH])
        if not page:
            break
        last_pk = page[-1].pk
        examined += len(page)
        batch = []
        for benchmark in page:
            new_score = scoring.global_score(benchmark.category_scores, weights)
            if (
                new_score != benchmark.global_score
                or benchmark.weights != weights
                or benchmark.scoring_version != scoring.SCORING_VERSION
            ):
                benchmark.global_score = new_score
                benchmark.weights = weights
                benchmark.scoring_version = scoring.SCORING_VERSION
                batch.append(benchmark)
        changed += _save_scores(batch)
    if changed:
        device_ranking_refresh()  # the devices' figures follow their runs' new scores
    return examined, changed


def _save_scores(batch: list[Benchmark]) -> int:
    if batch:
        with transaction.atomic():
            Benchmark.objects.bulk_update(batch, ("global_score", "weights", "scoring_version"))
    return len(batch)

"""POST /api/benchmark with what follows a stored run: its device's attention items are
evaluated right after the submission's transaction commits and before it is answered, so an
item exists as soon as the submission is answered (insights.services.attention_evaluate).

The run is stored whatever the evaluation does. An evaluation that fails (the database gone
the moment after the commit) is tried again on a thread of its own, RETRY_AFTER_S later, so that
a disk that failed in that run still gets its item and its notification; without it, only the
device's next run, days away, or `manage.py rescore` judged it again (failure-injection audit).
"""

import logging
import threading
import time

from django.db import connections

from benchmarks import views as benchmark_views
from benchmarks.services import IngestResult
from insights.services import attention_evaluate
from inventory.models import Device, HardwareSnapshot

logger = logging.getLogger(__name__)

# waits before each new try of a failed evaluation: within a quarter of an hour, a database
# restarted or a disk freed; a worker restarted meanwhile takes the tries with it (logged)
RETRY_AFTER_S = (5, 30, 120, 600)


def evaluate_attention(result: IngestResult) -> None:
    try:
        # peers_too: the run moved the median its CPU's other machines are judged against
        attention_evaluate(
            device=result.device,
            snapshot=result.snapshot,
            newest_run_id=result.benchmark_id,
            peers_too=True,
            previous_cpu_key=result.previous_cpu_model_key,
            place_before=result.previous_place,
            returned=result.returned,
        )
    except Exception:
        if RETRY_AFTER_S:  # none: no thread (the tests' own, but test_evaluation_retry)
            threading.Thread(
                target=_evaluate_again,
                args=(result,),
                name=f"attention-retry-{result.device_id}",
                daemon=True,
            ).start()
        raise  # logged by benchmark_ingest, with the run's ids


def _evaluate_again(result: IngestResult) -> None:
    try:
        for attempt, wait in enumerate(RETRY_AFTER_S, start=1):
            time.sleep(wait)
            try:
                device = Device.objects.filter(pk=result.device_id).first()
                if device is None:
                    return  # deleted meanwhile, with its items
                attention_evaluate(
                    device=device,  # as it is now: another run may have come since
                    snapshot=HardwareSnapshot.objects.filter(pk=result.snapshot_id).first(),
                    peers_too=True,
                    previous_cpu_key=result.previous_cpu_model_key,
                    returned=result.returned,
                )
            except Exception as exc:
                logger.warning(
                    "attention of device %s (benchmark %s) not evaluated, try %d of %d: %s",
                    result.device_id,
                    result.benchmark_id,
                    attempt,
                    len(RETRY_AFTER_S),
                    exc,
                )
                connections.close_all()  # a connection the failure left broken
                continue
            logger.warning(
                "attention of device %s (benchmark %s) evaluated on try %d of %d",
                result.device_id,
                result.benchmark_id,
                attempt,
                len(RETRY_AFTER_S),
            )
            return
        logger.error(
            "attention of device %s (benchmark %s) not evaluated after %d tries: its next run "
            "evaluates it, and its CPU twins' below_peers only a run that moves their median: "
            "manage.py rescore evaluates them all now",
            result.device_id,
            result.benchmark_id,
            len(RETRY_AFTER_S),
        )
    finally:
        connections.close_all()


class SubmissionViewSet(benchmark_views.SubmissionViewSet):
    after_store = staticmethod(evaluate_attention)

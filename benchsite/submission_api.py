"""POST /api/benchmark with what follows a stored run: its device's attention items are
evaluated right after the submission's transaction commits and before it is answered, so an
item exists as soon as the submission is answered (insights.services.attention_evaluate)."""

from benchmarks import views as benchmark_views
from benchmarks.services import IngestResult
from insights.services import attention_evaluate


def evaluate_attention(result: IngestResult) -> None:
    # peers_too: the run moved the median its CPU's other machines are judged against
    attention_evaluate(
        device=result.device,
        snapshot=result.snapshot,
        newest_run_id=result.benchmark_id,
        peers_too=True,
        previous_cpu_key=result.previous_cpu_model_key,
    )


class SubmissionViewSet(benchmark_views.SubmissionViewSet):
    after_store = staticmethod(evaluate_attention)

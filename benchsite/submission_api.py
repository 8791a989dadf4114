"""POST /api/benchmark with what follows a stored run: its device's attention items are
evaluated before the answer, so an item exists as soon as the submission is answered."""

from benchmarks import views as benchmark_views
from benchmarks.services import IngestResult
from insights.services import attention_evaluate
from inventory.models import Device


class SubmissionViewSet(benchmark_views.SubmissionViewSet):
    def after_ingest(self, result: IngestResult) -> None:
        if not result.created:
            return  # a retried submission stored nothing: nothing changed
        device = Device.objects.select_related("latest_snapshot").get(pk=result.device_id)
        attention_evaluate(device=device)

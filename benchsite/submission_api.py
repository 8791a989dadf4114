"""POST /api/benchmark with what follows a stored run: its device's attention items are
evaluated in the submission's transaction, so an item exists as soon as the submission is
answered and a failed evaluation stores nothing half-way."""

from benchmarks import views as benchmark_views
from insights.services import attention_evaluate
from inventory.models import Device, HardwareSnapshot


def evaluate_attention(device: Device, snapshot: HardwareSnapshot) -> None:
    attention_evaluate(device=device, snapshot=snapshot)


class SubmissionViewSet(benchmark_views.SubmissionViewSet):
    after_store = staticmethod(evaluate_attention)

import factory
from django.utils import timezone

from benchmarks import scoring
from benchmarks.models import Benchmark
from benchmarks.services import run_record
from inventory.models import Device
from inventory.runs import device_run_record
from inventory.tests.factories import DeviceFactory, SnapshotFactory


class BenchmarkFactory(factory.django.DjangoModelFactory):
    """A scored benchmark; with `latest=True` (default) its device takes its figures when it is
    the device's newest run, as a submission would."""

    class Meta:
        model = Benchmark
        skip_postgeneration_save = True

    device = factory.SubFactory(DeviceFactory)
    snapshot = factory.SubFactory(SnapshotFactory, device=factory.SelfAttribute("..device"))
    run_at = factory.LazyFunction(timezone.now)
    # a run without conditions.started_at is dated by its arrival (CONTRACT Part 2)
    received_at = factory.SelfAttribute("run_at")
    cpu_score = 100.0
    memory_score = 100.0
    disk_score = 100.0
    network_score = None
    gpu_score = None
    weights = factory.LazyFunction(lambda: dict(scoring.DEFAULT_WEIGHTS))
    scoring_version = scoring.SCORING_VERSION
    global_score = factory.LazyAttribute(
        lambda o: scoring.global_score(
            {
                "cpu": o.cpu_score,
                "memory": o.memory_score,
                "disk": o.disk_score,
                "network": o.network_score,
                "gpu": o.gpu_score,
            },
            scoring.DEFAULT_WEIGHTS,
        )
    )

    @factory.post_generation
    def latest(self, create, extracted, **kwargs):
        if create and extracted is not False:
            device = Device.objects.get(pk=self.device_id)
            device_run_record(device=device, run=run_record(self))

"""Read queries shared by the admin and the API; each carries its own query shape."""

from django.db.models import F, QuerySet

from .models import Device, HardwareSnapshot, ManufacturerLink

# The latest benchmark rides along for its scores; its documents (the raw results, extra keys,
# weights: kilobytes of JSON decoded per row) are read only on a benchmark's own page.
_LATEST_BENCHMARK_DEFERRED = (
    "latest_benchmark__results",
    "latest_benchmark__extra",
    "latest_benchmark__weights",
)


def device_list() -> QuerySet[Device]:
    """Devices with their latest benchmark (one join) and tags (one prefetch query).

    `global_score` and `last_benchmark_at` are annotated so that ordering and filtering can
    name them like columns. Query count is independent of the page size (perf/reads.py).
    """
    return (
        Device.objects.select_related("latest_benchmark")
        .defer(*_LATEST_BENCHMARK_DEFERRED)
        .prefetch_related("tags")
        .annotate(
            global_score=F("latest_benchmark__global_score"),
            last_benchmark_at=F("latest_benchmark__run_at"),
        )
    )


def device_ranking() -> QuerySet[Device]:
    """Devices by latest global score, best first; never-benchmarked devices last."""
    return device_list().order_by(F("global_score").desc(nulls_last=True), "hostname", "id")


def snapshot_latest(*, device: Device) -> HardwareSnapshot | None:
    return device.snapshots.order_by("-captured_at", "-id").first()


def snapshot_list(*, device: Device) -> QuerySet[HardwareSnapshot]:
    return device.snapshots.order_by("-captured_at", "-id")


def device_detail(*, device_id: int) -> Device:
    """One device for the detail view, with its latest snapshot and attachment counts.

    Raises Device.DoesNotExist. Counts are separate indexed COUNTs: joining the three
    relations in one query would multiply their rows.
    """
    device = device_list().get(pk=device_id)
    device.last_snapshot = snapshot_latest(device=device)
    device.benchmarks_count = device.benchmarks.count()
    device.snapshots_count = device.snapshots.count()
    device.links_count = device.links.count()
    device.documents_count = device.documents.count()
    return device


def link_list(*, device: Device) -> QuerySet[ManufacturerLink]:
    """A device's manufacturer links by label (one query; the device FK index serves it)."""
    return ManufacturerLink.objects.filter(device=device).order_by("label", "id")

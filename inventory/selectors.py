"""Read queries shared by the admin and the API; each carries its own query shape."""

from django.db.models import F, QuerySet

from .models import Device, HardwareSnapshot, ManufacturerLink

# What "search by hardware" matches (the API's ?search= and the admin's device search): the
# latest snapshot's CPU, system, GPU and disk models.
HARDWARE_SEARCH_FIELDS = (
    "latest_snapshot__cpu_model",
    "latest_snapshot__system_vendor",
    "latest_snapshot__system_model",
    "latest_snapshot__gpu_model",
    "latest_snapshot__disk_models",
)


def device_list() -> QuerySet[Device]:
    """Devices with their ranking figures (columns of the device row) and tags (one prefetch
    query). Query count is independent of the page size (perf/reads.py)."""
    return Device.objects.prefetch_related("tags")


def device_ranking() -> QuerySet[Device]:
    """Devices by latest global score, best first; never-benchmarked devices last."""
    return device_list().order_by(F("global_score").desc(nulls_last=True), "hostname", "id")


def snapshot_latest(*, device: Device) -> HardwareSnapshot | None:
    return device.snapshots.order_by("-captured_at", "-id").first()


def snapshot_list(*, device: Device) -> QuerySet[HardwareSnapshot]:
    return device.snapshots.order_by("-captured_at", "-id")


def link_list(*, device: Device) -> QuerySet[ManufacturerLink]:
    """A device's manufacturer links by label (one query; the device FK index serves it)."""
    return ManufacturerLink.objects.filter(device=device).order_by("label", "id")

"""Read queries over benchmarks shared by the admin and the API."""

from django.db.models import Avg, Count, Max, QuerySet

from inventory.models import Device

from .models import Benchmark


def benchmark_recent(*, limit: int = 10) -> QuerySet[Benchmark]:
    """The latest submissions as they arrived (a capture replayed today is among them, though
    it ran days ago)."""
    return Benchmark.objects.select_related("device").order_by("-received_at", "-id")[:limit]


def benchmark_history(*, device_id: int) -> QuerySet[Benchmark]:
    """A device's runs, newest first (the device/run-time index serves it)."""
    return Benchmark.objects.filter(device_id=device_id).order_by("-run_at", "-id")


def benchmark_latest(*, device_id: int) -> Benchmark | None:
    return benchmark_history(device_id=device_id).defer("results", "extra").first()


def fleet_stats() -> dict:
    """Devices, benchmarks, the average of each device's ranking global score, the last run,
    and when the last submission arrived."""
    benchmarks = Benchmark.objects.aggregate(
        count=Count("id"), last=Max("run_at"), received=Max("received_at")
    )
    devices = Device.objects.aggregate(count=Count("id"), average=Avg("global_score"))
    average = devices["average"]
    return {
        "devices": devices["count"],
        "benchmarks": benchmarks["count"],
        "average_global_score": round(average, 2) if average is not None else None,
        "last_benchmark_at": benchmarks["last"],
        "last_received_at": benchmarks["received"],
    }

"""Read queries over benchmarks shared by the admin and the API."""

from django.db.models import Avg, Count, Max, QuerySet

from inventory.models import Device

from .models import Benchmark


def benchmark_recent(*, limit: int = 10) -> QuerySet[Benchmark]:
    return Benchmark.objects.select_related("device").order_by("-run_at", "-id")[:limit]


def fleet_stats() -> dict:
    """Devices, benchmarks, the average of each device's latest global score, the last run."""
    benchmarks = Benchmark.objects.aggregate(count=Count("id"), last=Max("run_at"))
    devices = Device.objects.aggregate(
        count=Count("id"), average=Avg("latest_benchmark__global_score")
    )
    average = devices["average"]
    return {
        "devices": devices["count"],
        "benchmarks": benchmarks["count"],
        "average_global_score": round(average, 2) if average is not None else None,
        "last_benchmark_at": benchmarks["last"],
    }

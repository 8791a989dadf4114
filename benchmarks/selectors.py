"""Read queries over benchmarks shared by the admin and the API."""

from django.db.models import Avg, Count, Max, QuerySet, Subquery

from inventory.models import Device

from .models import Benchmark


def benchmark_recent(*, limit: int = 10) -> list[Benchmark]:
    """The latest submissions as they arrived (a capture replayed today is among them, though
    it ran days ago), newest first."""
    # the runs picked by the arrival index alone, then read by their keys with their devices
    # and put in order here: with SQLite's statistics of a few machines with years of runs
    # (ANALYZE), the join walked each device's runs and sorted all of them (88,000: 210–260 ms)
    # to show ten, and an ORDER BY on the ten walked the whole index
    newest = Benchmark.objects.order_by("-received_at", "-id").values("pk")[:limit]
    runs = Benchmark.objects.filter(pk__in=Subquery(newest)).select_related("device").order_by()
    return sorted(runs, key=lambda run: (run.received_at, run.pk), reverse=True)


def benchmark_history(*, device_id: int) -> QuerySet[Benchmark]:
    """A device's runs, newest first (the device/run-time index serves it)."""
    return Benchmark.objects.filter(device_id=device_id).order_by("-run_at", "-id")


def benchmark_latest(*, device_id: int) -> Benchmark | None:
    return benchmark_history(device_id=device_id).defer("results", "extra").first()


def fleet_stats() -> dict:
    """Devices, benchmarks, the average of each device's ranking global score, the last run,
    and when the last submission arrived."""
    # two queries read off indexes and the devices' rows: the three aggregates over the runs
    # in one read every run's row (with its results) on SQLite, 68–210 ms at 88,000 runs; the
    # fleet's last run is its devices' latest (inventory.runs keeps it on each device)
    runs = Benchmark.objects.order_by().aggregate(count=Count("id"), received=Max("received_at"))
    devices = Device.objects.aggregate(
        count=Count("id"), average=Avg("global_score"), last=Max("last_benchmark_at")
    )
    average = devices["average"]
    return {
        "devices": devices["count"],
        "benchmarks": runs["count"],
        "average_global_score": round(average, 2) if average is not None else None,
        "last_benchmark_at": devices["last"],
        "last_received_at": runs["received"],
    }

"""Read queries over benchmarks shared by the admin and the API."""

from collections.abc import Iterable

from django.db.models import Avg, Count, F, Max, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from inventory.models import Device

from .models import Benchmark, Validity


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


def ranking_suspect_reasons(devices: Iterable[Device]) -> dict[int, list[str]]:
    """The validity reasons of the suspect run each of these devices is ranked by (it has no
    valid run with a score), by device id; the others are not in it. Its latest run's, kept on
    the device, when that is the one; else read, one query for all (a suspect run measured,
    then a valid one inventoried without scores: the ranking shows the suspect run's figures,
    while the latest run is valid)."""
    suspect = [d for d in devices if d.ranking_run_valid is False and d.global_score is not None]
    reasons, read = {}, Q()
    for device in suspect:
        if device.latest_validity == Validity.SUSPECT and device.ranking_run_at == (
            device.last_benchmark_at
        ):
            reasons[device.pk] = list(device.latest_validity_reasons)
        else:
            reasons[device.pk] = []  # unless read below (deleted meanwhile)
            read |= Q(device_id=device.pk, run_at=device.ranking_run_at)
    if read:
        runs = (
            Benchmark.objects.filter(read, global_score__isnull=False)
            .exclude(validity=Validity.VALID)
            .order_by("device_id", "id")  # of two at one time, the later stored, as ranked
            .values_list("device_id", "validity_reasons")
        )
        reasons.update(runs)
    return reasons


def benchmark_history(*, device_id: int) -> QuerySet[Benchmark]:
    """A device's runs, newest first (the device/run-time index serves it)."""
    return Benchmark.objects.filter(device_id=device_id).order_by("-run_at", "-id")


def benchmark_latest(*, device_id: int) -> Benchmark | None:
    return benchmark_history(device_id=device_id).defer("results", "extra").first()


def benchmark_of_snapshots(*, snapshot_ids: Iterable[int]) -> dict[int, tuple[Benchmark, int]]:
    """Each of these snapshots' newest run by run time (its results and extra unread) and how
    many runs were taken with it, by snapshot id; a snapshot without a run is not in it. One
    query, two rows for two snapshots: bench.sh's runs take one snapshot each, but the model
    lets several share one (a restored database's, a row written by hand)."""
    by_snapshot = F("snapshot_id")
    newest = (
        Benchmark.objects.filter(snapshot_id__in=list(snapshot_ids))
        .defer("results", "extra")
        .annotate(
            place=Window(
                RowNumber(), partition_by=by_snapshot, order_by=(F("run_at").desc(), F("id").desc())
            ),
            runs=Window(Count("id"), partition_by=by_snapshot),
        )
        .filter(place=1)
    )
    return {run.snapshot_id: (run, run.runs) for run in newest}


def benchmark_before(*, run: Benchmark) -> Benchmark | None:
    """The device's run before this one by run time that has a snapshot (the one stored
    earlier, of two at one time): what a run is compared with. Its time and snapshot only."""
    earlier = Q(run_at__lt=run.run_at) | Q(run_at=run.run_at, id__lt=run.pk)
    before = benchmark_history(device_id=run.device_id).filter(earlier, snapshot__isnull=False)
    return before.only("id", "device_id", "run_at", "snapshot_id").first()


def fleet_stats(*, in_service: bool = False) -> dict:
    """Devices, benchmarks, the average of each device's ranking global score (unrounded: the
    API rounds it to 2 decimals, the dashboard to 1, each once), the last run, and when the
    last submission arrived. `in_service` (the dashboard): the average of the machines in
    service, and how many are `retired` (the API's answer stays the contract's: every device)."""
    # two queries read off indexes and the devices' rows: the three aggregates over the runs
    # in one read every run's row (with its results) on SQLite, 68–210 ms at 88,000 runs; the
    # fleet's last run is its devices' latest (inventory.runs keeps it on each device)
    runs = Benchmark.objects.order_by().aggregate(count=Count("id"), received=Max("received_at"))
    serving = Q(retired_on__isnull=True) if in_service else Q()
    retired = {"retired": Count("id", filter=Q(retired_on__isnull=False))} if in_service else {}
    devices = Device.objects.aggregate(
        count=Count("id"),
        average=Avg("global_score", filter=serving),
        last=Max("last_benchmark_at"),
        **retired,
    )
    average = devices["average"]
    return {
        "devices": devices["count"],
        "benchmarks": runs["count"],
        "average_global_score": average,
        "last_benchmark_at": devices["last"],
        "last_received_at": runs["received"],
        **({"retired": devices["retired"]} if in_service else {}),
    }

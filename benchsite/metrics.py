"""GET /metrics: the fleet in Prometheus' text format (CONTRACT Part 2, "Metrics").

Every value is read from the database at each scrape, by a collector registered in a registry
of its own for that scrape: every worker process and every server behind a load balancer
answers the same, and nothing counts in memory. Four queries whatever the fleet's size.
"""

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from benchmarks.models import Benchmark
from insights.models import AttentionItem, Kind, Severity
from inventory.columns import disk_temperature, disks_of
from inventory.models import Device, HardwareSnapshot
from inventory.schema import CATEGORY_NAMES

from .backups_made import backup_last_time
from .views import AnyAccept

CATEGORIES = ("global", *CATEGORY_NAMES)


class FleetCollector:
    """The metrics of the contract, collected from the database when the registry asks."""

    def collect(self) -> Iterator[Metric]:
        devices = Device.objects.values_list(
            "hostname",
            "last_benchmark_at",
            "last_received_at",
            *(f"{category}_score" for category in CATEGORIES),
            "ranking_excluded",
            "ranking_run_valid",
            # the disks' identity and SMART readings only: the storage is never decoded
            "latest_snapshot__disk_readings",
            "retired_on",
        ).order_by("hostname")
        score = GaugeMetricFamily(
            "benchtools_device_score",
            "Ranking figure of a device: the score of its latest valid run (else its latest).",
            labels=("device", "category"),
        )
        last_run = GaugeMetricFamily(
            "benchtools_device_last_run_timestamp_seconds",
            "When the device's latest run ran (Unix time).",
            labels=("device",),
        )
        # beyond the contract: when a run of it last arrived, by the server's clock. The rule
        # for a machine gone quiet reads it (README, "Metrics"): a machine whose clock is
        # behind dates its runs back, and the run time alone called it silent while it ran
        last_arrival = GaugeMetricFamily(
            "benchtools_device_last_received_timestamp_seconds",
            "When a run of the device last arrived at the server (Unix time).",
            labels=("device",),
        )
        excluded = GaugeMetricFamily(
            "benchtools_device_score_excluded",
            "1 for a category whose ranking figure its run left out of the global score (a "
            "network measured against the machine itself): not to be ranked with the others.",
            labels=("device", "category"),
        )
        # beyond the contract: figures from a suspect run (the machine has no valid one), which
        # the dashboard badges; a Grafana ranking told them from no other
        suspect = GaugeMetricFamily(
            "benchtools_device_score_suspect",
            "1 for a device whose ranking figures come from a suspect run (busy, throttled, "
            "repeats disagreeing): it has no valid run to be ranked by.",
            labels=("device",),
        )
        temperature = GaugeMetricFamily(
            "benchtools_disk_temperature_celsius",
            "Disk temperature in the device's latest snapshot; disk is its serial, else its name.",
            labels=("device", "disk"),
        )
        count = retired = 0
        for (
            hostname,
            last_run_at,
            last_received_at,
            *figures,
            left_out,
            ranked_valid,
            disks,
            retired_on,
        ) in devices:
            count += 1
            if retired_on is not None:
                # out of the fleet's live series: a retired machine's last run would age into
                # a "not benchmarked for a month" alert, its figures stay in a ranking panel
                retired += 1
                continue
            for category, value in zip(CATEGORIES, figures, strict=True):
                if value is not None:
                    score.add_metric((hostname, category), value)
            for category in left_out or ():
                excluded.add_metric((hostname, category), 1)
            # ranked by a suspect run, as the dashboard badges it: not a machine whose valid
            # run scored nothing (inventory only), which ranking_run_valid says False of too
            if ranked_valid is False and figures[0] is not None:
                suspect.add_metric((hostname,), 1)
            if last_run_at is not None:
                last_run.add_metric((hostname,), last_run_at.timestamp())
            if last_received_at is not None:
                last_arrival.add_metric((hostname,), last_received_at.timestamp())
            for disk, readings in disks_of(disks).items():
                if (celsius := disk_temperature(readings)) is not None:
                    temperature.add_metric((hostname, disk), celsius)

        yield GaugeMetricFamily("benchtools_devices", "Devices in the inventory.", value=count)
        yield GaugeMetricFamily(
            "benchtools_devices_retired",
            "Retired devices: counted in benchtools_devices, without per-device series.",
            value=retired,
        )
        yield GaugeMetricFamily(
            "benchtools_benchmarks", "Benchmark runs stored.", value=Benchmark.objects.count()
        )
        # beyond the contract: an alert on a cron line that stopped (README, "Metrics")
        if (backup := backup_last_time()) is not None:
            yield GaugeMetricFamily(
                "benchtools_last_backup_timestamp_seconds",
                "When the last archive manage.py backup wrote was made (Unix time).",
                value=backup.timestamp(),
            )
        yield score
        yield excluded
        yield suspect
        yield last_run
        yield last_arrival
        yield temperature
        yield self.attention()

    @staticmethod
    def attention() -> GaugeMetricFamily:
        open_items = {
            (row["kind"], row["severity"]): row["n"]
            for row in AttentionItem.objects.filter(closed_at__isnull=True)
            .values("kind", "severity")
            .annotate(n=Count("id"))
            .order_by()
        }
        family = GaugeMetricFamily(
            "benchtools_attention_open",
            "Open attention items by kind and severity.",
            labels=("kind", "severity"),
        )
        # every pair, 0 when none is open: an alert on > 0 sees a series, not an absence
        for kind in Kind.values:
            for severity in Severity.values:
                family.add_metric((kind, severity), open_items.get((kind, severity), 0))
        return family


def metrics_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector())
    return generate_latest(registry)


class MetricsView(APIView):
    """GET /metrics (read scope, or open with METRICS_PUBLIC)."""

    content_negotiation_class = AnyAccept

    @staticmethod
    def permission_models(request) -> list:
        # a staff session (benchsite.auth): the fleet's figures, its runs, its disks' readings
        # and its open items
        return [Device, Benchmark, HardwareSnapshot, AttentionItem]

    def get_authenticators(self):
        # open: a token is not read, so a scraper left with an old one is still answered
        if settings.METRICS_PUBLIC:
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if settings.METRICS_PUBLIC:
            return [AllowAny()]
        return super().get_permissions()

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR})
    # gzip when asked (Prometheus always asks): a scrape of 2,000 machines was 1.6 MB, 110 KB so
    @method_decorator(gzip_page)
    def get(self, request):
        # generate_latest writes the classic text format, 0.0.4, which every Prometheus reads
        # (the library's CONTENT_TYPE_LATEST names 1.0.0, for UTF-8 metric names we do not use)
        return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_PLAIN_0_0_4)

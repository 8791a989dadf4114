"""Devices get `ranking_excluded`: the categories their ranking run left out of its global score
(a network measured on loopback), so that the ranking neither bars nor scales it against the
fleet. Filled here from each device's ranking run, by the rule of
benchmarks.services.device_ranking_refresh (its latest valid run, else its latest), in one
UPDATE."""

from django.db import migrations
from django.db.models import Case, Exists, JSONField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce


def fill_ranking_excluded(apps, schema_editor):
    Device = apps.get_model("inventory", "Device")
    Benchmark = apps.get_model("benchmarks", "Benchmark")
    latest = Benchmark.objects.filter(device=OuterRef("pk")).order_by("-run_at", "-id")
    valid = latest.filter(validity="valid")
    ranked = Case(
        When(Exists(valid), then=Subquery(valid.values("excluded_categories")[:1])),
        default=Subquery(latest.values("excluded_categories")[:1]),
    )
    Device.objects.filter(last_benchmark_at__isnull=False).update(
        ranking_excluded=Coalesce(ranked, Value([], JSONField()))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("benchmarks", "0004_benchmark_methods"),
        ("inventory", "0011_device_ranking_excluded"),
    ]

    operations = [
        migrations.RunPython(fill_ranking_excluded, migrations.RunPython.noop),
    ]

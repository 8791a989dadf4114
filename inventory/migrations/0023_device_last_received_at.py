"""Devices keep the arrival time of their latest run (last_received_at): a machine whose clock
is behind dates its runs in the past, and the dashboard's "Not heard from" named it a minute
after its run arrived (inventory.quiet)."""

from django.db import migrations, models


def fill_last_received_at(apps, schema_editor):
    from django.db.models import Max, OuterRef, Subquery

    Device = apps.get_model("inventory", "Device")
    Benchmark = apps.get_model("benchmarks", "Benchmark")
    # each device's runs aggregated off its index, not the fleet's arrivals walked backward
    arrived = (
        Benchmark.objects.filter(device=OuterRef("pk"))
        .order_by()
        .values("device")
        .annotate(last=Max("received_at"))
    )
    Device.objects.filter(last_benchmark_at__isnull=False).update(
        last_received_at=Subquery(arrived.values("last"))
    )


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0022_device_lifecycle"),
        ("benchmarks", "0007_rules_applied"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="last_received_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_last_received_at, migrations.RunPython.noop),
    ]

"""Snapshots get `disk_readings`: each disk's identity and SMART readings, derived from their
stored `storage`, so that the insights, the attention rules and /metrics read them without
decoding the whole storage. Existing snapshots are filled in batches."""

from django.db import migrations, models

from inventory.backfill import fill_derived
from inventory.columns import disk_readings


def fill_disk_readings(apps, schema_editor):
    fill_derived(
        apps.get_model("inventory", "HardwareSnapshot"),
        source="storage",
        target="disk_readings",
        derive=disk_readings,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0008_device_model_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="hardwaresnapshot",
            name="disk_readings",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="name, serial, model, SMART fields",
            ),
        ),
        migrations.RunPython(fill_disk_readings, migrations.RunPython.noop),
    ]

"""Snapshots get `disk_models`, derived from their stored `storage`: disk models become
searchable ("search by hardware", CONTRACT Part 2). Existing snapshots are filled in batches."""

from django.db import migrations, models

from inventory.backfill import fill_derived
from inventory.columns import disk_models


def fill_disk_models(apps, schema_editor):
    fill_derived(
        apps.get_model("inventory", "HardwareSnapshot"),
        source="storage",
        target="disk_models",
        derive=disk_models,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0006_cpu_sockets"),
    ]

    operations = [
        migrations.AddField(
            model_name="hardwaresnapshot",
            name="disk_models",
            field=models.TextField(blank=True, editable=False, help_text="one per line"),
        ),
        migrations.RunPython(fill_disk_models, migrations.RunPython.noop),
    ]

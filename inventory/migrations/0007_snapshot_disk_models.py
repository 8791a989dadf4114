"""Snapshots get `disk_models`, derived from their stored `storage`: disk models become
searchable ("search by hardware", CONTRACT Part 2). Existing snapshots are filled in batches."""

from django.db import migrations, models

from inventory.columns import disk_models

BATCH = 2000


def fill_disk_models(apps, schema_editor):
    snapshot_model = apps.get_model("inventory", "HardwareSnapshot")
    changed = []
    rows = snapshot_model.objects.only("id", "storage").order_by("id")
    for snapshot in rows.iterator(chunk_size=BATCH):
        snapshot.disk_models = disk_models(snapshot.storage)
        if snapshot.disk_models:
            changed.append(snapshot)
        if len(changed) >= BATCH:
            snapshot_model.objects.bulk_update(changed, ["disk_models"])
            changed = []
    snapshot_model.objects.bulk_update(changed, ["disk_models"])


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

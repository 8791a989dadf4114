"""Snapshots get `disk_readings`: each disk's identity and SMART readings, derived from their
stored `storage`, so that the insights, the attention rules and /metrics read them without
decoding the whole storage. Existing snapshots are filled in batches."""

from django.db import migrations, models

from inventory.columns import disk_readings

BATCH = 2000


def fill_disk_readings(apps, schema_editor):
    snapshot_model = apps.get_model("inventory", "HardwareSnapshot")
    changed = []
    rows = snapshot_model.objects.only("id", "storage").order_by("id")
    for snapshot in rows.iterator(chunk_size=BATCH):
        snapshot.disk_readings = disk_readings(snapshot.storage)
        if snapshot.disk_readings:
            changed.append(snapshot)
        if len(changed) >= BATCH:
            snapshot_model.objects.bulk_update(changed, ["disk_readings"])
            changed = []
    snapshot_model.objects.bulk_update(changed, ["disk_readings"])


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

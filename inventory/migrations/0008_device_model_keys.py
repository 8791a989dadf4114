"""Devices get `cpu_model_key` and `system_model_key`: their latest snapshot's models normalised
(inventory.columns.model_key), indexed, so that a machine's peers are an index lookup. Existing
devices are filled from their latest snapshot, in batches."""

from django.db import migrations, models

from inventory.columns import model_keys

BATCH = 2000


def fill_model_keys(apps, schema_editor):
    device_model = apps.get_model("inventory", "Device")
    rows = (
        device_model.objects.filter(latest_snapshot__isnull=False)
        .select_related("latest_snapshot")
        .only("id", "latest_snapshot__cpu_model", "latest_snapshot__system_model")
        .order_by("id")
    )
    changed = []
    for device in rows.iterator(chunk_size=BATCH):
        for name, value in model_keys(device.latest_snapshot).items():
            setattr(device, name, value)
        changed.append(device)
        if len(changed) >= BATCH:
            device_model.objects.bulk_update(changed, ["cpu_model_key", "system_model_key"])
            changed = []
    device_model.objects.bulk_update(changed, ["cpu_model_key", "system_model_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_snapshot_disk_models"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="cpu_model_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name="device",
            name="system_model_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AddIndex(
            model_name="device",
            index=models.Index(fields=["cpu_model_key"], name="inventory_device_cpu_key"),
        ),
        migrations.AddIndex(
            model_name="device",
            index=models.Index(fields=["system_model_key"], name="inventory_device_system_key"),
        ),
        migrations.RunPython(fill_model_keys, migrations.RunPython.noop),
    ]

"""An index of the devices' latest arrival (last_received_at): the dashboard's "Not heard from"
lists the machines quiet longest by when their runs arrived (inventory.quiet), where it went by
the runs' own time and put a machine whose clock is behind before those silent far longer. A
device with a run time and no arrival (a row no run wrote) is given its run time as arrival,
the time it was taken to be heard from."""

from django.db import migrations, models


def fill_arrivals(apps, schema_editor):
    Device = apps.get_model("inventory", "Device")
    Device.objects.filter(last_received_at__isnull=True, last_benchmark_at__isnull=False).update(
        last_received_at=models.F("last_benchmark_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0032_snapshot_key_without_shared_macs"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="device",
            index=models.Index(
                fields=["last_received_at", "hostname", "id"], name="inventory_device_last_heard"
            ),
        ),
        migrations.RunPython(fill_arrivals, migrations.RunPython.noop),
    ]

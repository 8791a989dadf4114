"""The snapshots' OS indexed by release (name and version) in place of its name alone: the
device list's OS filter offers releases ("Debian GNU/Linux 11 (bullseye)"), read off the index,
which still serves the lists' filters by the OS name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0025_snapshot_filter_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="hardwaresnapshot",
            index=models.Index(fields=["os_name", "os_version"], name="inventory_snap_os_release"),
        ),
        migrations.RemoveIndex(
            model_name="hardwaresnapshot",
            name="inventory_snap_os_name",
        ),
    ]

"""The snapshots' OS, virtualisation and architecture indexed: the choices of the lists' filters
by them are read off the index. Read off the rows, SQLite walked each snapshot's JSON stored
before these columns (4.4 MB at 4,096 disks), whatever the page showed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0024_snapshot_hardware_key"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="hardwaresnapshot",
            index=models.Index(fields=["os_name"], name="inventory_snap_os_name"),
        ),
        migrations.AddIndex(
            model_name="hardwaresnapshot",
            index=models.Index(fields=["virtualization_type"], name="inventory_snap_virt"),
        ),
        migrations.AddIndex(
            model_name="hardwaresnapshot",
            index=models.Index(fields=["architecture"], name="inventory_snap_arch"),
        ),
    ]

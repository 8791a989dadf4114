"""Snapshots get `hardware_key`, a digest of what their hardware changes are told from
(inventory.history.hardware_key): a device page told its hardware changes by reading every
snapshot's storage and network, 5,000 of them on a long life; it now reads the snapshots whose
key is not the previous one's. Existing snapshots are filled in one pass, 2,000 rows at a time
(a snapshot left without one, as a row written meanwhile by an older server, is read as a
stretch of its own: told right, only not skipped).

The column is added in place (ALTER TABLE … ADD COLUMN … DEFAULT '' NOT NULL, the same SQL on
SQLite and PostgreSQL), as 0018's: Django's SQLite schema editor copies the whole table for a
NOT NULL column, every snapshot's JSON documents with it. The index is made once it is filled."""

from django.db import migrations, models

from inventory.backfill import fill_rows
from inventory.history import KEY_COLUMNS, hardware_key


def fill(apps, schema_editor):
    fill_rows(
        apps.get_model("inventory", "HardwareSnapshot"),
        columns=KEY_COLUMNS,
        target="hardware_key",
        derive=hardware_key,
    )


TABLE = '"inventory_hardwaresnapshot"'


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0023_device_last_received_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {TABLE} ADD COLUMN \"hardware_key\" varchar(32) DEFAULT '' NOT NULL",
                    f'ALTER TABLE {TABLE} DROP COLUMN "hardware_key"',
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="hardwaresnapshot",
                    name="hardware_key",
                    field=models.CharField(
                        blank=True,
                        db_default="",
                        editable=False,
                        help_text="empty: not computed",
                        max_length=32,
                    ),
                ),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="hardwaresnapshot",
            index=models.Index(
                fields=["device", "captured_at", "id", "hardware_key"], name="inventory_snap_key"
            ),
        ),
    ]

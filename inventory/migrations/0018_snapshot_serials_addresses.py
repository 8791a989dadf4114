"""Snapshots get `disk_serials` and `addresses` (MAC and IP), derived from their stored
`storage` and `network`: a disk's serial and an interface's address become searchable. Existing
snapshots are filled in one pass, in batches.

The columns are added in place (ALTER TABLE … ADD COLUMN … DEFAULT '' NOT NULL, the same SQL on
SQLite and PostgreSQL): Django's SQLite schema editor copies the whole table for a NOT NULL
column, twice here, every snapshot's JSON documents with it."""

from django.db import migrations, models

from inventory.backfill import BATCH
from inventory.columns import addresses, disk_serials

TABLE = '"inventory_hardwaresnapshot"'
COLUMNS = ("disk_serials", "addresses")


def fill(apps, schema_editor):
    """Both columns in one pass over the snapshots, BATCH rows at a time."""
    model = apps.get_model("inventory", "HardwareSnapshot")
    rows = model.objects.only("id", "storage", "network").order_by("id")
    changed = []
    for row in rows.iterator(chunk_size=BATCH):
        row.disk_serials, row.addresses = disk_serials(row.storage), addresses(row.network)
        if row.disk_serials or row.addresses:
            changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, list(COLUMNS))
            changed = []
    model.objects.bulk_update(changed, list(COLUMNS))


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0017_tag_unique_message"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {TABLE} ADD COLUMN \"{name}\" text DEFAULT '' NOT NULL",
                    f'ALTER TABLE {TABLE} DROP COLUMN "{name}"',
                )
                for name in COLUMNS
            ],
            state_operations=[
                migrations.AddField(
                    model_name="hardwaresnapshot",
                    name="disk_serials",
                    field=models.TextField(
                        blank=True, db_default="", editable=False, help_text="one per line"
                    ),
                ),
                migrations.AddField(
                    model_name="hardwaresnapshot",
                    name="addresses",
                    field=models.TextField(
                        blank=True,
                        db_default="",
                        editable=False,
                        help_text="MAC and IP addresses, one per line",
                    ),
                ),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

"""Devices get `ranking_methods_key`, their ranking run's methods as one text
(inventory.columns.methods_key), filled from the `ranking_methods` they keep, and an index of a
CPU model's machines measured alike in the order of their figure: a submission's attention
evaluation reads their count, their median and the lowest ones off it instead of every one of
them (insights.peer_selectors).

The column is added in place (ALTER TABLE … ADD COLUMN … DEFAULT '' NOT NULL, the same SQL on
SQLite and PostgreSQL), as in 0018."""

from django.db import migrations, models

from inventory.backfill import BATCH
from inventory.columns import methods_key

TABLE = '"inventory_device"'


def fill(apps, schema_editor):
    model = apps.get_model("inventory", "Device")
    rows = model.objects.only("id", "ranking_methods").order_by("id")
    changed = []
    for row in rows.iterator(chunk_size=BATCH):
        row.ranking_methods_key = methods_key(row.ranking_methods)
        if row.ranking_methods_key:
            changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, ["ranking_methods_key"])
            changed = []
    model.objects.bulk_update(changed, ["ranking_methods_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0018_snapshot_serials_addresses"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {TABLE} ADD COLUMN \"ranking_methods_key\" text DEFAULT '' NOT NULL",
                    f'ALTER TABLE {TABLE} DROP COLUMN "ranking_methods_key"',
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="device",
                    name="ranking_methods_key",
                    field=models.TextField(blank=True, db_default="", editable=False),
                ),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="device",
            index=models.Index(
                condition=models.Q(global_score__isnull=False, latest_snapshot__isnull=False),
                fields=["cpu_model_key", "ranking_methods_key", "global_score"],
                name="inventory_device_peers",
            ),
        ),
    ]

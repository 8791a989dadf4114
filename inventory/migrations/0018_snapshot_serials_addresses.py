"""Snapshots get `disk_serials` and `addresses` (MAC and IP), derived from their stored
`storage` and `network`: a disk's serial and an interface's address become searchable. Existing
snapshots are filled in batches."""

from django.db import migrations, models

from inventory.backfill import fill_derived
from inventory.columns import addresses, disk_serials


def fill(apps, schema_editor):
    snapshots = apps.get_model("inventory", "HardwareSnapshot")
    fill_derived(snapshots, source="storage", target="disk_serials", derive=disk_serials)
    fill_derived(snapshots, source="network", target="addresses", derive=addresses)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0017_tag_unique_message"),
    ]

    operations = [
        migrations.AddField(
            model_name="hardwaresnapshot",
            name="disk_serials",
            field=models.TextField(blank=True, editable=False, help_text="one per line"),
        ),
        migrations.AddField(
            model_name="hardwaresnapshot",
            name="addresses",
            field=models.TextField(
                blank=True, editable=False, help_text="MAC and IP addresses, one per line"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

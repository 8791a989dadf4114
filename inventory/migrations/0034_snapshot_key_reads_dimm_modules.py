"""The snapshots' hardware keys (inventory.history.hardware_key) read the DIMMs' modules too
(inventory.dimms: each module's size, type, speed and part number): two modules swapped for two
of the same size (a 2133 MHz kit for a 3200 MHz one) told no hardware change. Every snapshot's
key is computed again, 2,000 rows at a time, and those whose key changes (the snapshots that
list their DIMMs) written; reversed, the keys as 0032 left them."""

from django.db import migrations

from inventory.backfill import hardware_keys


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0033_device_last_heard_index"),
    ]

    operations = [
        migrations.RunPython(hardware_keys(), hardware_keys(modules=False), elidable=True),
    ]

"""The snapshots' hardware keys (inventory.history.hardware_key) read each port's card MAC
(inventory.nics.card_mac): an onboard eno1 after a board swap, or a card replaced under the same
name, is a hardware change where it told none, interfaces being matched by their names. Every
snapshot's key is computed again, 2,000 rows at a time, and those whose key changes (the
snapshots that list a port with its MAC) written; reversed, the keys as 0028 left them, the
ports' names only."""

from django.db import migrations

from inventory.backfill import hardware_keys


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0029_device_former_hostnames"),
    ]

    operations = [
        migrations.RunPython(hardware_keys(), hardware_keys(macs=False), elidable=True),
    ]

"""The snapshots' hardware keys (inventory.history.hardware_key) no longer read a MAC two of a
snapshot's ports carry (inventory.hardware_diff.port_macs): the ports of a bond, which carry
the bond's. The first port replaced told every port of the bond replaced, and each port's own
MAC, which bench.sh 1.2.6 sends, is what tells its card. Every snapshot's key is computed
again, 2,000 rows at a time, and those whose key changes (the snapshots listing a bond's
ports) written; reversed, the keys as 0030 left them."""

from django.db import migrations

from inventory.backfill import hardware_keys


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0031_device_attention_unmuted"),
    ]

    operations = [
        migrations.RunPython(hardware_keys(), hardware_keys(shared=True), elidable=True),
    ]

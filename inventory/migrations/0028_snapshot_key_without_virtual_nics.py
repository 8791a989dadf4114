"""The snapshots' hardware keys (inventory.history.hardware_key) leave out the virtual network
interfaces (inventory.nics: a VM's tap, a container's veth, a bridge): a Proxmox node or a
Docker host that sent other ones at every run told a hardware change at every run. Every
snapshot's key is computed again, 2,000 rows at a time, and those whose key changes (the
snapshots that list a virtual interface) written; reversed, the keys as they were, virtual
interfaces read."""

from django.db import migrations

from inventory.backfill import hardware_keys


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0027_device_attention_muted"),
    ]

    operations = [
        migrations.RunPython(hardware_keys(), hardware_keys(virtual=True), elidable=True),
    ]

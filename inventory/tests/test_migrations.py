"""Data migrations fill what existing rows need, on the real schema of the time."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from inventory.models import HardwareSnapshot

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_0007_makes_the_disk_models_of_existing_snapshots_searchable():
    apps = migrate(("inventory", "0006_cpu_sockets"))
    device = apps.get_model("inventory", "Device").objects.create(hostname="nas")
    snapshot = apps.get_model("inventory", "HardwareSnapshot")
    storage = {
        "devices": [
            {"name": "sda", "model": "WDC WD40EFRX-68N32N0"},
            {"name": "sdb", "model": "WDC WD40EFRX-68N32N0 "},  # the same model, twice
            {"name": "nvme0n1", "model": "Samsung SSD 980 PRO 1TB"},
            {"name": "sr0"},
            "not an object",
        ]
    }
    filled = snapshot.objects.create(device=device, captured_at=timezone.now(), storage=storage)
    empty = snapshot.objects.create(device=device, captured_at=timezone.now(), storage={})

    migrate(("inventory", "0007_snapshot_disk_models"))

    models = HardwareSnapshot.objects.get(pk=filled.pk).disk_models
    assert models == "WDC WD40EFRX-68N32N0\nSamsung SSD 980 PRO 1TB"
    assert HardwareSnapshot.objects.get(pk=empty.pk).disk_models == ""

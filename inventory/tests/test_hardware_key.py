"""A snapshot's hardware key: the same for two snapshots that tell no change between them and
show alike, another for any difference a change is told from (inventory.history)."""

import pytest

from inventory.history import KEY_COLUMNS, hardware_key
from inventory.models import HardwareSnapshot
from inventory.tests.factories import SnapshotFactory

pytestmark = pytest.mark.django_db


def test_a_submission_stores_its_snapshots_hardware_key(submit, example):
    snapshot = HardwareSnapshot.objects.get(pk=submit(example).json()["snapshot_id"])
    assert snapshot.hardware_key is not None
    assert snapshot.hardware_key == hardware_key(snapshot)


def _built(**changes) -> HardwareSnapshot:
    storage = {
        "devices": [{"name": "sda", "model": "WD40EFRX", "capacity_gb": 4000, "serial": "WD-1"}]
    }
    network = {"interfaces": [{"name": "eth0", "mac": "aa:bb:cc:dd:ee:ff"}]}
    columns = {
        "gpu_model": "",
        "motherboard_model": "B550",
        "bios_version": "F1",
        "os_version": "12",
        "kernel_version": "6.1.0-10-amd64",
        "ram_slots_used": 2,
    }
    return SnapshotFactory.build(storage=storage, network=network, **{**columns, **changes})


def test_two_snapshots_alike_have_one_key_whatever_else_differs():
    a, b = _built(), _built(cpu_cores=8, bench_script_version="1.2.3")
    b.storage["devices"][0]["temperature_c"] = 61  # a reading, not the hardware
    b.network["interfaces"][0]["ipv4"] = ["10.0.0.9"]
    assert hardware_key(a) == hardware_key(b)


@pytest.mark.parametrize("name", [n for n in KEY_COLUMNS if n not in ("storage", "network")])
def test_each_column_a_change_is_told_from_or_a_stretch_shows_changes_the_key(name):
    plain = _built()
    other = _built(**{name: 12345 if isinstance(getattr(plain, name), int) else "other"})
    assert hardware_key(plain) != hardware_key(other)


def test_a_disk_replaced_and_an_interface_renamed_change_the_key():
    plain, replaced, renamed = _built(), _built(), _built()
    replaced.storage["devices"][0]["serial"] = "WD-2"
    renamed.network["interfaces"][0]["name"] = "enp3s0"
    assert len({hardware_key(s) for s in (plain, replaced, renamed)}) == 3

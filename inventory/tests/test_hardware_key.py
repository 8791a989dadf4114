"""A snapshot's hardware key: the same for two snapshots that tell no change between them and
show alike, another for any difference a change is told from (inventory.history)."""

import pytest

from inventory.history import KEY_COLUMNS, hardware_key, snapshot_told
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


@pytest.mark.parametrize(
    "name", [n for n in KEY_COLUMNS if n not in ("storage", "network", "ram_layout")]
)
def test_each_column_a_change_is_told_from_or_a_stretch_shows_changes_the_key(name):
    plain = _built()
    other = _built(**{name: 12345 if isinstance(getattr(plain, name), int) else "other"})
    assert hardware_key(plain) != hardware_key(other)


def test_a_disk_replaced_and_an_interface_renamed_change_the_key():
    plain, replaced, renamed = _built(), _built(), _built()
    replaced.storage["devices"][0]["serial"] = "WD-2"
    renamed.network["interfaces"][0]["name"] = "enp3s0"
    assert len({hardware_key(s) for s in (plain, replaced, renamed)}) == 3


def test_dimms_swapped_for_others_of_the_same_size_change_the_key_their_slots_and_maker_do_not():
    def kit(speed, part, vendor="Corsair", slot="DIMM_A"):
        dimm = {"size_mb": 16384, "type": "DDR4", "speed_mhz": speed, "part_number": part}
        return [{**dimm, "vendor": vendor, "slot": f"{slot}{n}"} for n in (1, 2)]

    plain = _built(ram_layout=kit(2133, "CMK32GX4M2A2133C13"))
    faster = _built(ram_layout=kit(3200, "KF432C16BB/16"))
    # the maker as bench.sh 1.2 named it (JEDEC), a slot as another firmware names it
    renamed = _built(
        ram_layout=kit(2133, "CMK32GX4M2A2133C13", vendor="Bank 3, Hex 0x9E", slot="A")
    )
    assert hardware_key(plain) != hardware_key(faster)
    assert hardware_key(plain) == hardware_key(renamed)
    # a part number the firmware leaves as a placeholder is none read
    placeholder, unread = (_built(ram_layout=kit(2133, part)) for part in ("Not Specified", None))
    assert hardware_key(placeholder) == hardware_key(unread) != hardware_key(plain)


def test_a_dimm_swap_is_told_where_ram_and_slots_are_the_same():
    def kit(speed, part):
        dimm = {"size_mb": 16384, "type": "DDR4", "speed_mhz": speed, "part_number": part}
        return [{**dimm, "slot": f"DIMM_A{n}"} for n in (1, 2)]

    old = _built(ram_total_mb=32768, ram_layout=kit(2133, "CMK32GX4M2A2133C13"))
    swapped = _built(ram_total_mb=32768, ram_layout=kit(3200, "KF432C16BB/16"))
    xmp = _built(ram_total_mb=32768, ram_layout=kit(3200, "CMK32GX4M2A2133C13"))

    told = snapshot_told(old, swapped)
    assert told.phrases == [
        "DIMMs 2× 16 GB DDR4 2133 MHz CMK32GX4M2A2133C13 → 2× 16 GB DDR4 3200 MHz KF432C16BB/16"
    ]
    assert told.parts
    assert snapshot_told(old, xmp).phrases[0].startswith("DIMMs 2× 16 GB DDR4 2133 MHz")
    assert not snapshot_told(old, xmp).parts  # the firmware's setting (XMP), not a part
    # more modules: the count says it, once; a run that read none tells nothing of them
    upgraded = _built(ram_total_mb=65536, ram_slots_used=4, ram_layout=kit(2133, "X") * 2)
    assert not any(p.startswith("DIMMs 2×") for p in snapshot_told(old, upgraded).phrases)
    assert snapshot_told(old, _built(ram_total_mb=32768, ram_layout=[])).phrases == []


def test_more_modules_of_the_same_total_are_told_once_by_their_count():
    """Two 16 GB modules for four of 8 GB: the slots' count says it; the modules' list told it
    a second time, beside it."""
    old = _built(ram_total_mb=32768, ram_slots_used=2, ram_layout=[_dimm(16384, n) for n in (1, 2)])
    new = _built(
        ram_total_mb=32768, ram_slots_used=4, ram_layout=[_dimm(8192, n) for n in (1, 2, 3, 4)]
    )

    assert snapshot_told(old, new).phrases == ["DIMMs 2→4"]


def test_installed_ram_that_moved_by_its_margin_is_no_change():
    """Free RAM varies and VMs balloon: 256 MB (or 5 %) either way is the same RAM."""
    assert snapshot_told(_built(ram_total_mb=4096), _built(ram_total_mb=4352)).phrases == []
    assert snapshot_told(_built(ram_total_mb=4096), _built(ram_total_mb=4353)).phrases == [
        "RAM 4→4.3 GB"
    ]


def _dimm(size_mb: int, n: int) -> dict:
    return {"size_mb": size_mb, "type": "DDR4", "speed_mhz": 3200, "slot": f"DIMM_A{n}"}

"""The devices export ends with each machine's latest hardware in plain values (system, CPU, RAM
in GB, GPU, disks, OS release, kernel, BIOS): the sheet a fleet admin sends, for who may read
the hardware, read in the devices' own query."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from benchsite.export import ExportStream
from inventory.services import devices_latest_snapshot_refresh
from inventory.summary import COLUMNS as HARDWARE_COLUMNS
from inventory.tests.factories import DeviceFactory, SnapshotFactory

from .accounts import staff_client

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/")'  # a system model a machine sent
STORAGE = {
    "devices": [
        {"name": "sda", "model": "WD Red", "capacity_gb": 4000.8, "smart_health": "PASSED"},
        {"name": "nvme0n1", "model": "Samsung SSD 980 1TB", "capacity_gb": 1000.2},
        {"name": "sdb", "model": "WD Red", "capacity_gb": 4000.8},
        {"name": "vda", "capacity_gb": 50},  # a VM's disk: no model
    ],
    "partitions": [{"name": "sda1", "mount_point": "/", "total_gb": 100.0}],
}
NAS_HARDWARE = {
    "hw_system_vendor": "HP",
    "hw_system_model": FORMULA,
    "hw_cpu_model": "Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz",
    "hw_cpu_cores": "4",
    "hw_cpu_threads": "8",
    "hw_ram_gb": "15",  # 15842 MB, as the device page reads it
    "hw_gpu_model": "HD Graphics 630",
    "hw_disks": "Samsung SSD 980 1TB (1 TB); 2 × WD Red (4 TB); disk (50 GB)",
    "hw_os": "Debian GNU/Linux 12 (bookworm)",
    "hw_kernel_version": "6.1.0-18-amd64",
    "hw_bios_version": "P01 Ver. 02.47",
}


def machines(count: int = 1) -> list:
    """`count` machines with hardware (the first the NAS above, after an older snapshot of
    other hardware), then one never benchmarked."""
    devices = []
    for i in range(count):
        device = DeviceFactory(hostname="nas" if i == 0 else f"pc-{i}")
        SnapshotFactory(device=device, captured_at=datetime(2025, 1, 1, tzinfo=UTC))  # older
        SnapshotFactory(
            device=device,
            captured_at=datetime(2026, 1, 1, tzinfo=UTC),
            system_vendor="HP",
            system_model=FORMULA,
            cpu_model="Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz",
            cpu_cores=4,
            cpu_threads=8,
            ram_total_mb=15842,
            gpu_model="HD Graphics 630",
            storage=STORAGE,
            os_name="Debian GNU/Linux",
            os_version="12 (bookworm)",
            kernel_version="6.1.0-18-amd64",
            bios_version="P01 Ver. 02.47",
        )
        devices.append(device)
    devices.append(DeviceFactory(hostname="spare"))
    devices_latest_snapshot_refresh(device_ids=[d.pk for d in devices])
    return devices


def csv_rows(text: str) -> tuple[list[str], dict[str, dict]]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    return reader.fieldnames, {row["hostname"]: row for row in reader}


def test_the_devices_export_ends_with_each_machines_latest_hardware():
    machines()
    out = io.StringIO()
    call_command("export", format="csv", what="devices", stdout=out, stderr=io.StringIO())
    header, rows = csv_rows(out.getvalue())
    assert header[-len(HARDWARE_COLUMNS) :] == list(NAS_HARDWARE) == list(HARDWARE_COLUMNS)
    assert {name: rows["nas"][name] for name in HARDWARE_COLUMNS} == NAS_HARDWARE
    assert {rows["spare"][name] for name in HARDWARE_COLUMNS} == {""}  # no snapshot: empty

    out = io.StringIO()
    call_command("export", format="json", what="devices", stdout=out, stderr=io.StringIO())
    nas, spare = json.loads(out.getvalue())
    assert (nas["hw_cpu_cores"], nas["hw_ram_gb"], nas["hw_disks"]) == (
        4,
        15,
        NAS_HARDWARE["hw_disks"],
    )
    assert {spare[name] for name in HARDWARE_COLUMNS} == {None}


def test_the_hardware_goes_to_who_may_view_the_snapshots(token_client):
    nas = machines()[0]
    nas.refresh_from_db()
    action = {"action": "export_csv", "_selected_action": [nas.pk]}
    devices_only = staff_client("inventory.view_device")
    # nor the device's own copies of it: its CPU and system model, its latest snapshot
    copies = {"cpu_model_key", "system_model_key", "latest_snapshot_id", "latest_snapshot_at"}
    rows = json.loads(b"".join(devices_only.get("/api/export").streaming_content))
    assert rows[0]["hostname"] == "nas" and not set(rows[0]) & {*HARDWARE_COLUMNS, *copies}
    download = devices_only.post("/admin/inventory/device/", action)
    header, _ = csv_rows(b"".join(download.streaming_content).decode())
    assert "hostname" in header and not set(header) & {*HARDWARE_COLUMNS, *copies}

    for client in (
        staff_client("inventory.view_device", "inventory.view_hardwaresnapshot"),
        token_client("read"),
    ):
        rows = json.loads(b"".join(client.get("/api/export").streaming_content))
        assert rows[0]["hw_os"] == "Debian GNU/Linux 12 (bookworm)"
        assert rows[0]["cpu_model_key"] == "intel(r) core(tm) i7-7700 cpu @ 3.60ghz"
        assert rows[0]["latest_snapshot_id"] == nas.latest_snapshot_id
    # the admin's download for a spreadsheet: a BOM, a formula a machine sent kept as text
    viewer = staff_client("inventory.view_device", "inventory.view_hardwaresnapshot")
    body = b"".join(viewer.post("/admin/inventory/device/", action).streaming_content).decode()
    assert body.startswith("\ufeff")
    header, rows = csv_rows(body)
    assert header[-len(HARDWARE_COLUMNS) :] == list(HARDWARE_COLUMNS)
    assert rows["nas"]["hw_system_model"] == "'" + FORMULA
    assert rows["nas"]["hw_disks"] == NAS_HARDWARE["hw_disks"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_hardware_is_read_in_the_devices_query_whatever_their_number(
    count, django_assert_num_queries
):
    machines(count)
    # the devices with their latest hardware, then their tags: the same two queries for 3
    # machines as for 30 (a chunk of 2,000), none per machine
    with django_assert_num_queries(2):
        text = "".join(ExportStream(fmt="csv", what="devices", hardware=True))
    assert text.count(NAS_HARDWARE["hw_disks"]) == count

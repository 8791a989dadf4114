"""A small known fleet whose every field is set, with values that break naive encoders."""

import uuid
from datetime import UTC, datetime

from benchmarks.models import Benchmark, RulesApplied
from benchmarks.scoring import SCORING_VERSION
from benchmarks.services import device_ranking_refresh
from inventory.models import Device, HardwareSnapshot, Tag

AWKWARD_TEXT = 'Line 1\nLine "2", with, commas;\r\nand a tab\t and ünïcode ✓'


def make_fleet() -> dict[str, Device]:
    rack, proxmox, accent = (
        Tag.objects.create(name=name) for name in ("rack-2", "proxmox", "ünïcode")
    )
    nas = Device.objects.create(
        hostname="nas-01",
        fqdn="nas-01.lab.lan",
        description=AWKWARD_TEXT,
        asset_tag="=1+1",  # looks like a spreadsheet formula: exported as is
        location="rack-2",
        owner="ops",
        machine_id="3f2a9c1e8b7d4e6fa1b2c3d4e5f60718",
        system_uuid="4c4c4544-0042-3510-8051-b7c04f4e3732",
        serial="SN 123",
    )
    nas.tags.add(rack, proxmox)
    workstation = Device.objects.create(hostname="ws-é", description="")
    workstation.tags.add(accent)
    Device.objects.create(hostname="spare", location="shelf")  # no snapshot, no benchmark

    full = HardwareSnapshot.objects.create(
        device=nas,
        captured_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        bench_script_version="1.2.4",
        system_vendor="HP",
        system_model="EliteDesk 800 G3",
        chassis_type="Desktop",
        cpu_vendor="GenuineIntel",
        cpu_model="Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz",
        cpu_microarchitecture="Kaby Lake",
        cpu_cores=4,
        cpu_threads=8,
        cpu_base_freq_ghz=3.6,
        cpu_max_freq_ghz=4.2,
        cpu_cache_l1_kb=256,
        cpu_cache_l2_kb=1024,
        cpu_cache_l3_kb=8192,
        cpu_flags=["avx", "avx2", "aes"],
        cpu_tdp_w=65.0,
        ram_total_mb=65536,
        ram_slots_total=4,
        ram_slots_used=4,
        ram_ecc=True,
        ram_layout=[
            {"slot": "DIMM_A1", "size_mb": 16384, "type": "DDR4", "speed_mhz": 2400},
            {"slot": "DIMM_B1", "size_mb": 16384, "type": "DDR4", "vendor": None},
        ],
        gpu_vendor="Intel",
        gpu_model="HD Graphics 630",
        gpu_driver_version="i915",
        gpu_memory_dedicated_mb=0,
        gpu_memory_shared_mb=2048,
        gpu_api_support=["OpenGL 4.6", "Vulkan 1.3"],
        storage={
            "devices": [{"name": "nvme0n1", "smart_health": "PASSED", "temperature_c": 38.5}],
            "partitions": [{"name": "nvme0n1p1", "mount_point": "/", "used_gb": 12.25}],
        },
        network={"interfaces": [{"name": "eno1", "speed_mbps": 1000, "wake_on_lan": True}]},
        motherboard_vendor="HP",
        motherboard_model="829A",
        bios_vendor="HP",
        bios_version="P01 Ver. 02.47",
        bios_date="2023-05-10",
        os_name="Debian GNU/Linux",
        os_version="12 (bookworm)",
        kernel_version="6.1.0-18-amd64",
        architecture="x86_64",
        virtualization_type="none",
        raw={"cpu": {"flags": ["avx"], "nested": {"deep": [1, 2.5, None, "x"]}}, "note": "é"},
    )
    sparse = HardwareSnapshot.objects.create(
        device=workstation,
        captured_at=datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
        ram_ecc=False,
    )
    HardwareSnapshot.objects.create(
        device=workstation, captured_at=datetime(2026, 2, 4, tzinfo=UTC), ram_ecc=None
    )
    Benchmark.objects.create(
        device=nas,
        snapshot=full,
        run_at=datetime(2026, 1, 2, 3, 4, 6, 1, tzinfo=UTC),
        bench_script_version="1.2.4",
        cpu_score=104.4,
        memory_score=98.6,
        disk_score=134.5,
        network_score=94.0,
        gpu_score=68.8,
        global_score=105.65,
        results={"cpu": {"events_per_sec_multi": 9876.54, "score": 104.4}, "global_score": 107.3},
        extra={"client_note": [1, {"a": None}]},
        scoring_version=SCORING_VERSION,  # this version's (an earlier one's migrate rescores)
        weights={"cpu": 0.3, "memory": 0.2, "disk": 0.25, "network": 0.15, "gpu": 0.1},
        submission_id=uuid.UUID("0b7e0a52-5c9e-4d6e-9f0a-1c2d3e4f5a6b"),
        submitted_by="token:rack bench.sh",
    )
    Benchmark.objects.create(
        device=workstation,
        snapshot=None,
        run_at=datetime(2026, 2, 3, 4, 5, 7, tzinfo=UTC),
        cpu_score=0.1 + 0.2,  # 0.30000000000000004: floats must survive exactly
        global_score=None,
        results={},
        submitted_by="API_TOKEN",
        scoring_version=SCORING_VERSION,
    )
    Benchmark.objects.create(
        device=workstation,
        snapshot=sparse,
        cpu_score=1e-7,
        memory_score=1e4,
        scoring_version=SCORING_VERSION,
    )
    device_ranking_refresh(device_ids=[nas.pk])
    # as this version's migrate leaves a database: its rules applied (an archive without this
    # row, an earlier version's, is rescored as it is restored)
    RulesApplied.objects.update_or_create(pk=1, defaults={"scoring_version": SCORING_VERSION})
    return {"nas": nas, "workstation": workstation}

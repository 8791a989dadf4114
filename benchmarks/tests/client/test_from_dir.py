"""Capture bundles: a capture replayed gives the live run's JSON; parsers read hand-made captures.

The fixture captures under fixtures/<case>/ are described in fixtures/SOURCES.md; the expected
values below were written by reading each fixture file, not by running the parser.
"""

import copy
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .benchrun import FIXTURES, SCRIPT, bench_json, require, run_bench
from .contract import expected_global_score, validate_submission


@functools.cache
def _replay(case: str, *args: str) -> str:
    return json.dumps(bench_json("--from-dir", str(FIXTURES / case), *args))


def replay(case: str, *args: str) -> dict:
    """The submission built from fixtures/<case> (each case is parsed once per session)."""
    return json.loads(_replay(case, *args))


def assert_matches(actual, expected, path="") -> None:
    """Every key of expected is in actual with the same value (floats to 1e-9)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing"
            assert_matches(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, abs=1e-9), f"{path}: {actual!r} != {expected!r}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"
        assert type(actual) is type(expected), f"{path}: {actual!r} is not a {type(expected)}"


# --- replaying this machine's capture -------------------------------------------------------


@pytest.mark.slow
def test_replaying_a_capture_gives_the_live_json(live_run):
    replayed = bench_json("--from-dir", str(live_run.capture))
    # the same files parsed by the same functions, the run's own submission id included
    assert replayed == live_run.document


def test_a_capture_made_with_device_replays_under_that_name(tmp_path):
    """The server matches a machine by its identity keys and renames it to what a submission
    calls it: a replay that forgot --device renamed the machine back to its hostname."""
    require("jq")
    capture = tmp_path / "capture"
    skip = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu")
    made = bench_json(*skip, "--device", "web-01", "--capture", str(capture))
    assert made["device_identifier"] == "web-01"

    assert bench_json("--from-dir", str(capture))["device_identifier"] == "web-01"
    # a --device given on replay still wins
    assert bench_json("--from-dir", str(capture), "--device", "web-02")["device_identifier"] == (
        "web-02"
    )


# What changes between two inventories of one idle machine taken seconds apart: memory in use,
# space used on the filesystems, disk temperatures, and the load average.
VOLATILE = {
    "ram": ("used_mb", "free_mb", "shared_mb"),
    "storage.partitions[]": ("used_gb",),
    "storage.devices[]": ("temperature_c",),
}


def without_volatile(hardware: dict) -> dict:
    hardware = copy.deepcopy(hardware)
    for key in VOLATILE["ram"]:
        hardware["ram"][key] = None
    for part in hardware["storage"]["partitions"]:
        part["used_gb"] = None
    for dev in hardware["storage"]["devices"]:
        dev["temperature_c"] = None
    return hardware


@pytest.mark.slow
def test_two_live_inventories_agree_apart_from_volatile_fields(live_run):
    inventory_only = bench_json(
        "--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu"
    )
    assert without_volatile(inventory_only["hardware"]) == without_volatile(
        live_run.document["hardware"]
    )


def test_replay_needs_none_of_the_inventory_or_benchmark_tools(tmp_path):
    """An air-gapped bundle is parsed on a machine with jq and coreutils only."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in (
        "bash",
        "jq",
        "mktemp",
        "rm",
        "cat",
        "awk",
        "date",
        "tr",
        "cp",
        "head",
        "mkdir",
        "dirname",
        "ls",
        "sed",
        "od",
    ):
        path = shutil.which(tool)
        assert path, tool
        os.symlink(path, bin_dir / tool)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "LC_ALL": "C"}
    proc = subprocess.run(
        [
            str(bin_dir / "bash"),
            str(SCRIPT),
            "--from-dir",
            str(FIXTURES / "old-tools"),
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "command not found" not in proc.stderr
    assert proc.stdout.strip().startswith("{")


def test_a_partial_capture_gives_null_for_every_section_it_does_not_hold(tmp_path):
    """Someone's own `lscpu > lscpu.txt` and a dmidecode dump: what they hold is parsed, every
    other section and result is null (not collected), and the submission is still valid."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    shutil.copy(FIXTURES / "lscpu-no-max-mhz" / "lscpu.txt", capture)
    shutil.copy(FIXTURES / "dmidecode-2x" / "dmidecode.txt", capture)
    doc = bench_json("--from-dir", str(capture))
    assert validate_submission(doc) == []
    hardware = doc["hardware"]
    assert {name for name, section in hardware.items() if section is not None} == {
        "cpu",
        "ram",  # the DIMMs are in the dmidecode dump
        "system",
        "motherboard",
        "os",  # lscpu names the architecture
    }
    assert hardware["cpu"]["model"]
    assert hardware["gpu"] is hardware["storage"] is hardware["network"] is None
    assert all(doc["results"][name] is None for name in ("cpu", "memory", "disk", "network"))
    assert doc["results"]["conditions"] is None
    assert doc["results"]["global_score"] is None


def test_a_submission_jq_cannot_write_is_a_clear_error_not_a_blank_document(tmp_path):
    """When jq fails on the submission itself (here a jq that refuses the program that puts the
    document together), bench.sh stops with exit 1 and shows what jq said: the work directory
    and its parse log are gone once it exits."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    jq = bin_dir / "jq"
    jq.write_text(
        "#!/bin/bash\n"
        'for a; do [[ $a == *"def obj("* ]] && { echo "jq: out of memory" >&2; exit 5; }; done\n'
        f'exec {shutil.which("jq")} "$@"\n'
    )
    jq.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LC_ALL": "C"}
    proc = subprocess.run(
        ["bash", str(SCRIPT), "--from-dir", str(FIXTURES / "old-tools"), "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1
    assert "jq: out of memory" in proc.stderr
    assert "could not build the submission JSON (jq's errors above)" in proc.stderr
    assert proc.stdout == ""


# --- parser fixtures --------------------------------------------------------------------------

ALL_CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", ALL_CASES)
def test_every_fixture_replays_into_a_valid_submission(case):
    doc = replay(case)
    assert validate_submission(doc) == []
    expected = expected_global_score(doc["results"])
    assert doc["results"]["global_score"] == (
        None if expected is None else pytest.approx(expected, abs=0.01)
    )


def test_lscpu_without_max_mhz():
    """Old util-linux layout (per-instance caches "32K"), a KVM guest: no max frequency."""
    cpu = replay("lscpu-no-max-mhz")["hardware"]["cpu"]
    assert_matches(
        cpu,
        {
            "vendor": "Intel",
            "model": "Intel(R) Xeon(R) CPU E5-2630 v4 @ 2.20GHz",
            "microarchitecture": "Broadwell",  # family 6 model 79
            "cores": 4,  # 1 core per socket x 4 sockets
            "threads": 4,
            "base_freq_ghz": 2.2,  # "@ 2.20GHz" in the model name
            "max_freq_ghz": None,  # no "CPU max MHz" line, no cpufreq.txt
            "cache_l1_kb": 256,  # (32K L1d + 32K L1i) x 4 cores
            "cache_l2_kb": 16384,  # 4096K x 4 cores
            "cache_l3_kb": 65536,  # 16384K x 4 sockets
            "tdp_w": None,
        },
    )
    assert len(cpu["flags"]) == 70 and "avx2" in cpu["flags"] and "hypervisor" in cpu["flags"]


def test_dmi_placeholders_are_null_and_empty_slots_are_not_dimms():
    hw = replay("dmi-oem-placeholders")["hardware"]
    assert_matches(
        hw["system"],
        {
            "machine_id": "5c7e0a0e3b1f4d2a9c8b7a6f5e4d3c2b",
            "system_uuid": None,  # 03000200-0400-0500-0006-000700080009, the AMI default
            "system_vendor": None,  # "To Be Filled By O.E.M."
            "system_model": None,
            "system_serial": None,
            "chassis_type": "desktop",
        },
    )
    assert_matches(
        hw["motherboard"],
        {
            "vendor": "ASRock",
            "model": "B450M Pro4",
            "bios_vendor": "American Megatrends Inc.",
            "bios_version": "P3.50",
            "bios_date": "2019-07-18",  # 07/18/2019
        },
    )
    dimm = {
        "size_mb": 8192,
        "type": "DDR4",
        "speed_mhz": 3200,
        "vendor": "Kingston",
        "part_number": "KHX3200C16D4/8GX",
    }
    assert_matches(
        hw["ram"],
        {
            "total_mb": 15936,  # MemTotal 16318508 kB / 1024
            "used_mb": 1656,  # no free.txt: total - free - buffers - cached - reclaimable
            "free_mb": 11563,
            "shared_mb": 100,
            "slots_total": 4,  # two "No Module Installed" slots count as slots...
            "slots_used": 2,  # ...not as DIMMs
            "ecc": False,  # Error Correction Type: None
            "layout": [
                # both channels call their second slot "DIMM 1": the bank tells them apart
                {"slot": "P0 CHANNEL A DIMM 1", **dimm},
                {"slot": "P0 CHANNEL B DIMM 1", **dimm},
            ],
        },
    )


def test_a_machine_without_gpu_has_a_null_gpu():
    assert replay("no-gpu")["hardware"]["gpu"] is None


def test_glxinfo_picks_the_gpu_it_rendered_on():
    doc = replay("gpu-hybrid")
    # glmark2 2023.01's closing line; 100 x 8597 / 2000
    # one run (samples of one, no spread); a capture bench.sh did not make names no method
    assert doc["results"]["gpu"] == {
        "glmark2_score": 8597,
        "score": 429.9,
        "samples": [429.9],
        "cv_pct": None,
        "method": None,
    }
    assert doc["results"]["global_score"] == 429.9  # the only category present
    gpu = doc["hardware"]["gpu"]
    assert gpu == {
        "vendor": "NVIDIA",
        "model": "NVIDIA GeForce GTX 1070",  # the marketing name in lspci's brackets
        "driver_version": "NVIDIA 535.54.03",
        "memory_dedicated_mb": 8192,
        "memory_shared_mb": None,
        "api_support": ["OpenGL 4.6", "OpenGL ES 3.2"],
    }


def test_glxinfo_of_one_of_two_gpus_of_one_vendor_is_tied_by_its_pci_id(tmp_path):
    """An AMD APU beside an AMD card: glxinfo rendered on the APU (Mesa names the device,
    0x1638), and its 512 MB carve-out is the APU's, not the RX 6600's listed first."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    (capture / "lspci.txt").write_text(
        "03:00.0 VGA compatible controller [0300]: Advanced Micro Devices, Inc. [AMD/ATI] "
        "Navi 23 [Radeon RX 6600/6600 XT/6600M] [1002:73ff] (rev c3)\n"
        "\tKernel driver in use: amdgpu\n"
        "07:00.0 VGA compatible controller [0300]: Advanced Micro Devices, Inc. [AMD/ATI] "
        "Cezanne [Radeon Vega Series / Radeon Vega Mobile Series] [1002:1638] (rev c4)\n"
        "\tKernel driver in use: amdgpu\n"
    )
    (capture / "glxinfo.txt").write_text(
        "Extended renderer info (GLX_MESA_query_renderer):\n"
        "    Vendor: AMD (0x1002)\n"
        "    Device: AMD Radeon Graphics (renoir, LLVM 15.0.7, DRM 3.54, 6.5.0) (0x1638)\n"
        "    Video memory: 512MB\n"
        "    Unified memory: no\n"
        "OpenGL vendor string: AMD\n"
        "OpenGL renderer string: AMD Radeon Graphics (renoir, LLVM 15.0.7, DRM 3.54, 6.5.0)\n"
        "OpenGL version string: 4.6 (Compatibility Profile) Mesa 23.2.1\n"
    )
    gpu = bench_json("--from-dir", str(capture))["hardware"]["gpu"]
    assert gpu["model"] == "AMD Radeon Vega Series / Radeon Vega Mobile Series"
    assert gpu["memory_dedicated_mb"] == 512
    assert gpu["driver_version"] == "Mesa 23.2.1"


@pytest.mark.parametrize("printed, model", [("0xfc6", "GTX 650"), ("0xffffffff", "GTX 1050 Ti")])
def test_a_pci_id_mesa_prints_unpadded_ties_glxinfo_to_its_gpu(tmp_path, printed, model):
    """Mesa prints its device id with %x ("(0x162)" for an HD 4000): a GTX 650 (0fc6) on
    nouveau beside a GTX 1050 Ti was not found by its id, and its figures went to the card
    lspci lists first. An id Mesa does not know (0xffffffff) ties nothing: the first card."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    (capture / "lspci.txt").write_text(
        "01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GP107 "
        "[GeForce GTX 1050 Ti] [10de:1c82] (rev a1)\n\tKernel driver in use: nouveau\n"
        "02:00.0 VGA compatible controller [0300]: NVIDIA Corporation GK107 "
        "[GeForce GTX 650] [10de:0fc6] (rev a1)\n\tKernel driver in use: nouveau\n"
    )
    (capture / "glxinfo.txt").write_text(
        "Extended renderer info (GLX_MESA_query_renderer):\n"
        "    Vendor: nouveau (0x10de)\n"
        f"    Device: NVE7 ({printed})\n"
        "    Video memory: 1024MB\n"
        "    Unified memory: no\n"
        "OpenGL vendor string: nouveau\n"
        "OpenGL renderer string: NVE7\n"
        "OpenGL version string: 4.3 (Compatibility Profile) Mesa 23.2.1\n"
    )
    gpu = bench_json("--from-dir", str(capture))["hardware"]["gpu"]
    assert gpu["model"] == f"NVIDIA GeForce {model}"


def test_glxinfo_alone_on_nouveau_names_nvidia_not_the_driver(tmp_path):
    """No lspci (not installed, or not allowed): glxinfo alone names the GPU. Its vendor string
    on nouveau is the Mesa driver's name (the corpus case gpu-glxinfo-nouveau-gf119, a GeForce GT
    610): the GPU was recorded as made by "nouveau", apart from every other NVIDIA machine."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    corpus = Path(__file__).parent / "corpus" / "gpu-glxinfo-nouveau-gf119"
    shutil.copy(corpus / "glxinfo.txt", capture)

    gpu = bench_json("--from-dir", str(capture))["hardware"]["gpu"]

    assert (gpu["vendor"], gpu["model"], gpu["driver_version"]) == (
        "NVIDIA",
        "Gallium 0.4 on NVD9",
        "Mesa 11.2.2",
    )


@pytest.mark.parametrize(
    "renderer",
    [
        "llvmpipe (LLVM 15.0.7, 128 bits)",
        "Gallium 0.4 on llvmpipe (LLVM 3.4, 256 bits)",
        "softpipe",
        # WSL2 without a GPU driver on the Windows side: Mesa d3d12 on WARP, a CPU renderer
        "D3D12 (Microsoft Basic Render Driver)",
    ],
)
def test_glmark2_drawn_on_the_cpu_gives_no_gpu_score(tmp_path, renderer):
    """A VM whose display adapter has /dev/dri (Proxmox's default VGA) ran glmark2 on Mesa's
    llvmpipe, as a mailing-list post shows it ("GL_RENDERER: llvmpipe (LLVM 15.0.7, 128
    bits)"): its figure, the CPU measured again, went into the global score as the GPU's."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    real = (FIXTURES / "gpu-hybrid" / "glmark2.txt").read_text()
    (capture / "glmark2.txt").write_text(
        real.replace("NVIDIA GeForce GTX 1070/PCIe/SSE2", renderer).replace(
            "NVIDIA Corporation", "Mesa"
        )
    )
    shutil.copy(FIXTURES / "minimal" / "sysbench-cpu-multi.txt", capture)

    results = bench_json("--from-dir", str(capture))["results"]

    assert results["gpu"] is None
    assert results["global_score"] == results["cpu"]["score"]


def test_wsl2_names_the_windows_gpu_d3d12_rendered_on_not_its_paravirtual_adapter(tmp_path):
    """WSL2: lspci lists only Microsoft's paravirtual adapter (1414:008e, dxgkrnl, as published
    WSL outputs show it); Mesa d3d12 rendered on the host's RTX 3080 Ti (the glxinfo of the
    corpus case gpu-glxinfo-wsl2-d3d12-rtx3080ti). The GPU is the NVIDIA card, and the 28457 MB
    Windows gives D3D12 (dedicated plus shared system memory) is no dedicated memory."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    # hand-written in the layout of `lspci -nnk` on WSL2
    (capture / "lspci.txt").write_text(
        "c19f:00:00.0 3D controller [0302]: Microsoft Corporation Basic Render Driver "
        "[1414:008e]\n\tKernel driver in use: dxgkrnl\n"
    )
    corpus = Path(__file__).parent / "corpus" / "gpu-glxinfo-wsl2-d3d12-rtx3080ti"
    shutil.copy(corpus / "glxinfo.txt", capture)

    gpu = bench_json("--from-dir", str(capture))["hardware"]["gpu"]

    assert gpu == {
        "vendor": "NVIDIA",
        "model": "NVIDIA GeForce RTX 3080 Ti",
        "driver_version": "Mesa 21.2.6",
        "memory_dedicated_mb": None,
        "memory_shared_mb": None,
        "api_support": ["OpenGL 3.3", "OpenGL ES 3.0"],
    }


def test_big_little_cores_are_summed_over_core_types():
    doc = replay("arm-biglittle")
    assert doc["device_identifier"] == "orangepi5"  # from uname.txt when replaying
    assert_matches(
        doc["hardware"]["cpu"],
        {
            "vendor": "ARM",
            "model": "Cortex-A55 + Cortex-A76",
            "microarchitecture": "Cortex-A55 + Cortex-A76",
            "cores": 8,  # 4 x 1 (A55) + 2 x 2 (A76)
            "threads": 8,
            "base_freq_ghz": None,
            "max_freq_ghz": 2.35,  # the larger of 1800 and 2352 MHz
            "cache_l1_kb": 768,  # 384 KiB + 384 KiB, already totals in this layout
            "cache_l2_kb": 2560,  # 2.5 MiB
            "cache_l3_kb": 3072,
        },
    )
    assert doc["hardware"]["os"]["architecture"] == "aarch64"


def test_a_container_reporting_zero_cpus_falls_back_to_proc_cpuinfo():
    cpu = replay("container-zero-cpus")["hardware"]["cpu"]
    assert_matches(
        cpu,
        {
            "vendor": "Intel",
            "microarchitecture": "Kaby Lake",  # model 142 stepping 9
            "cores": 2,  # distinct (physical id, core id) in /proc/cpuinfo
            "threads": 4,  # processors in /proc/cpuinfo, not lscpu's 0 nor nproc's 2
            "base_freq_ghz": 2.4,
            "cache_l1_kb": None,
        },
    )


def test_an_unknown_locale_gives_nulls_not_guesses():
    """French lscpu: the keys are not understood; /proc/cpuinfo (not translated) still is."""
    cpu = replay("lscpu-french")["hardware"]["cpu"]
    assert_matches(
        cpu,
        {
            "vendor": "Intel",
            "model": "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz",
            "microarchitecture": "Skylake",
            "cores": 4,
            "threads": 8,
            "base_freq_ghz": 3.4,
            "max_freq_ghz": None,  # "4000,0000" sits under a French key: not read, not guessed
            "cache_l3_kb": None,
        },
    )


def test_old_tool_versions():
    """sysbench 0.4, fio 2.x, smartctl 6 text, lsblk -P, plain `ip addr`, df without -T."""
    doc = replay("old-tools")
    assert doc["device_identifier"] == "fileserver"
    assert_matches(
        doc["results"]["cpu"],
        {
            "events_per_sec_single": 996.76,  # 10000 events / 10.0325 s
            "events_per_sec_multi": 3950.7,  # 10000 events / 2.5312 s
            "duration_s": 12.56,
            "score_single": 83.1,  # 100 x 996.76 / 1200
            "score_multi": 65.8,  # 100 x 3950.70 / 6000
            "score": 74.5,
        },
    )
    assert_matches(doc["results"]["memory"], {"throughput_mib_s": 2383.06, "score": 17})
    assert_matches(
        doc["results"]["disk"],
        {
            "read_mb_s": 107.4,  # bw 104857 KiB/s
            "write_mb_s": None,
            "iops_read": 130,
            "iops_write": None,
            "latency_ms": 7.676,  # lat.mean 7676.2 us (fio 2.x reports microseconds)
            "score": 3.6,  # mean of 100 x 107.37/1500 and 100 x 130.25/100000
        },
    )
    assert_matches(
        doc["results"]["network"],
        {
            "upload_mbps": 939.52,
            "download_mbps": 938.7,
            "ping_ms": 0.35,
            "jitter_ms": 0.04,
            "packet_loss_percent": 0,
            "retransmits": 8,
            "score": 93.9,
        },
    )
    assert doc["results"]["gpu"] is None
    assert doc["results"]["global_score"] == 45.26
    storage = doc["hardware"]["storage"]
    assert storage["devices"] == [
        {
            "name": "/dev/sda",
            "type": "HDD",
            "interface": "SATA",
            "capacity_gb": 4000.8,
            "vendor": "WDC",
            "model": "WDC WD40EFRX-68N32N0",
            "serial": "WD-WCC7K1234567",
            "smart_health": "PASSED",
            "temperature_c": 35,
            # smartctl 6.5 attribute table: 5, 9 and 197 raw values; no 198 row
            "power_on_hours": 8245,
            "reallocated_sectors": 0,
            "pending_sectors": 0,
            "offline_uncorrectable": None,
            "media_errors": None,
            "percent_used": None,
        },
        {
            "name": "/dev/sdb",
            "type": "SSD",
            "interface": "SATA",
            "capacity_gb": 250.1,
            "vendor": "Samsung",
            "model": "Samsung SSD 850",
            "serial": "S21PNXAG123456A",
            "smart_health": None,
            "temperature_c": None,
            # no smartctl report for this disk: no counter
            "power_on_hours": None,
            "reallocated_sectors": None,
            "pending_sectors": None,
            "offline_uncorrectable": None,
            "media_errors": None,
            "percent_used": None,
        },
    ]
    assert storage["partitions"] == [
        {
            "name": "/dev/sdb1",
            "mount_point": "/",
            "fs_type": None,
            "used_gb": 50.8,
            "total_gb": 228.2,
        },
        {
            "name": "/dev/sda1",
            "mount_point": "/srv/data",
            "fs_type": None,
            "used_gb": 2756.2,
            "total_gb": 3725.8,
        },
    ]
    assert doc["hardware"]["network"]["interfaces"] == [
        {
            "name": "enp3s0",
            "type": "ethernet",
            "mac": "3c:52:82:0a:1b:2c",
            "ip": "10.0.0.21",
            "speed_mbps": 1000,
            "driver": "r8169",
            "wake_on_lan": True,
            "master": None,
        },
        {
            "name": "wlp2s0",
            "type": "wifi",
            "mac": "a0:88:b4:12:34:56",
            "ip": None,
            "speed_mbps": None,
            "driver": None,
            "wake_on_lan": None,
            "master": None,
        },
    ]
    assert_matches(
        doc["hardware"]["os"],
        {
            "name": "Ubuntu",
            "version": "16.04.7 LTS (Xenial Xerus)",
            "kernel_version": "4.4.0-210-generic",
            "architecture": "x86_64",
            "virtualization_type": "none",
        },
    )


# `ethtool eth0` of a Dell Inspiron E1505's Broadcom b44 port with its cable out, verbatim from
# an Ubuntu Forums thread ("Wired LAN eth0 not detecting link/not working", 2012-01-12)
ETHTOOL_B44_NO_LINK = """Settings for eth0:
        Supported ports: [ MII ]
        Supported link modes:   10baseT/Half 10baseT/Full
                                100baseT/Half 100baseT/Full
        Supports auto-negotiation: Yes
        Advertised link modes:  100baseT/Full
        Advertised pause frame use: Symmetric Receive-only
        Advertised auto-negotiation: Yes
        Speed: 10Mb/s
        Duplex: Half
        Port: Twisted Pair
        PHYAD: 1
        Transceiver: internal
        Auto-negotiation: on
        MDI-X: Unknown
        Supports Wake-on: g
        Wake-on: d
        Current message level: 0x000000ff (255)
                               drv probe link timer ifdown ifup rx_err tx_err
        Link detected: no
"""


def test_an_lsblk_table_with_one_space_between_its_first_columns_is_read(tmp_path):
    """Disks named in 3 or 4 letters without a tree below them: lsblk writes "NAME TYPE" with
    one space between, which the rule for a table with a TYPE column took for none."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    (capture / "lsblk.txt").write_text(
        "NAME TYPE          SIZE MODEL            ROTA TRAN\n"
        "vda  disk  21474836480                      1 \n"
        "sda  disk 500107862016 Samsung SSD 860     0 sata\n"
    )

    devices = bench_json("--from-dir", str(capture))["hardware"]["storage"]["devices"]

    assert [(d["name"], d["capacity_gb"]) for d in devices] == [
        ("/dev/sda", 500.1),
        ("/dev/vda", 21.5),
    ]


@pytest.mark.parametrize(
    "lsblk",
    [
        # `lsblk -f`: no TYPE column to tell a disk from its partitions
        "NAME   FSTYPE FSVER LABEL UUID                         FSAVAIL FSUSE% MOUNTPOINTS\n"
        "sda\n"
        "└─sda1 ext4   1.0         0b6a2d1e-4c6f-4f0e-9d1b-6a1f0e2c   40.1G    12% /\n",
        '{"blockdevices": [{"name": "sda", "type": "disk", "si',  # cut short
    ],
    ids=["lsblk-f", "truncated-json"],
)
def test_an_lsblk_it_cannot_read_is_no_disk_list_not_an_empty_one(tmp_path, lsblk):
    """An lsblk output of another shape than bench.sh's, in someone's capture: the machine's
    disks were an empty list, which the server reads as every disk removed."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    name = "lsblk.json" if lsblk.startswith("{") else "lsblk.txt"
    (capture / name).write_text(lsblk)
    shutil.copy(FIXTURES / "minimal" / "uname.txt", capture)

    storage = bench_json("--from-dir", str(capture))["hardware"]["storage"]

    assert storage is None or storage["devices"] is None


def test_ip_o_link_then_ip_o_addr_in_one_file_name_each_interface_once(tmp_path):
    """`ip -o link; ip -o addr > ip-addr.txt` (one record a line, as iproute2 writes them with
    -o): each interface was two, its MAC in one and its address in the other."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    tail = " brd ff:ff:ff:ff:ff:ff"
    (capture / "ip-addr.txt").write_text(
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT\\"
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
        "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP\\"
        f"    link/ether 52:54:00:12:34:56{tail}\n"
        "3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP\\"
        f"    link/ether 52:54:00:12:34:57{tail}\n"
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
        "2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever\n"
        "3: eth1    inet6 fe80::5054:ff:fe12:3457/64 scope link \\       valid_lft forever\n"
    )
    doc = bench_json("--from-dir", str(capture))
    assert [
        (iface["name"], iface["mac"], iface["ip"])
        for iface in doc["hardware"]["network"]["interfaces"]
    ] == [("eth0", "52:54:00:12:34:56", "10.0.0.5"), ("eth1", "52:54:00:12:34:57", None)]


def test_a_udp_run_downloaded_gives_its_figures_and_no_score(tmp_path):
    """`iperf3 -R -u` saved as iperf3-down.json: scored from the rate it was told to send, its
    jitter and loss dropped, where the same run uploaded had no score."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    udp = Path(__file__).parent / "corpus" / "tool-iperf3.1-udp-selfhealing" / "iperf3-up.json"
    shutil.copy(udp, capture / "iperf3-down.json")

    network = bench_json("--from-dir", str(capture))["results"]["network"]

    assert (network["download_mbps"], network["jitter_ms"], network["packet_loss_percent"]) == (
        828.95,
        0.092,
        0.69,
    )
    assert network["score"] is network["samples"] is None


def test_a_udp_run_of_which_nothing_arrived_is_0_mbit_s_and_100_percent_lost():
    """iperf3 3.12 -u through a path that dropped every datagram: the receiver sum says 0 bytes
    in 0 packets and 0 % lost. The run was measured: 0 Mbit/s arrived, all of it lost, no
    jitter, no score (not a null network as if it had not run, nor a 0 % loss)."""
    network = replay("udp-nothing-arrived")["results"]["network"]

    assert (
        network["upload_mbps"],
        network["packet_loss_percent"],
        network["jitter_ms"],
        network["score"],
    ) == (0, 100, None, None)


def test_an_old_iperf3_udp_run_with_100_percent_lost_is_0_mbit_s(tmp_path):
    """iperf3 3.1.3 has only end.sum: lost_percent 100 (hand-edited from the corpus run, whose
    0.69 % it replaces) is a rate of 0, not the rate it was told to send, and no score."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    udp = Path(__file__).parent / "corpus" / "tool-iperf3.1-udp-selfhealing" / "iperf3-up.json"
    run = json.loads(udp.read_text())
    run["end"]["sum"].update(lost_percent=100, lost_packets=run["end"]["sum"]["packets"])
    (capture / "iperf3-up.json").write_text(json.dumps(run))

    network = bench_json("--from-dir", str(capture))["results"]["network"]

    assert (network["upload_mbps"], network["packet_loss_percent"], network["score"]) == (
        0,
        100,
        None,
    )


def test_an_iperf3_3_1_udp_run_of_which_nothing_arrived_is_0_mbit_s(tmp_path):
    """iperf3 3.0 and 3.1 take the packet count and the losses of a UDP run from the receiver
    (get_results: sp->packet_count = pcount): nothing arrived is 0 packets, 0 lost, 0 %, beside
    the bytes sent at the rate sent (834.7 Mbit/s here), which was read as what arrived."""
    capture = tmp_path / "bundle"
    capture.mkdir()
    udp = Path(__file__).parent / "corpus" / "tool-iperf3.1-udp-selfhealing" / "iperf3-up.json"
    run = json.loads(udp.read_text())
    nothing = {"packets": 0, "lost_packets": 0, "lost_percent": 0, "jitter_ms": 0}
    run["end"]["sum"].update(nothing)
    for stream in run["end"]["streams"]:
        stream["udp"].update(nothing)
    (capture / "iperf3-up.json").write_text(json.dumps(run))

    network = bench_json("--from-dir", str(capture))["results"]["network"]

    assert (network["upload_mbps"], network["packet_loss_percent"], network["score"]) == (
        0,
        100,
        None,
    )


@pytest.mark.parametrize(
    "link", ["Link detected: no", "Link detected: no (No cable)"], ids=["ioctl", "netlink"]
)
def test_a_port_without_a_link_has_no_speed(tmp_path, link):
    """b44 (and fealnx) print their slowest mode beside "Link detected: no": a machine with
    its cable out was recorded at 10 Mbit/s. Netlink's ethtool says why after it."""
    capture = tmp_path / "bundle"
    (capture / "ethtool").mkdir(parents=True)
    ethtool = ETHTOOL_B44_NO_LINK.replace("Link detected: no", link)
    (capture / "ethtool" / "eth0.txt").write_text(ethtool)
    (capture / "ip-addr.txt").write_text(
        "2: eth0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc pfifo_fast state DOWN\n"
        "    link/ether 00:15:c5:20:90:57 brd ff:ff:ff:ff:ff:ff\n"
    )
    doc = bench_json("--from-dir", str(capture))
    (eth0,) = doc["hardware"]["network"]["interfaces"]
    assert (eth0["name"], eth0["speed_mbps"], eth0["wake_on_lan"]) == ("eth0", None, False)


def test_garbage_yields_nulls_never_a_crash_nor_a_number():
    doc = replay("garbage")  # exit status 0 checked by bench_json
    hw, results = doc["hardware"], doc["results"]
    assert all(v is None for k, v in hw["cpu"].items() if k != "flags")
    assert hw["cpu"]["flags"] == []
    assert all(v is None for k, v in hw["ram"].items() if k != "layout")
    assert hw["ram"]["layout"] == []
    assert all(v is None for v in hw["system"].values())
    assert all(v is None for v in hw["motherboard"].values())
    assert all(v is None for v in hw["os"].values())
    assert hw["gpu"] is None  # only llvmpipe: no GPU
    # truncated lsblk.json, junk smartctl JSON: nothing read is null, not collected; an empty
    # list told the server every disk of the machine was removed
    assert hw["storage"]["devices"] is None
    assert hw["storage"]["partitions"] == [
        {
            "name": "/dev/sda1",
            "mount_point": "/",
            "fs_type": "ext4",
            "used_gb": None,
            "total_gb": None,
        },
    ]
    # the interface is kept, its unreadable MAC, speed and Wake-on-LAN null
    assert [
        (iface["name"], iface["mac"], iface["speed_mbps"], iface["wake_on_lan"])
        for iface in hw["network"]["interfaces"]
    ] == [("eth0", None, None, None)]
    for category in ("cpu", "memory", "disk", "network", "gpu"):
        assert results[category] is None, category  # 0, NaN, -5, 1e400 and errors: no result
    assert results["global_score"] is None
    assert all(v is None for v in results["conditions"].values())


def test_skip_options_apply_to_a_replay():
    doc = replay("old-tools", "--skip-network", "--skip-memory")
    results = doc["results"]
    assert results["network"] is None and results["memory"] is None
    assert results["cpu"]["score"] == 74.5
    # cpu and disk only: (0.30 x 74.5 + 0.25 x 3.6) / 0.55
    assert results["global_score"] == pytest.approx(expected_global_score(results), abs=0.01)
    assert results["global_score"] == pytest.approx(42.27, abs=0.01)


def test_repeats_give_samples_in_run_order_their_median_and_spread():
    """fixtures/repeats: three CPU and memory repeats, two disk repeats (.rN files)."""
    results = replay("repeats")["results"]
    # cpu: single 1200/1260/1140 eps (100/105/95 x 1200), multi 6000/6600/5400 (100/110/90 x 6000)
    # samples = mean of the two scores per repeat; median 100; sd 7.5 (n - 1) -> cv 7.5 %
    assert_matches(
        results["cpu"],
        {
            "events_per_sec_single": 1200.0,
            "events_per_sec_multi": 6000.0,
            "score_single": 100.0,
            "score_multi": 100.0,
            "duration_s": 6.0,  # six runs of 1.0002 s
            "samples": [100.0, 107.5, 92.5],
            "cv_pct": 7.5,
            "score": 100.0,
            "method": "sysbench-1.0-cpu-prime20000-1t+allt-v1",
        },
    )
    # memory: 14000/14700/13300 MiB/s over the 14000 reference
    assert_matches(
        results["memory"],
        {
            "throughput_mib_s": 14000.0,
            "samples": [100.0, 105.0, 95.0],
            "cv_pct": 5.0,
            "score": 100.0,
            "method": "sysbench-1.0-memory-write-64M-allt-v2",  # as the capture recorded it
        },
    )
    # disk: sequential read 1500 then 1800 MB/s (reference 1500): samples 100, 120; median 110;
    # sd 14.142 / mean 110 = 12.86 %
    assert_matches(
        results["disk"],
        {
            "read_mb_s": 1650.0,
            "samples": [100.0, 120.0],
            "cv_pct": 12.86,
            "score": 110.0,
            "method": "fio-direct-256M-seq1M-qd8-rand4k-qd32-v2",
            "filesystem": "xfs",
            "device": "/dev/mapper/vg0-var",
        },
    )
    assert validate_submission(replay("repeats")) == []


def test_fio_jobs_run_side_by_side_are_summed():
    """fio --numjobs=2 without group_reporting writes one jobs[] entry per job: the disk did
    what both did at once, so their rates are added (not the first job's alone)."""
    disk = replay("fio-numjobs")["results"]["disk"]

    assert_matches(
        disk,
        {
            "read_mb_s": 4179.6,  # seqread bw_bytes 2119150097 + 2060488503 B/s
            "write_mb_s": 3575.2,  # seqwrite 2017539836 + 1557674837 B/s
            "iops_read": 50483,  # randread 25364.18 + 25118.76
            "iops_write": 28409,  # randwrite 16475.57 + 11933.33
            # randread lat_ns.mean 1257122 and 1269429 ns, weighted by each job's IOPS
            "latency_ms": 1.263,
        },
    )


def test_fio_jobs_run_side_by_side_of_which_one_failed_are_left_out(tmp_path):
    """One of the two sequential-read jobs failed (fio's error set): the other one's figure,
    half the disk's at numjobs=2, is not read as the disk's; the test is left out, as a job
    that failed alone is, and the other tests keep their sums."""
    capture = tmp_path / "bundle"
    shutil.copytree(FIXTURES / "fio-numjobs", capture)
    seqread = json.loads((capture / "fio-seqread.json").read_text())
    seqread["jobs"][1]["error"] = 5  # EIO
    (capture / "fio-seqread.json").write_text(json.dumps(seqread))

    disk = bench_json("--from-dir", str(capture))["results"]["disk"]

    assert (disk["read_mb_s"], disk["write_mb_s"], disk["iops_read"]) == (None, 3575.2, 50483)


def test_conditions_busy_steal_swap_and_throttling_by_residency():
    conditions = replay("repeats")["results"]["conditions"]
    assert_matches(
        conditions,
        {
            # cpu-busy.txt: user +100, system +50, idle +300, steal +50 of 500 -> 150 / 500
            "cpu_busy_percent": 30.0,
            "idle_wait_s": 4.0,
            # conditions before/after: steal +100 of 5000
            "cpu_steal_percent": 2.0,
            # time_in_state under load: 190 at 3.0 GHz, 30 at 2.0 GHz (< 85 % of the 3.0 GHz
            # base_frequency): 30 / 220 = 13.6 % > 5 % -> throttled, though the thermal counters
            # did not rise (4 and 4)
            "cpu_time_below_nominal_percent": 13.6,
            "cpu_throttled": True,
            "swap_in_pages": 5,  # pswpin 10 -> 15
            "swap_out_pages": 0,
            "on_battery": False,  # AC online (a power_supply line, read with jq 1.6 too)
            "started_at": "2026-12-02T20:15:00Z",
            "finished_at": "2026-12-02T20:15:52Z",
            "run_duration_s": 52.0,
        },
    )


def test_a_bench_1_0_0_capture_gets_the_methods_of_that_version():
    """bench.sh 1.0.0 recorded no method: its tests were a 256 MiB memory block, 1 GiB fio file,
    10 s iperf3 (not short); the network's target is its HOST:PORT."""
    results = replay("legacy-1.0.0")["results"]
    assert results["cpu"]["method"] == "sysbench-1.0-cpu-prime20000-1t+allt-v1"
    assert results["memory"]["method"] == "sysbench-1.0-memory-write-256M-allt-v1"
    assert results["disk"]["method"] == "fio-direct-1024M-seq1M-qd8-rand4k-qd32-v1"
    assert results["network"]["method"] == "iperf3-tcp-1stream-up+down-10s-v1"
    assert results["network"]["target"] == "10.0.0.5:5201"
    assert results["network"]["samples"] == [93.6]  # 936 Mbit/s received over 1000
    assert results["network"]["cv_pct"] is None
    # another machine of the LAN: the network counts in the global score
    assert results["global_score"] == expected_global_score(results)


def test_a_network_measured_on_loopback_is_left_out_of_the_global_score(tmp_path):
    """As the server leaves it out (CONTRACT Part 2): the submission's informative global score
    and the summary say what the server will answer."""
    capture = tmp_path / "capture"
    shutil.copytree(FIXTURES / "legacy-1.0.0", capture)
    info = capture / "capture-info.txt"
    info.write_text(info.read_text().replace("iperf_server=10.0.0.5:", "iperf_server=127.0.0.1:"))

    proc = run_bench("--from-dir", str(capture), "--dry-run")

    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert results["network"]["target"] == "127.0.0.1:5201"
    assert results["network"]["score"] == 93.6  # measured and kept
    others = {name: value for name, value in results.items() if name != "network"}
    assert results["global_score"] == expected_global_score(others)
    assert results["global_score"] != expected_global_score(results)
    assert "against 127.0.0.1:5201: this machine itself, so not in the global score" in proc.stderr


def _with_sequential_writes(capture, method_disk: str) -> None:
    """The `repeats` capture with a sequential write of 4000 MB/s (4x its 1000 MB/s reference)
    beside each sequential read (1500 then 1800 MB/s, the 1500 MB/s reference), and method_disk."""
    for read_name, write_name in (
        ("fio-seqread.json", "fio-seqwrite.json"),
        ("fio-seqread.r2.json", "fio-seqwrite.r2.json"),
    ):
        document = json.loads((capture / read_name).read_text())
        job = document["jobs"][0]
        job["jobname"] = job["job options"]["name"] = "seqwrite"
        job["job options"]["rw"] = "write"
        job["read"], job["write"] = job["write"], dict(job["read"], bw_bytes=4_000_000_000)
        (capture / write_name).write_text(json.dumps(document))
    info = capture / "capture-info.txt"
    info.write_text(
        info.read_text().replace(
            "method_disk=fio-direct-256M-seq1M-qd8-rand4k-qd32-v2", f"method_disk={method_disk}"
        )
    )


@pytest.mark.parametrize(
    ("method", "samples", "score"),
    [
        # v3: the geometric mean of a repeat's tests: sqrt(100 x 400) = 200, sqrt(120 x 400) = 219.1
        ("fio-direct-256M-seq1M-qd8-rand4k-qd32-v3", [200.0, 219.1], 209.55),
        # a capture of the v2 tests is scored as v2 scored it: (100 + 400) / 2, (120 + 400) / 2
        ("fio-direct-256M-seq1M-qd8-rand4k-qd32-v2", [250.0, 260.0], 255.0),
    ],
)
def test_a_disk_repeat_scores_the_geometric_mean_of_its_tests_from_v3_on(
    tmp_path, method, samples, score
):
    capture = tmp_path / "capture"
    shutil.copytree(FIXTURES / "repeats", capture)
    _with_sequential_writes(capture, method)

    disk = bench_json("--from-dir", str(capture), "--dry-run")["results"]["disk"]

    assert_matches(
        disk,
        {"write_mb_s": 4000.0, "samples": samples, "score": score, "method": method},
    )


def test_a_capture_cut_short_is_said_and_its_incomplete_repeats_are_left_out(tmp_path):
    """Ctrl-C during the second disk repeat, then --from-dir: an ordinary run, whose second
    repeat (its fast sequential tests alone) read 167 where the whole ones read 103."""
    capture = tmp_path / "capture"
    shutil.copytree(FIXTURES / "repeats", capture)
    _with_sequential_writes(capture, "fio-direct-256M-seq1M-qd8-rand4k-qd32-v3")
    (capture / "fio-seqwrite.r2.json").unlink()  # the second repeat stopped after its read
    (capture / "sysbench-cpu-multi.r3.txt").unlink()  # and the third CPU one after its single
    info = capture / "capture-info.txt"
    info.write_text(
        "".join(line for line in info.read_text().splitlines(True) if "finished_at" not in line)
    )

    proc = run_bench("--from-dir", str(capture), "--dry-run")

    assert proc.returncode == 0, proc.stderr
    assert "this capture was cut short (capture-info.txt has no finished_at" in proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert_matches(results["disk"], {"samples": [200.0], "score": 200.0})  # sqrt(100 x 400)
    assert_matches(results["cpu"], {"samples": [100.0, 107.5], "score": 103.75})


def test_the_summary_lists_what_was_not_collected(tmp_path):
    capture = tmp_path / "capture"
    shutil.copytree(FIXTURES / "repeats", capture)
    (capture / "not-collected.txt").write_text(
        "SMART of /dev/vda\tsmartctl cannot read it\nGPU\tlspci is not installed\n"
    )
    proc = run_bench("--from-dir", str(capture), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "not collected:" in proc.stderr
    assert "- SMART of /dev/vda: smartctl cannot read it" in proc.stderr
    assert "- GPU: lspci is not installed" in proc.stderr


def test_dmidecode_2x_layout_with_the_handle_and_type_on_separate_lines():
    hardware = replay("dmidecode-2x")["hardware"]
    assert_matches(
        hardware["motherboard"],
        {
            "vendor": "ASUSTeK Computer INC.",
            "model": "K8N-DL",
            "bios_vendor": "Phoenix Technologies, LTD",
            "bios_version": "ASUS K8N-DL ACPI BIOS Revision 1004.007",
            "bios_date": "2005-06-28",
        },
    )
    assert hardware["system"]["system_vendor"] == "ASUSTek Computer Inc."
    assert hardware["system"]["system_uuid"] == "0c2b1e00-1a2b-11d9-8000-001a92b3c4d5"
    assert hardware["ram"]["layout"] == [
        {
            "slot": "DIMM_A1",
            "size_mb": 512,
            "type": "DDR",
            "speed_mhz": 400,
            "vendor": None,
            "part_number": None,
        }
    ]


def test_smart_counters_from_text_reports_in_both_attribute_layouts():
    devices = {d["name"]: d for d in replay("smart-counters")["hardware"]["storage"]["devices"]}
    # brief table: raw "35825h+02m+39.040s" -> whole hours; id 5 under its SandForce name
    assert_matches(
        devices["/dev/sda"],
        {
            "power_on_hours": 35825,
            "reallocated_sectors": 7,
            "pending_sectors": 3,
            "offline_uncorrectable": 1,
            "media_errors": None,
            "percent_used": None,
            "temperature_c": 29,
        },
    )
    # old table: raw "30123 (80 211 0)" -> the leading number
    assert_matches(
        devices["/dev/sdb"],
        {
            "power_on_hours": 30123,
            "reallocated_sectors": 48,
            "pending_sectors": 0,
            "offline_uncorrectable": 0,
            "temperature_c": 32,
        },
    )


def test_without_dmidecode_the_kernels_dmi_names_the_system_board_and_bios():
    """A run without root (or in a VM where dmidecode finds no /dev/mem) had no system model,
    vendor, board or BIOS: the peers by system model never formed."""
    hw = replay("dmi-sysfs")["hardware"]
    assert_matches(
        hw["system"],
        {
            "system_uuid": None,  # root only, as the serials
            "system_vendor": "LENOVO",
            "system_model": "ThinkPad X13 Gen 1 (20T2S0G700)",
            "system_serial": None,
            "chassis_type": "notebook",
        },
    )
    assert_matches(
        hw["motherboard"],
        {
            "vendor": "LENOVO",
            "model": "20T2S0G700",
            "bios_vendor": "LENOVO",
            "bios_version": "R1BET71W(1.40 )",
            "bios_date": "2022-10-13",
        },
    )


def test_dmidecode_comes_before_the_kernels_dmi(tmp_path):
    shutil.copytree(FIXTURES / "dmi-oem-placeholders", tmp_path, dirs_exist_ok=True)
    (tmp_path / "dmi-id.txt").write_text("sys_vendor=Sysfs Co\nboard_name=From sysfs\n")
    hw = bench_json("--from-dir", str(tmp_path), "--device", "x")["hardware"]
    assert hw["motherboard"]["model"] == "B450M Pro4"  # dmidecode's
    assert hw["system"]["system_vendor"] == "Sysfs Co"  # dmidecode's is a placeholder


def test_a_capture_without_lsblk_or_ip_has_no_list_of_disks_or_nics(tmp_path):
    """No list (null: not collected), not an empty one, which the server read as every disk
    and NIC of the machine removed."""
    capture = tmp_path / "capture"
    shutil.copytree(FIXTURES / "old-tools", capture)
    for name in ("lsblk.txt", "ip-addr.txt"):
        (capture / name).unlink()
    shutil.rmtree(capture / "smartctl")
    hardware = bench_json("--from-dir", str(capture))["hardware"]
    assert hardware["storage"]["devices"] is None
    assert hardware["storage"]["partitions"]  # df.txt is there
    assert hardware["network"] == {"interfaces": None}  # ethtool's outputs alone name no NIC


# --- captures a person made, not bench.sh (each file written by hand after its tool's output) --


def replay_files(tmp_path, files: dict[str, str]) -> dict:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return bench_json("--from-dir", str(tmp_path), "--device", "x")["hardware"]


def test_zvols_ceph_and_drbd_volumes_are_no_disks_of_the_machine(tmp_path):
    """A Proxmox node on ZFS: each VM's zvol (zd0, zd16) was sent as one of its SSDs, and each
    VM made or destroyed a hardware change "disk added/removed"."""
    lsblk = {
        "blockdevices": [
            {
                "name": "sda",
                "type": "disk",
                "size": 500107862016,
                "rota": False,
                "tran": "sata",
                "model": "Samsung SSD 870 EVO 500GB",
            },
            {"name": "zd0", "type": "disk", "size": 34359738368, "rota": False},
            {"name": "zd16", "type": "disk", "size": 4194304, "rota": False},
            {"name": "rbd0", "type": "disk", "size": 107374182400, "rota": False},
            {"name": "drbd1000", "type": "disk", "size": 10737418240, "rota": False},
        ]
    }
    hardware = replay_files(tmp_path, {"lsblk.json": json.dumps(lsblk)})
    assert [d["name"] for d in hardware["storage"]["devices"]] == ["/dev/sda"]


LSBLK_TREE = """\
NAME        MAJ:MIN RM   SIZE RO TYPE MOUNTPOINTS
sda           8:0    0   3.6T  0 disk
└─sda1        8:1    0   3.6T  0 part /srv
nvme0n1     259:0    0 931.5G  0 disk
├─nvme0n1p1 259:1    0   512M  0 part /boot/efi
└─nvme0n1p2 259:2    0   931G  0 part /
"""


@pytest.mark.parametrize(
    "files",
    [
        {"lsblk.txt": LSBLK_TREE},  # `lsblk > lsblk.txt`: the tree people read
        {  # `lsblk -J`: sizes as people read them (no -b), a decimal comma
            "lsblk.json": json.dumps(
                {
                    "blockdevices": [
                        {"name": "sda", "size": "3.6T", "type": "disk", "rm": False},
                        {"name": "nvme0n1", "size": "931,5G", "type": "disk", "rm": False},
                    ]
                }
            )
        },
    ],
    ids=["tree", "json-human-sizes"],
)
def test_lsblk_as_a_person_types_it_lists_the_disks(tmp_path, files):
    """Both were sent as "no disks" (devices: []), which the server takes for every disk of the
    machine removed: only bench.sh's own `lsblk -b -P` was read."""
    devices = replay_files(tmp_path, files)["storage"]["devices"]
    assert [(d["name"], d["capacity_gb"]) for d in devices] == [
        ("/dev/nvme0n1", 1000.2),  # 931.5 × 1024³ bytes
        ("/dev/sda", 3958.2),  # 3.6 × 1024⁴
    ]


def test_a_vlan_on_a_bridge_or_a_bond_is_a_vlan(tmp_path):
    """`ip -d -j addr` names the kind: vmbr0.20 was a "bridge" and bond0.10 a "bond" by their
    names, where the text form said "vlan" of the same machine."""

    def vlan(name, parent, vid):
        return {
            "ifindex": vid,
            "link": parent,
            "ifname": name,
            "link_type": "ether",
            "address": f"3c:ec:ef:10:20:{vid:02x}",
            "addr_info": [],
            "linkinfo": {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": vid}},
        }

    links = [vlan("vmbr0.20", "vmbr0", 20), vlan("bond0.10", "bond0", 10)]
    interfaces = replay_files(tmp_path, {"ip-addr.json": json.dumps(links)})["network"][
        "interfaces"
    ]
    assert [(i["name"], i["type"]) for i in interfaces] == [
        ("vmbr0.20", "vlan"),
        ("bond0.10", "vlan"),
    ]


def test_a_raspberry_pi_names_its_model_and_serial_in_proc_cpuinfo(tmp_path):
    """No DMI table on the board: its system model and serial were null, a fleet of Pis could
    not be grouped by model, and the summary called it "a container, or a VM"."""
    core = "processor\t: {n}\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd08\n\n"
    cpuinfo = "".join(core.format(n=n) for n in range(4)) + (
        "Hardware\t: BCM2835\nRevision\t: c03111\nSerial\t\t: 10000000a1b2c3d4\n"
        "Model\t\t: Raspberry Pi 4 Model B Rev 1.1\n"
    )
    hardware = replay_files(tmp_path, {"proc-cpuinfo.txt": cpuinfo})
    assert hardware["system"]["system_model"] == "Raspberry Pi 4 Model B Rev 1.1"
    assert hardware["system"]["system_serial"] == "10000000a1b2c3d4"
    assert hardware["cpu"]["microarchitecture"] == "Cortex-A72"


def test_lscpu_json_saved_as_lscpu_txt_is_read(tmp_path):
    """`lscpu -J > lscpu.txt`: every CPU fact was null, without a word."""

    def field(name, data, *children):
        return {"field": name, "data": data, **({"children": list(children)} if children else {})}

    lscpu = {
        "lscpu": [
            field("Architecture:", "x86_64", field("Byte Order:", "Little Endian")),
            field("CPU(s):", "8"),
            field(
                "Vendor ID:",
                "GenuineIntel",
                field(
                    "Model name:",
                    "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz",
                    field("Thread(s) per core:", "2"),
                    field("Core(s) per socket:", "4"),
                    field("Socket(s):", "1"),
                    field("CPU max MHz:", "4000.0000"),
                ),
            ),
        ]
    }
    cpu = replay_files(tmp_path, {"lscpu.txt": json.dumps(lscpu)})["cpu"]
    assert (cpu["vendor"], cpu["cores"], cpu["threads"], cpu["max_freq_ghz"]) == ("Intel", 4, 8, 4)


@pytest.mark.parametrize(
    ("model", "vendor"),
    [
        ("WD_BLACK SN850X 2000GB", "WDC"),  # the underscore is a word's character to \b
        ("PC711 NVMe SK hynix 512GB", "SK hynix"),  # the maker after the model's number
        ("KBG40ZNS256G NVMe KIOXIA 256GB", "KIOXIA"),
        ("ST4000VN008-2DR166", "Seagate"),
        ("Samsung SSD 870 EVO 500GB", "Samsung"),
        ("QEMU HARDDISK", "QEMU"),
    ],
)
def test_a_disks_maker_is_read_from_its_model_wherever_it_is_named(tmp_path, model, vendor):
    lsblk = {"blockdevices": [{"name": "sda", "type": "disk", "size": 10**12, "model": model}]}
    (disk,) = replay_files(tmp_path, {"lsblk.json": json.dumps(lsblk)})["storage"]["devices"]
    assert disk["vendor"] == vendor


@pytest.mark.parametrize(
    "name, lsblk",
    [
        (
            "lsblk.json",
            '{"blockdevices": ['
            '{"name": "/dev/sda", "type": "disk", "size": 500107862016, "rota": false}, '
            '{"name": "/dev/zram0", "type": "disk", "size": 4294967296, "rota": false}]}',
        ),
        (
            "lsblk.txt",
            "NAME        TYPE         SIZE ROTA\n"
            "/dev/sda    disk 500107862016    0\n"
            "/dev/zram0  disk   4294967296    0\n",
        ),
    ],
    ids=["json", "table"],
)
def test_lsblk_p_paths_name_each_disk_once_and_leave_out_zram(tmp_path, name, lsblk):
    """`lsblk -p` (or -J -p) names devices by their path: the disk was "/dev//dev/sda", and a
    compressed RAM disk ("/dev/zram0") counted as one of the machine's disks."""
    capture = tmp_path / "bundle"
    (capture / "smartctl").mkdir(parents=True)
    (capture / name).write_text(lsblk)
    # its smartctl report named by the path too, its slashes made "!"
    (capture / "smartctl" / "!dev!sda.txt").write_text(
        "Device Model:     Samsung SSD 860 EVO 500GB\nSerial Number:    S3Z1NB0K123456\n"
    )
    shutil.copy(FIXTURES / "minimal" / "uname.txt", capture)

    devices = bench_json("--from-dir", str(capture))["hardware"]["storage"]["devices"]

    assert [(d["name"], d["capacity_gb"], d["serial"]) for d in devices] == [
        ("/dev/sda", 500.1, "S3Z1NB0K123456")
    ]


def _selftest_row(i: int, nsid: str = "1") -> str:
    """One NVMe self-test log row as smartctl's nvmeprint.cpp prints it:
    "%2u   %-17s %-33s %9lu %12s %5s %3s %3s %4s" (number, test, result, hours, LBA, NSID...)."""
    fields = (f"{'Short':<17s}", f"{'Completed without error':<33s}", f"{16682 - i:9d}")
    return f"{i:2d}   {' '.join(fields)} {'-':>12s} {nsid:>5s} {'-':>3s} {'-':>3s} {'-':>4s}\n"


def test_an_nvme_self_test_log_row_is_no_smart_attribute(tmp_path):
    """smartctl 7.3+ prints the NVMe self-test log under -a; its sixth row (" 5   Short ...
    1 ...") was read as attribute 5, and the NVMe disk reported 1 reallocated sector (its NSID)."""
    case = "smart-linuxhw-dell-pm1725b-nvme-selftest-log"
    corpus = Path(__file__).resolve().parent / "corpus" / case
    report = (corpus / "smartctl" / "nvme0n1.txt").read_text()
    last = _selftest_row(1).replace("16681", "16682")  # the real report: both tests at hour 16682
    assert last in report
    more = "".join(_selftest_row(i) for i in range(2, 7))
    (tmp_path / "smartctl").mkdir()
    (tmp_path / "smartctl" / "nvme0n1.txt").write_text(report.replace(last, last + more))
    (disk,) = bench_json("--from-dir", str(tmp_path))["hardware"]["storage"]["devices"]
    assert disk["reallocated_sectors"] is None
    assert (disk["power_on_hours"], disk["percent_used"], disk["media_errors"]) == (17241, 4, 0)


@pytest.mark.parametrize(
    ("name", "pending"),
    [
        ("Current_Pending_Sector", 3),
        ("Total_Pending_Sectors", 3),
        ("Current_Pending_ECC_Cnt", None),  # Crucial MX500: flips 0 <> 1 without a fault
        ("Bogus_Current_Pend_Sect", None),  # as the drive database named it before
    ],
)
def test_attribute_197_is_pending_sectors_only_as_the_drive_database_names_it(
    tmp_path, name, pending
):
    """smartctl -j: an MX500's 197 flipping between 0 and 1 opened a degrading disk item
    ("pending sectors 0 → 1"), again at each flip to 1 once a person acknowledged it."""
    report = {
        "device": {"name": "/dev/sda", "protocol": "ATA"},
        "model_name": "CT500MX500SSD1",
        "smart_status": {"passed": True},
        "ata_smart_attributes": {
            "table": [
                {"id": 5, "name": "Reallocate_NAND_Blk_Cnt", "raw": {"value": 0, "string": "0"}},
                {"id": 197, "name": name, "raw": {"value": 3, "string": "3"}},
            ]
        },
    }
    (tmp_path / "smartctl").mkdir()
    (tmp_path / "smartctl" / "sda.json").write_text(json.dumps(report))

    (disk,) = bench_json("--from-dir", str(tmp_path))["hardware"]["storage"]["devices"]

    assert (disk["pending_sectors"], disk["reallocated_sectors"]) == (pending, 0)

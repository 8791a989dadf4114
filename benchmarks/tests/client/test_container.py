"""A run inside a container (Docker, LXC): the DMI table and the disks it reads are the host's.

Root in a privileged container reads the host's /sys/class/dmi/id: its UUID and serial, by
which the server found the host's device and renamed it to the container's hostname.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from .benchrun import FIXTURES, bench_functions, bench_json, run_bench

HOST_DMI = (
    FIXTURES / "dmi-sysfs" / "dmi-id.txt"
).read_text() + "product_serial=PF2ABCDE\nproduct_uuid=4C4C4544-0042-3510-8051-B7C04F4E3732\n"


def host_dmi_capture(directory: Path, virt: str) -> Path:
    """A capture of a machine whose DMI (sysfs and dmidecode) names a ThinkPad with its serial
    and UUID, and whose systemd-detect-virt said `virt`."""
    directory.mkdir()
    (directory / "dmi-id.txt").write_text(HOST_DMI)
    shutil.copy(FIXTURES / "dmidecode-2x" / "dmidecode.txt", directory)
    shutil.copy(FIXTURES / "dmi-oem-placeholders" / "machine-id.txt", directory)
    shutil.copy(FIXTURES / "dmi-sysfs" / "uname.txt", directory)
    (directory / "virt.txt").write_text(f"{virt}\n")
    return directory


PI_CPUINFO = (
    "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n\n"
    "Serial\t\t: 10000000a1b2c3d4\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n"
)


@pytest.mark.parametrize("virt", ["docker", "lxc", "podman", "wsl", "container-other"])
def test_a_containers_capture_sends_no_dmi_identity_nor_names(tmp_path, virt):
    """A capture made in a container by bench.sh 1.2.3, which kept the host's DMI, replays
    without it: the UUID, serial, vendor, model, chassis, board, BIOS and DIMMs are the host's.
    A virtual machine's DMI is its own."""
    capture = host_dmi_capture(tmp_path / "c", virt)
    # a Raspberry Pi host's board, in /proc/cpuinfo: not the container's either (bench.sh
    # 1.3.2 sent the host's serial as the container's, a key of the host's device)
    (capture / "proc-cpuinfo.txt").write_text(PI_CPUINFO)
    hardware = bench_json("--from-dir", str(capture))["hardware"]
    machine_id = (FIXTURES / "dmi-oem-placeholders" / "machine-id.txt").read_text().strip()
    assert hardware["system"] == {
        "machine_id": machine_id,  # the container's own
        "system_uuid": None,
        "system_vendor": None,
        "system_model": None,
        "system_serial": None,
        "chassis_type": None,
    }
    assert hardware["motherboard"] is None
    assert hardware["ram"] is None  # the DIMMs alone were in the capture

    vm = bench_json("--from-dir", str(host_dmi_capture(tmp_path / "vm", "kvm")))["hardware"]
    assert vm["system"]["system_uuid"] == "0c2b1e00-1a2b-11d9-8000-001a92b3c4d5"
    assert vm["system"]["system_serial"] == "PF2ABCDE"
    assert vm["motherboard"]["model"] == "K8N-DL"
    assert len(vm["ram"]["layout"]) == 1


def shim(directory: Path, name: str, body: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(f"#!/bin/sh\n{body}\n")
    (directory / name).chmod(0o755)


def test_a_live_run_in_a_container_says_dmi_is_the_hosts_and_its_disks_have_no_node(tmp_path):
    """In Docker, lsblk lists the host's disks, whose device nodes are not in the container:
    smartctl failed on each and the summary blamed "a virtual disk, or a controller"."""
    if os.geteuid() != 0 or shutil.which("smartctl") is None:
        pytest.skip("as root with smartctl only (SMART is read as root)")
    bin_dir = tmp_path / "bin"
    shim(bin_dir, "systemd-detect-virt", "echo docker")
    disks = {"name": "sdq", "type": "disk", "size": 500107862016, "model": "Host Disk"}
    shim(bin_dir, "lsblk", f"echo '{json.dumps({'blockdevices': [disks]})}'")
    capture = tmp_path / "capture"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    skips = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu")
    proc = run_bench(*skips, "--dry-run", "--capture", str(capture), env=env, timeout=120)

    assert proc.returncode == 0, proc.stderr
    assert (
        "- RAM slots and DIMMs, system UUID, serial, vendor and model, chassis, board and BIOS:"
        " a container: DMI describes the host" in proc.stderr
    )
    assert (
        "- SMART of /dev/sdq: a container: lsblk lists the host's disks, and /dev/sdq is not here"
        in proc.stderr
    )
    assert "smartctl cannot read it" not in proc.stderr
    assert not (capture / "dmi-id.txt").exists() and not (capture / "dmidecode.txt").exists()
    assert not (capture / "smartctl").exists()  # smartctl is not run on a disk it cannot open
    system = json.loads(proc.stdout)["hardware"]["system"]
    assert system["system_uuid"] is system["system_serial"] is None


GUESSES = [  # (files under /, what systemd-detect-virt would say)
    ({".dockerenv": ""}, "docker"),
    ({"run/.containerenv": ""}, "podman"),
    ({"run/systemd/container": "lxc\n", ".dockerenv": ""}, "lxc"),  # systemd's order
    ({"run/host/container-manager": "some-manager\n"}, "container-other"),
    ({"proc/sys/kernel/osrelease": "5.15.153.1-microsoft-standard-WSL2\n"}, "wsl"),
    ({"proc/vz/veinfo": ""}, "openvz"),
    ({"proc/vz/veinfo": "", "proc/bc/0": ""}, "none"),  # the OpenVZ host itself
    ({"etc/hostname": "plain\n"}, "none"),
]


def test_without_systemd_a_container_is_told_by_the_files_systemd_reads(tmp_path):
    """A Docker image rarely has systemd, so no systemd-detect-virt: the container was not
    known and its DMI taken for the machine's."""
    said = []
    for i, (files, _) in enumerate(GUESSES):
        for name, text in files.items():
            (tmp_path / str(i) / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / str(i) / name).write_text(text)
        proc = bench_functions(f"container_guess {tmp_path / str(i)} || echo none")
        said.append(proc.stdout.strip() or proc.stderr)
    assert said == [expected for _, expected in GUESSES]

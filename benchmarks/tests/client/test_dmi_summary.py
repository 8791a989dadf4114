"""The summary's "not collected" line for the DMI table names only what was not collected.

In a VM without SMBIOS for dmidecode, root still reads the UUID, serial, board and BIOS from the
kernel's /sys/class/dmi/id: the line said they were not collected while the JSON carried them.
"""

import json
import os
import shlex
import shutil
import subprocess

import pytest

from .benchrun import SCRIPT, bench_functions

UUID = "4c4c4544-0042-3510-8051-b7c04f4e3732"
SYSFS = {
    "sys_vendor": "QEMU",
    "product_name": "Standard PC (Q35 + ICH9, 2009)",
    "product_serial": "VM-SERIAL-7",
    "product_uuid": UUID,
    "board_vendor": "QEMU",
    "board_name": "Q35 board",
    "bios_vendor": "SeaBIOS",
    "bios_version": "1.16.2-debian",
    "bios_date": "04/01/2014",
}


def test_root_in_a_vm_without_smbios_lists_only_the_dimms_as_not_collected(tmp_path):
    """A live inventory as root in a mount namespace of its own, where /sys/class holds the
    kernel's DMI files of a QEMU VM and dmidecode finds no table."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) to stand in for /sys/class/dmi/id")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shims = {
        "systemd-detect-virt": "echo kvm",  # not a container: its DMI is its own
        "dmidecode": "echo '# No SMBIOS nor DMI entry point found, sorry.'; exit 1",
    }
    for name, body in shims.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    files = " ".join(f"echo {shlex.quote(v)} > /sys/class/dmi/id/{k};" for k, v in SYSFS.items())
    skips = "--skip-cpu --skip-memory --skip-disk --skip-network --skip-gpu"
    proc = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            "mount -t tmpfs tmpfs /sys/class && mkdir -p /sys/class/dmi/id || exit 99; "
            f'{files} exec bash "$0" --dry-run {skips}',
            str(SCRIPT),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        timeout=120,
        check=False,
    )
    if proc.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs on /sys/class here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    assert "- RAM slots and DIMMs: dmidecode found no DMI table" in proc.stderr
    system = json.loads(proc.stdout)["hardware"]["system"]
    assert (system["system_uuid"], system["system_serial"]) == (UUID, "VM-SERIAL-7")


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        (set(SYSFS), "RAM slots and DIMMs"),
        (set(), "RAM slots and DIMMs, system UUID and serial, board and BIOS"),
        # without root: no serials, no UUID
        (
            set(SYSFS) - {"product_uuid", "product_serial"},
            "RAM slots and DIMMs, system UUID and serial",
        ),
        (set(SYSFS) - {"product_serial"}, "RAM slots and DIMMs, system serial"),
        (set(SYSFS) - {"bios_vendor", "bios_version", "bios_date"}, "RAM slots and DIMMs, BIOS"),
        ({"product_uuid", "bios_date"}, "RAM slots and DIMMs, system serial, board"),
    ],
)
def test_what_the_kernels_dmi_did_not_give_is_named(tmp_path, present, missing):
    ids = tmp_path / "dmi-id.txt"
    ids.write_text("".join(f"{k}={v}\n" for k, v in SYSFS.items() if k in present))
    proc = bench_functions(f"dmi_missing {ids}")
    assert proc.stdout == missing, proc.stderr

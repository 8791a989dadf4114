"""Where fio writes its test file: on a disk, never in RAM, whatever the mount looks like.

A Raspberry Pi with the overlay file system on (raspi-config), or Ubuntu's overlayroot, has an
overlay at / whose upper layer, where every write goes, is a tmpfs: its "disk" read 5.5 GB/s.
The mount table below is the kernel's /proc/self/mountinfo layout, over real directories.
"""

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from .benchrun import SCRIPT, bench_functions

VDA = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw"


def mountinfo(tmp_path: Path, *lines: str) -> Path:
    table = tmp_path / "mountinfo"
    table.write_text("\n".join([VDA, *lines]) + "\n")
    return table


def in_ram(table: Path, directory: Path) -> tuple[bool, str]:
    proc = bench_functions(
        f"MOUNTINFO={shlex.quote(str(table))}; dir_in_ram {shlex.quote(str(directory))}"
    )
    assert "command not found" not in proc.stderr, proc.stderr
    return proc.returncode == 0, proc.stdout


def test_an_overlay_whose_upper_layer_is_in_ram_is_not_a_disk(tmp_path):
    t = tmp_path
    for name in ("root", "rw/overlay", "data/upper", "zram", "plain", "two words"):
        (t / name).mkdir(parents=True)
    table = mountinfo(
        t,
        # overlayroot: tmpfs at /media/root-rw, the overlay's upper layer in it
        f"30 27 0:40 / {t}/rw rw,relatime - tmpfs tmpfs rw,size=1024k",
        f"31 27 0:41 / {t}/root rw,relatime shared:1 - overlay overlayroot"
        f" rw,lowerdir=/media/root-ro,upperdir={t}/rw/overlay,workdir={t}/rw/work",
        # a container's root: its upper layer is on the host, not here
        f"32 27 0:42 / {t}/plain/docker rw - overlay overlay"
        " rw,lowerdir=/var/lib/docker/overlay2/l/ABC,upperdir=/var/lib/docker/overlay2/x/diff",
        # an overlay whose upper layer is on a disk
        f"33 27 8:17 / {t}/data rw - ext4 /dev/sdb1 rw",
        f"34 27 0:43 / {t}/two\\040words rw - overlay overlay"
        f" rw,lowerdir=/usr,upperdir={t}/data/upper,workdir={t}/data/work",
        # ext4 made on a compressed RAM block device
        f"35 27 252:1 / {t}/zram rw - ext4 /dev/zram1 rw",
    )
    (t / "plain" / "docker").mkdir()
    assert in_ram(table, t / "root") == (True, "an overlay on tmpfs (in RAM)")
    # a Docker container's disk test measures its host's disk, under the overlay
    assert in_ram(table, t / "plain" / "docker") == (False, "")
    assert in_ram(table, t / "zram") == (True, "/dev/zram1 (compressed RAM)")
    assert in_ram(table, t / "two words") == (False, "")
    assert in_ram(table, t / "plain") == (False, "")
    assert in_ram(table, t / "data" / "upper") == (False, "")
    assert in_ram(table, Path("/dev/shm")) == (True, "tmpfs (in RAM)")


def test_the_disk_test_goes_past_a_tmpdir_in_ram_and_says_why_when_none_is_left(tmp_path):
    (tmp_path / "rw" / "overlay").mkdir(parents=True)
    (tmp_path / "root").mkdir()
    table = mountinfo(
        tmp_path,
        f"30 27 0:40 / {tmp_path}/rw rw - tmpfs tmpfs rw",
        f"31 27 0:41 / {tmp_path}/root rw - overlay overlayroot"
        f" rw,lowerdir=/media/root-ro,upperdir={tmp_path}/rw/overlay",
    )
    root = shlex.quote(str(tmp_path / "root"))
    proc = bench_functions(f"MOUNTINFO={table}; TMPDIR={root}; fio_dir 1")
    assert proc.returncode == 0 and proc.stdout != str(tmp_path / "root"), proc.stderr
    # the whole root file system an overlay on a tmpfs (Raspberry Pi OS's overlay file system):
    # no directory is used, and why is said
    whole = tmp_path / "whole"
    whole.write_text(
        f"20 1 0:40 / {tmp_path}/rw rw - tmpfs tmpfs rw\n"
        f"21 1 0:41 / / rw - overlay overlay rw,lowerdir=/ro,upperdir={tmp_path}/rw/overlay\n"
    )
    proc = bench_functions(f"MOUNTINFO={whole}; unset TMPDIR; fio_dir 1")
    assert proc.returncode == 1
    assert "/var/tmp: an overlay on tmpfs (in RAM); " in proc.stdout
    assert proc.stdout.endswith("/tmp: an overlay on tmpfs (in RAM)")


def test_a_real_overlay_on_a_tmpfs_is_seen_as_in_ram(tmp_path):
    """The same through the kernel's own table: an overlay mounted in a mount namespace of
    its own, its upper layer on a tmpfs (nothing stays mounted)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) to mount an overlay")
    for name in ("rw", "lower", "merged"):
        (tmp_path / name).mkdir()
    t = shlex.quote(str(tmp_path))
    body = "\n".join(SCRIPT.read_text().rstrip("\n").split("\n")[:-1])
    mount = (
        f"mount -t tmpfs tmpfs {t}/rw && mkdir {t}/rw/up {t}/rw/work && mount -t overlay overlay"
        f" -o lowerdir={t}/lower,upperdir={t}/rw/up,workdir={t}/rw/work {t}/merged || exit 99"
    )
    proc = subprocess.run(
        ["unshare", "-m", "bash", "-s"],
        input=f"{mount}\n{body}\ndir_in_ram {t}/merged\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode == 99:
        pytest.skip(f"cannot mount an overlay here: {proc.stderr.strip()}")
    assert (proc.returncode, proc.stdout) == (0, "an overlay on tmpfs (in RAM)"), proc.stderr

"""Where fio writes its test file: on a disk, never in RAM, whatever the mount looks like.

A Raspberry Pi with the overlay file system on (raspi-config), or Ubuntu's overlayroot, has an
overlay at / whose upper layer, where every write goes, is a tmpfs: its "disk" read 5.5 GB/s.
The mount table below is the kernel's /proc/self/mountinfo layout, over real directories.
"""

import os
import shlex
import shutil
import subprocess
import tempfile
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
    # said: the test file is not where TMPDIR asked
    assert f"disk test file in {proc.stdout}, not in {tmp_path}/root: an overlay" in proc.stderr
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


def in_namespace(script: str) -> subprocess.CompletedProcess:
    """bench.sh's functions in a mount namespace of its own, after `script` (exit 99: skip)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) to mount")
    body = "\n".join(SCRIPT.read_text().rstrip("\n").split("\n")[:-1])
    proc = subprocess.run(
        ["unshare", "-m", "bash", "-s"],
        input=f"{body}\n{script}\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode == 99:
        pytest.skip(f"cannot mount here: {proc.stderr.strip()}")
    return proc


def test_a_real_overlay_on_a_tmpfs_is_seen_as_in_ram(tmp_path):
    """The same through the kernel's own table: an overlay mounted in a mount namespace of
    its own, its upper layer on a tmpfs (nothing stays mounted)."""
    for name in ("rw", "lower", "merged"):
        (tmp_path / name).mkdir()
    t = shlex.quote(str(tmp_path))
    mount = (
        f"mount -t tmpfs tmpfs {t}/rw && mkdir {t}/rw/up {t}/rw/work && mount -t overlay overlay"
        f" -o lowerdir={t}/lower,upperdir={t}/rw/up,workdir={t}/rw/work {t}/merged || exit 99"
    )
    proc = in_namespace(f"{mount}\ndir_in_ram {t}/merged")
    assert (proc.returncode, proc.stdout) == (0, "an overlay on tmpfs (in RAM)"), proc.stderr


def test_a_tmpdir_that_is_no_writable_directory_is_said_to_be_passed_over(tmp_path):
    proc = bench_functions(f"TMPDIR={shlex.quote(str(tmp_path / 'gone'))}; fio_dir 1")
    assert proc.returncode == 0, proc.stderr
    assert f"not in {tmp_path}/gone: not a directory this user can write in" in proc.stderr


def test_a_directory_without_room_is_named_with_its_free_space(tmp_path):
    """Passed over without a word: "no writable disk-backed directory with 768 MB free" of
    directories that all were on a disk, too small."""
    proc = bench_functions(f"TMPDIR={shlex.quote(str(tmp_path))}; fio_dir {2**60}")
    assert proc.returncode == 1
    assert f"{tmp_path}: " in proc.stdout and " MB free; /var/tmp: " in proc.stdout


def test_the_disk_tests_filesystem_is_the_one_in_sight_not_one_mounted_under_it(tmp_path):
    """Two filesystems mounted on one directory, fio writing in the second: the first was
    recorded (findmnt lists both, the first first)."""
    t = shlex.quote(str(tmp_path))
    proc = in_namespace(
        f"mount -t tmpfs under {t} && mount -t tmpfs over {t} || exit 99; fs_and_device {t}"
    )
    assert proc.stdout.split() == ["tmpfs", "over"], proc.stderr


@pytest.fixture
def loop_device(tmp_path):
    """A loop device on a file of this machine's disk, without direct I/O (losetup's
    default), detached after the test."""
    if os.geteuid() != 0 or shutil.which("losetup") is None:
        pytest.skip("needs root and losetup")
    backing = Path(tempfile.mkdtemp(prefix="bench-test-loop-", dir="/var/tmp")) / "disk.img"
    backing.write_bytes(b"\0" * (64 * 1024 * 1024))
    made = subprocess.run(
        ["losetup", "-f", "--show", str(backing)], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        shutil.rmtree(backing.parent)
        pytest.skip(f"no loop device here: {made.stderr.strip()}")
    device = made.stdout.strip()
    try:
        yield device
    finally:
        subprocess.run(["losetup", "-d", device], check=False)
        shutil.rmtree(backing.parent)


def cached(directory, device) -> tuple[int, str]:
    proc = bench_functions(f"direct_io_cached {shlex.quote(str(directory))} {shlex.quote(device)}")
    return proc.returncode, proc.stdout


def test_direct_io_served_by_the_page_cache_is_recorded_as_buffered(tmp_path, loop_device):
    """A loop device without direct I/O takes O_DIRECT and caches it all the same: its disk
    score 488 where its backing disk's was 165, recorded as direct and valid."""
    name = loop_device.removeprefix("/dev/")
    assert cached(tmp_path, loop_device) == (
        0,
        f"{tmp_path} is on {loop_device}, a loop device without direct I/O "
        f"(losetup --direct-io=on {loop_device})",
    )
    subprocess.run(["losetup", "--direct-io=on", loop_device], check=True)
    assert Path(f"/sys/block/{name}/loop/dio").read_text().strip() == "1"
    assert cached(tmp_path, loop_device) == (1, "")
    assert cached(tmp_path, "/dev/vda") == (1, "")  # a disk (or no such device here)
    # ext4 mounted with data=journal takes O_DIRECT and buffers it too
    subprocess.run(["mkfs.ext4", "-q", "-F", loop_device], check=True, capture_output=True)
    t, dev = shlex.quote(str(tmp_path)), shlex.quote(loop_device)
    proc = in_namespace(f"mount -o data=journal {dev} {t} || exit 99; direct_io_cached {t} /x")
    assert (proc.returncode, proc.stdout) == (
        0,
        f"{tmp_path} is on a filesystem mounted with data=journal",
    ), proc.stderr

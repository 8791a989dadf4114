"""A run dated before bench.sh was written (a board without a battery-backed clock, NTP not
there yet) is said, where no server's clock set it right: in --capture and --dry-run runs, and
when such a capture is replayed. The server dates a run by its started_at: one of 1970 sits
behind every other run of the machine, never its latest."""

import os
import shutil

from .benchrun import FIXTURES, run_bench

SKIPS = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu")


def test_a_capture_dated_1970_is_said_when_replayed(tmp_path):
    capture = tmp_path / "capture"
    shutil.copytree(FIXTURES / "repeats", capture)
    info = capture / "capture-info.txt"
    right = run_bench("--from-dir", str(capture), "--dry-run")
    info.write_text(info.read_text().replace("2026-12-02T20:15", "1970-01-01T00:04"))

    proc = run_bench("--from-dir", str(capture), "--dry-run")

    assert proc.returncode == 0, proc.stderr
    assert (
        "this capture's started_at reads 1970-01-01T00:04:00Z, before bench.sh was written"
        in proc.stderr
    )
    assert "started_at reads" not in right.stderr


def test_a_dry_run_on_a_clock_reading_1970_is_said(tmp_path):
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "date").write_text(
        f'#!/bin/sh\n[ "$*" = +%s ] && {{ echo 250; exit 0; }}\nexec {shutil.which("date")} "$@"\n'
    )
    (shim / "date").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    capture = tmp_path / "capture"

    proc = run_bench(*SKIPS, "--dry-run", "--capture", str(capture), env=env, timeout=120)

    assert proc.returncode == 0, proc.stderr
    assert (
        "this machine's clock read 1970-01-01T00:04:10Z when the run started, before bench.sh"
        " was written" in proc.stderr
    )
    assert "timedatectl set-ntp true" in proc.stderr

"""Fixtures for the bench.sh tests (no database: nothing here touches Django)."""

import fcntl
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .benchrun import free_port, require, run_bench, wait_for_port

# pytest started in the background by a shell without job control (`pytest … &`) ignores
# SIGINT, and so did every bench.sh it ran: bash cannot trap a signal ignored at its start, so
# the tests of a Ctrl-C waited for a run that went on. Handled here (a handler, which exec
# resets), each bench.sh starts with SIGINT at its default, as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@dataclass(frozen=True)
class LiveRun:
    document: dict
    capture: Path
    stderr: str
    seconds: float
    tmpdir: Path


@pytest.fixture(scope="session")
def live_run(tmp_path_factory, worker_id):
    """One real --short run (network and GPU skipped) whose raw outputs are kept with --capture.

    Shared by the dry-run checks and the replay checks so that the suite benchmarks once: under
    pytest-xdist the first worker that asks runs it (the others wait on a lock) into the
    session's directory, which pytest keeps and cleans. Two repeats per category (enough for
    samples and cv_pct) and no waiting for an idle machine keep it quick on a shared test
    machine; perf/repeatability.py measures the default policy.
    """
    require("jq", "sysbench", "fio")
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the session's directory, above each worker's own
    saved = shared / "live-run.json"
    with (shared / "live-run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            # a TMPDIR with a space and a colon, which fio reads as a list of files in --filename
            # (it wrote beside it, and every disk test failed): checked on this run's files
            capture, tmpdir = shared / "live-run" / "capture", shared / "live-run" / "audit dir:x"
            tmpdir.mkdir(parents=True)
            started = time.monotonic()
            proc = run_bench(
                "--dry-run",
                "--short",
                "--repeats",
                "2",
                "--no-wait-idle",
                "--skip-network",
                "--skip-gpu",
                "--capture",
                str(capture),
                timeout=300,
                env={**os.environ, "TMPDIR": str(tmpdir)},
            )
            seconds = time.monotonic() - started
            assert proc.returncode == 0, proc.stderr
            saved.write_text(
                json.dumps(
                    {
                        "document": json.loads(proc.stdout),
                        "capture": str(capture),
                        "stderr": proc.stderr,
                        "seconds": seconds,
                        "tmpdir": str(tmpdir),
                    }
                )
            )
    run = json.loads(saved.read_text())
    return LiveRun(
        run["document"], Path(run["capture"]), run["stderr"], run["seconds"], Path(run["tmpdir"])
    )


@pytest.fixture
def iperf3_server():
    """A real iperf3 server on 127.0.0.1 (a free port), stopped after the test.

    Not `iperf3 -s -1`: a one-off server serves one test and exits, and bench.sh runs two (upload,
    then the reverse download), as it does against a fleet's permanent `iperf3 -s`.
    """
    require("iperf3")
    port = free_port()
    proc = subprocess.Popen(
        ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)

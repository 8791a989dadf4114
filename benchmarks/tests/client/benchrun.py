"""Running bench.sh from the tests: the real script, never the database nor Django."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "benchmarks" / "client" / "bench.sh"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# bench.sh's environment for a run that checks no busy figure (a network test): a 0.2 s look at
# how busy the machine is before measuring, not a user's 2 s (BENCH_TEST_BUSY_WINDOW_S, tests only)
SHORT_BUSY_LOOK = {**os.environ, "BENCH_TEST_BUSY_WINDOW_S": "0.2"}


def run_bench(*args: str, cwd=None, timeout: float = 300, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
    )


def bench_json(*args: str, **kwargs) -> dict:
    """Run bench.sh with --dry-run and return the JSON it printed (failing loudly otherwise)."""
    proc = run_bench(*args, "--dry-run", **kwargs)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr}"
    return json.loads(proc.stdout)


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (.ci/run installs them)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def private_tmpdir() -> Path:
    """A TMPDIR of its own on disk (bench.sh puts fio's file and its work files there), so that
    runs of the suite side by side never see each other's files."""
    return Path(tempfile.mkdtemp(prefix="bench-test-", dir="/var/tmp"))


def bench_functions(code: str, *, env=None, cwd=None, timeout: float = 60):
    """Run `code` in a bash that has read bench.sh but for its last line (the one that runs
    main): its settings and functions, called one at a time on crafted input."""
    lines = SCRIPT.read_text().rstrip("\n").split("\n")
    assert lines[-1].startswith('main "$@"'), lines[-1]
    return subprocess.run(
        ["bash", "-s"],
        input="\n".join([*lines[:-1], code, ""]),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
    )

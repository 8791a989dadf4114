"""The name a run goes by without --device: this machine's hostname, whole, and checked before
anything is measured as --device is.

It was the second word of `uname -a`: a hostname with a space was cut at it, a blank one gave
the kernel's release, and one the server refuses (a control or invisible character) was
answered 400 at the end of the run, which no --resend could mend.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from .benchrun import SCRIPT, bench_json

SKIPS = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu")


def run_as_host(hostname: str, *args: str) -> subprocess.CompletedProcess:
    """bench.sh in a UTS namespace of its own whose hostname is `hostname` (set with
    sethostname(2): the hostname command refuses a space or a blank name)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) to name the machine")
    launch = (
        "import os, socket, sys; socket.sethostname(sys.argv[1]); os.execvp('bash', sys.argv[2:])"
    )
    return subprocess.run(
        ["unshare", "-u", sys.executable, "-c", launch, hostname, "bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_hostname_with_a_space_names_the_device_whole(tmp_path):
    capture = tmp_path / "capture"
    proc = run_as_host("web 01", *SKIPS, "--dry-run", "--capture", str(capture))
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["device_identifier"] == "web 01"
    assert document["hardware"]["os"]["kernel_version"] == os.uname().release
    # replayed, the capture goes by the same name
    assert bench_json("--from-dir", str(capture))["device_identifier"] == "web 01"


@pytest.mark.parametrize(
    ("hostname", "said"),
    [
        ("", "this machine's hostname '' names the device, and a device name must not be blank"),
        ("web\u200b01", "a device name must not contain a control or invisible character"),
    ],
)
def test_a_hostname_the_server_would_refuse_stops_the_run_before_it_measures(hostname, said):
    proc = run_as_host(hostname, *SKIPS, "--dry-run")
    assert proc.returncode == 2, proc.stderr
    assert said in proc.stderr and "give --device NAME" in proc.stderr
    assert "[1/" not in proc.stderr and proc.stdout == ""
    # --device names it instead
    proc = run_as_host(hostname, *SKIPS, "--dry-run", "--device", "web-01")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["device_identifier"] == "web-01"


@pytest.mark.parametrize(
    ("uname", "name", "kernel"),
    [
        (
            "Linux web 01 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian x86_64 GNU/Linux",
            "web 01",
            "6.1.0-18-amd64",
        ),
        (
            "Linux  6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian x86_64 GNU/Linux",
            "unknown",
            "6.1.0-18-amd64",
        ),
    ],
)
def test_a_capture_of_bench_1_2_3_reads_the_hostname_off_uname(tmp_path, uname, name, kernel):
    """Captures made before hostname= was recorded: uname -a's words before the kernel's
    release, which comes before its version (#1 SMP ...)."""
    (tmp_path / "uname.txt").write_text(uname + "\n")
    document = bench_json("--from-dir", str(tmp_path))
    assert document["device_identifier"] == name
    assert document["hardware"]["os"]["kernel_version"] == kernel

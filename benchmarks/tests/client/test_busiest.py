"""The process a busy machine's wait names ("waiting for the machine to go idle: other processes
use 100 % of the CPUs (busiest: …)"): the one using the CPU now. ps's %CPU is a process's CPU
time over its whole life, and named a process started a moment before (shellcheck, jq) over a
hog that had slept for most of its life."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .benchrun import bench_functions
from .test_awk_numbers import mawk_path

# two readings of cpu_ticks a second apart: pid, ticks, name
BEFORE = ["1\t500\tsystemd", "812\t90\tsleepy hog", "950\t3\tjq", "977\t0\tgone"]
AFTER = ["1\t501\tsystemd", "812\t188\tsleepy hog", "950\t9\tjq", "990\t60\tnew (one)"]


@pytest.mark.parametrize("awk", ["default", "mawk"])
def test_the_busiest_process_is_the_one_whose_cpu_time_grew_most(tmp_path, awk):
    """The hog, at 98 % of a CPU now (25 % over its life): not a process gone meanwhile, nor
    one started meanwhile, whose time is of its whole life."""
    env = mawk_path(tmp_path) if awk == "mawk" else dict(os.environ)
    lines = "\\n".join([*BEFORE, "--", *AFTER])
    said = bench_functions(f"printf '{lines}\\n' | busiest_of 100", env=env)
    assert said.returncode == 0, said.stderr
    assert said.stdout == " (busiest: sleepy hog at 98 %)"
    quiet = "\\n".join([*BEFORE, "--", *BEFORE])
    assert bench_functions(f"printf '{quiet}\\n' | busiest_of 100", env=env).stdout == ""


def test_each_process_is_read_with_its_whole_name_and_its_cpu_time(tmp_path):
    """A name with a space and a parenthesis, as /proc/PID/stat writes it in parentheses."""
    hog = tmp_path / "sleepy hog)"  # a process is named by the file it runs
    hog.symlink_to(Path(sys.executable).resolve())
    proc = subprocess.Popen([str(hog), "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        said = bench_functions("cpu_ticks; echo --; sleep 1; cpu_ticks")
    finally:
        proc.kill()
        proc.wait()
    before, after = (
        [line.split("\t") for line in part.strip().splitlines()]
        for part in said.stdout.split("--\n")
    )
    ours = [(int(ticks), name) for pid, ticks, name in before if pid == str(proc.pid)]
    later = [(int(ticks), name) for pid, ticks, name in after if pid == str(proc.pid)]
    assert ours and later and ours[0][1] == later[0][1] == "sleepy hog)"
    assert later[0][0] > ours[0][0]  # its CPU time grew while it spun


def test_cpu_times_past_2_to_the_31_ticks_are_read_whole_with_mawk(tmp_path):
    """A month of a VM's 8 busy vCPUs on a Proxmox host: mawk wrote its 3,100,000,380 ticks as
    3.1e+09 at both readings, no growth, and named a process of 2 ticks instead."""
    stat = tmp_path / "stat"
    rest = " ".join(["S", *["0"] * 10, "3100000000", "380"] + ["0"] * 30)
    stat.write_text(f"4242 (kvm) {rest}\n")
    env = mawk_path(tmp_path)
    said = bench_functions(f"cat() {{ command cat {stat}; }}; cpu_ticks", env=env)
    assert said.stdout == "4242\t3100000380\tkvm\n", said.stdout

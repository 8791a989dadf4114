"""Large numbers through awk: mawk (Debian's default awk) prints a number from 2^31 on as
"2.24496e+09" with %s, and clamps it to 2147483647 with %d."""

import os
import shutil
from pathlib import Path

import pytest

from .benchrun import FIXTURES, bench_functions, bench_json


def mawk_path(tmp_path: Path) -> dict:
    """An environment whose `awk` is mawk, as on Debian and Ubuntu."""
    mawk = shutil.which("mawk")
    if mawk is None:
        pytest.skip("mawk is not installed")
    (tmp_path / "bin").mkdir()
    os.symlink(mawk, tmp_path / "bin" / "awk")
    return {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}


def test_cpufreq_residency_sums_past_2_to_the_31_are_written_whole(tmp_path):
    """Weeks of uptime on 8 CPUs: the time at the top clock summed to 4489920000 (10 ms units)
    and was written 4.48992e+09, which the parser could not read."""
    per_cpu = "3000000 2244960000\n2000000 7\n"
    proc = bench_functions(f"printf '{per_cpu}{per_cpu}' | tis_sum before", env=mawk_path(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split()) == sorted(["before", "3000000:4489920000", "2000000:14"])


def test_a_residency_it_cannot_read_is_no_throttling(tmp_path):
    """A capture of bench.sh 1.2.3 made with mawk: without its top clock, the multi-thread test
    read 100 % below the nominal clock, and the run was marked "CPU throttled"."""
    capture = tmp_path / "capture"
    shutil.copytree(FIXTURES / "repeats", capture)
    (capture / "cpu-time-in-state.txt").write_text(
        "before 3000000:2.24496e+09 2000000:500\nafter 3000000:2.24497e+09 2000000:510\n"
    )
    conditions = bench_json("--from-dir", str(capture))["results"]["conditions"]
    assert conditions["cpu_time_below_nominal_percent"] is None
    assert conditions["cpu_throttled"] is False  # the thermal counters did not rise (4 and 4)

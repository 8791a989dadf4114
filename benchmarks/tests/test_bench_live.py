"""bench.sh for real (sysbench, fio, iperf3) against the real server on loopback.

What the server stored is what is checked: this is the product's first use.
"""

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from benchmarks.tests.client.benchrun import SCRIPT, SHORT_BUSY_LOOK, private_tmpdir, require
from benchmarks.tests.client.conftest import iperf3_server  # noqa: F401 (a fixture)
from benchsite.livetest import live_server
from benchsite.tests.markers import engine_independent

pytestmark = [pytest.mark.live]

WEIGHTS = {"cpu": 0.30, "memory": 0.20, "disk": 0.25, "network": 0.15, "gpu": 0.10}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require("jq", "curl", "sysbench", "fio", "iperf3")
    with live_server(tmp_path_factory.mktemp("bench-live")) as live:
        yield live


def api_get(server, path):
    request = urllib.request.Request(
        server.url + path, headers={"Authorization": f"Bearer {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def bench(server, *args, token=None, cwd=None, env=None):
    """bench.sh against the live server: one repeat per test and no waiting for an idle machine
    keep these runs quick (perf/repeatability.py measures the default repeat policy)."""
    tmpdir = private_tmpdir()
    try:
        return subprocess.run(
            [
                "bash",
                str(SCRIPT),
                "--server",
                f"{server.url}/api/benchmark",
                "--token",
                token or server.token,
                "--repeats",
                "1",
                "--no-wait-idle",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=420,
            cwd=cwd,
            env={**(env or os.environ), "TMPDIR": str(tmpdir)},
        )
    finally:
        subprocess.run(["rm", "-rf", str(tmpdir)], check=False)


def stored_device(server, name):
    found = api_get(server, f"/api/devices?search={name}")["results"]
    assert [d["hostname"] for d in found] == [name]
    return api_get(server, f"/api/devices/{found[0]['id']}")


# Its 30 s are sysbench, fio and iperf3, the same on either database: the PostgreSQL pass keeps
# the quicker runs below, where bench.sh's submission lands on a server using PostgreSQL.
@engine_independent
def test_a_short_run_lands_a_scored_benchmark_of_this_machine(server, iperf3_server):  # noqa: F811
    run = bench(
        server,
        "--short",
        "--skip-gpu",
        "--device",
        "live-bench",
        "--iperf-server",
        f"127.0.0.1:{iperf3_server}",
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert "benchmarking anyway" not in run.stderr  # the server took the check (OPTIONS)
    device = stored_device(server, "live-bench")
    assert f"/admin/inventory/device/{device['id']}/change/" in run.stderr + run.stdout
    snapshot, benchmark = device["last_snapshot"], device["last_benchmark"]
    assert snapshot["cpu_threads"] == os.cpu_count()
    assert 1 <= snapshot["cpu_cores"] <= snapshot["cpu_threads"]
    mem_total_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    assert abs(snapshot["ram_total_mb"] - mem_total_kb / 1024) < 0.1 * mem_total_kb / 1024
    assert snapshot["kernel_version"] == os.uname().release
    for category in ("cpu", "memory", "disk", "network"):
        assert benchmark[f"{category}_score"] > 0, category
    assert benchmark["gpu_score"] is None
    detail = api_get(server, f"/api/benchmarks/{benchmark['id']}")
    assert detail["results"]["network"]["upload_mbps"] > 0
    assert detail["results"]["network"]["download_mbps"] > 0
    results = detail["results"]
    conditions = results["conditions"]  # CONTRACT Part 2, stored as sent
    assert 0 <= conditions["cpu_busy_percent"] <= 100
    assert conditions["short_mode"] is True
    assert conditions["started_at"].endswith("Z") and conditions["finished_at"].endswith("Z")
    network = results["network"]
    assert network["target"] == f"127.0.0.1:{iperf3_server}"
    assert network["ping_ms"] is not None and network["ping_ms"] >= 0
    assert isinstance(network["retransmits"], int)
    assert network["method"] == "iperf3-tcp-1stream-up+down-2s-v1"
    assert network["cv_pct"] is None
    for category in ("cpu", "memory", "disk", "network"):
        assert results[category]["samples"] == [results[category]["score"]], category
        assert results[category]["method"], category
    assert results["disk"]["filesystem"] and results["disk"]["device"]
    # this machine itself: said loudly, and the summary says why the network is not counted
    assert f"WARNING: --iperf-server 127.0.0.1:{iperf3_server} is this machine itself" in run.stderr
    assert "this machine itself, so not in the global score" in run.stderr
    # measured against this machine, the network is stored but left out of the global score
    assert benchmark["network_score"] > 0
    assert detail["excluded_categories"] == ["network"]
    present = {c: benchmark[f"{c}_score"] for c in ("cpu", "memory", "disk")}
    expected = sum(WEIGHTS[c] * s for c, s in present.items()) / sum(WEIGHTS[c] for c in present)
    assert benchmark["global_score"] == pytest.approx(expected, abs=0.01)


def test_skipped_categories_are_stored_null_and_the_global_score_renormalised(server):
    run = bench(
        server,
        "--short",
        "--skip-cpu",
        "--skip-disk",
        "--skip-network",
        "--skip-gpu",
        "--device",
        "memory-only",
        env=SHORT_BUSY_LOOK,  # no busy figure checked here: a 0.2 s look, not 2 s
    )

    assert run.returncode == 0, run.stderr[-3000:]
    benchmark = stored_device(server, "memory-only")["last_benchmark"]
    assert benchmark["memory_score"] > 0
    assert [benchmark[f"{c}_score"] for c in ("cpu", "disk", "network", "gpu")] == [None] * 4
    assert benchmark["global_score"] == pytest.approx(benchmark["memory_score"], abs=0.01)


def test_a_wrong_token_stops_before_the_first_benchmark(server, tmp_path):
    """bench.sh asks the server (OPTIONS /api/benchmark with the token) before measuring: a
    wrong token was found only after minutes of benchmarks."""
    before = api_get(server, "/api/stats")["benchmarks"]

    run = bench(server, "--short", "--device", "refused", token="not-the-token", cwd=tmp_path)

    assert run.returncode == 1, run.stderr[-2000:]
    assert "the server refused the token (HTTP 401" in run.stderr
    assert "nothing was measured" in run.stderr
    assert "[2/" not in run.stderr  # no benchmark started
    assert list(tmp_path.iterdir()) == []  # nothing to keep
    assert "not-the-token" not in run.stderr  # the secret is never echoed
    assert api_get(server, "/api/stats")["benchmarks"] == before

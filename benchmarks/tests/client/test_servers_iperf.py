"""The fleet's iperf3 server, set once on the server (IPERF_SERVER): a bench.sh run given no
--iperf-server measures its network against the one the server names in its answer to the
check before the run, as if given as --iperf-server. Without it, the one-liner of the
dashboard measured no machine's network, and a fleet ranked with 15 % of its score missing."""

import json

import pytest

from .benchrun import SHORT_BUSY_LOOK, run_bench
from .test_submit import TOKEN, server  # noqa: F401 (the fake server, a fixture)

ONLY_THE_NETWORK = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-gpu")


def run_against(server, *extra: str, env=None):  # noqa: F811 (the fixture's value)
    return run_bench(
        *("--server", server.url, "--token", TOKEN, "--retries", "0", "--no-wait-idle"),
        *("--short", "--repeats", "1", "--device", "net-box", *ONLY_THE_NETWORK, *extra),
        env=env or SHORT_BUSY_LOOK,
        timeout=120,
    )


def sent(server) -> dict:  # noqa: F811
    return json.loads(server.requests[-1]["body"])


@pytest.mark.slow
def test_a_run_measures_against_the_iperf3_server_the_server_names(server, iperf3_server):  # noqa: F811
    named = f"127.0.0.1:{iperf3_server}"
    server.options_extra = {"iperf_server": named}

    proc = run_against(server)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"network: measured against {named}, the server's iperf3 server" in proc.stderr
    network = sent(server)["results"]["network"]
    assert network["target"] == named and network["upload_mbps"] > 0
    # this machine here: measured and said, as for --iperf-server, and kept out of the score
    assert f"WARNING: the server's iperf3 server (its IPERF_SERVER) {named} is this machine" in (
        proc.stderr
    )


def test_one_that_cannot_be_used_is_said_and_skip_network_reads_none(server):  # noqa: F811
    server.options_extra = {"iperf_server": "bench lan:99999"}

    proc = run_against(server)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "the server names an iperf3 server that cannot be used" in proc.stderr
    assert sent(server)["results"]["network"] is None
    # --skip-network: the server's is not even read
    server.options_extra = {"iperf_server": "10.0.0.9"}
    proc = run_against(server, "--skip-network")
    assert "the server's iperf3 server" not in proc.stderr
    assert sent(server)["results"]["network"] is None

"""bench.sh applies the server's loopback rule to the global score it prints; the two must agree
(bench.sh's jq definition against benchmarks.validity.is_loopback, on the same targets)."""

import json
import re
import subprocess

from benchmarks.tests.test_validity import LOOPBACK_TARGETS, OTHER_TARGETS
from benchmarks.validity import is_loopback

from .benchrun import SCRIPT, require


def jq_loopback(targets: list[str]) -> list[bool]:
    definition = re.search(r"^JQ_LOOPBACK='(.*?)'$", SCRIPT.read_text(), re.S | re.M).group(1)
    done = subprocess.run(
        ["jq", "-c", definition + " [.[] | loopback]"],
        input=json.dumps(targets),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(done.stdout)


def test_bench_sh_and_the_server_tell_the_same_targets_loopback():
    require("jq")
    targets = LOOPBACK_TARGETS + OTHER_TARGETS
    said = dict(zip(targets, jq_loopback(targets), strict=True))
    assert said == {target: is_loopback(target) for target in targets}
    assert all(said[target] for target in LOOPBACK_TARGETS)

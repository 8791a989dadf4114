"""The rules a stored run is judged by, pinned to the scoring version that stores them.

A run keeps what the rules gave it when it arrived: its global score, validity and reasons,
the categories left out of its global score, its run time. `migrate` applies the rules in force
again only to runs of an earlier SCORING_VERSION (benchsite's migrate command), so a change to
those rules without a version bump leaves years of stored runs judged the old way beside new
runs judged the new way, in one ranking, with no sign of it. Here is what the rules of the
version in force give for a set of runs at their edges (rules_recorded.json). A change that
moves any of them fails until SCORING_VERSION is bumped and the new answers recorded:

    RECORD_RULES=1 .venv/bin/pytest benchmarks/tests/test_rules_recorded.py
"""

import copy
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import scoring, validity
from benchmarks.services import score_weights, validity_thresholds

RECORD = Path(__file__).with_name("rules_recorded.json")
EXAMPLE = json.loads(Path(__file__).with_name("submission.example.json").read_text())["results"]
RECEIVED_AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _with(**changes) -> dict:
    """The contract example's results, with sections or values changed: `cpu=None` drops a
    section, `conditions={...}` adds one, `network__target=...` sets a value of a section."""
    results = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            results.setdefault(section, {})[name] = value
        elif value is None:
            results.pop(section, None)
        else:
            results[section] = value
    return results


CASES = {
    "the contract's example": _with(),
    "no GPU (a headless server)": _with(gpu=None),
    "CPU alone": _with(memory=None, disk=None, network=None, gpu=None),
    "nothing measured": {},
    "every score 0": {name: {"score": 0.0} for name in scoring.CATEGORIES},
    "scores at the schema's top": {name: {"score": 10000.0} for name in scoring.CATEGORIES},
    **{
        f"network against {target}": _with(network__target=target)
        for target in (
            "127.0.0.1",
            "localhost:5201",
            "[::1]:5201",
            "127.1",
            "2130706433",
            "::ffff:127.0.0.1",
            "0.0.0.0",  # noqa: S104 (a target, not a bind)
            "192.168.1.10",
            "bench.lan",
            "",
        )
    },
    "throttled": _with(conditions={"cpu_throttled": True}),
    "frequency dropped": _with(conditions={"cpu_freq_dropped": True}),
    "busy just under": _with(conditions={"cpu_busy_percent": 19.9}),
    "busy at the threshold": _with(conditions={"cpu_busy_percent": 20}),
    "busy as a string": _with(conditions={"cpu_busy_percent": "45"}),
    "steal just under": _with(conditions={"cpu_steal_percent": 9.9}),
    "steal at the threshold": _with(conditions={"cpu_steal_percent": 10.0}),
    "on battery": _with(conditions={"on_battery": True}),
    "CPU repeats at the limit": _with(cpu__cv_pct=5.0),
    "CPU repeats over it": _with(cpu__cv_pct=5.01),
    "network repeats at its limit": _with(network__cv_pct=15.0),
    "network repeats over it": _with(network__cv_pct=15.1),
    "everything wrong at once": _with(
        conditions={
            "cpu_throttled": True,
            "cpu_busy_percent": 55.5,
            "cpu_steal_percent": 30,
            "on_battery": True,
        },
        disk__cv_pct=22.5,
        network__target="localhost",
    ),
    **{
        f"started at {started!r}": _with(conditions={"started_at": started})
        for started in (
            "2026-12-01T10:00:00Z",
            "2026-12-01T10:00:00",
            "2026-12-01t10:00:00z",
            "2026-12-01T10:00:00+02:00",
            "2026-12-01 10:00:00Z",
            "2026-12-01",
            "2026-12-02T12:04:59Z",  # ahead of the server's clock, within 5 minutes
            "2026-12-02T12:05:01Z",  # beyond
            "0001-01-01T00:00:00Z",
            "not a time",
            12345,
        )
    },
}


def judged(results: dict) -> dict:
    """What the rules in force store of a run with these results, as ingest and rescore
    apply them."""
    sections = {name: results.get(name) or {} for name in scoring.CATEGORIES}
    scores = {name: section.get("score") for name, section in sections.items()}
    excluded = validity.excluded_categories(results)
    return {
        "global_score": scoring.global_score(scores, score_weights(), excluded),
        "validity_reasons": validity.validity_reasons(results, validity_thresholds()),
        "excluded_categories": excluded,
        "run_at": validity.run_time(results, received_at=RECEIVED_AT).isoformat(),
    }


def test_the_rules_give_what_their_scoring_version_recorded():
    now = {name: judged(results) for name, results in CASES.items()}
    if os.environ.get("RECORD_RULES"):
        cases = ",\n".join(f" {json.dumps(name)}: {json.dumps(now[name])}" for name in now)
        version = scoring.SCORING_VERSION
        RECORD.write_text(f'{{"scoring_version": {version}, "cases": {{\n{cases}\n}}}}\n')
    recorded = json.loads(RECORD.read_text())
    assert recorded["scoring_version"] == scoring.SCORING_VERSION, (
        f"SCORING_VERSION is {scoring.SCORING_VERSION}, the answers recorded are version "
        f"{recorded['scoring_version']}'s: record this version's (RECORD_RULES=1, see the "
        "module's docstring) and check each change in the diff is meant"
    )
    changed = {
        name: {"recorded": recorded["cases"].get(name), "now": answer}
        for name, answer in now.items()
        if recorded["cases"].get(name) != answer
    }
    assert not changed, (
        "The rules now judge these runs otherwise than scoring version "
        f"{scoring.SCORING_VERSION} recorded; runs stored under it would keep the old answers "
        "(migrate applies the rules again only to runs of an earlier version). Bump "
        "SCORING_VERSION in benchmarks/scoring.py, then record the new answers "
        f"(RECORD_RULES=1): {json.dumps(changed, indent=1)}"
    )
    assert set(recorded["cases"]) == set(now), "cases added or removed: record them again"

"""The run-validity rules, the run time and the loopback rule: plain functions, no database."""

from datetime import UTC, datetime, timedelta

import pytest

from benchmarks import scoring
from benchmarks.validity import (
    Thresholds,
    advice,
    badge,
    counted,
    excluded_categories,
    is_loopback,
    reasons_measured,
    run_time,
    validity_reasons,
)

DEFAULTS = Thresholds()


@pytest.mark.parametrize(
    ("results", "reasons"),
    [
        ({}, []),
        (None, []),
        ({"conditions": {"cpu_busy_percent": 3.0, "cpu_throttled": False}}, []),
        ({"conditions": {"cpu_throttled": True}}, ["throttled"]),
        ({"conditions": {"cpu_freq_dropped": True}}, ["throttled"]),
        ({"conditions": {"cpu_busy_percent": 20}}, ["busy"]),  # at the threshold: suspect
        ({"conditions": {"cpu_busy_percent": 19.9}}, []),
        ({"conditions": {"cpu_steal_percent": 10}}, ["steal"]),
        ({"conditions": {"on_battery": True}}, ["on_battery"]),
        ({"cpu": {"cv_pct": 5.0}}, []),  # at the limit: fine ("> 5")
        ({"cpu": {"cv_pct": 5.1}}, ["noisy"]),
        ({"network": {"cv_pct": 14.0}}, []),  # the network has its own limit
        ({"network": {"cv_pct": 15.5}}, ["noisy"]),
        ({"disk": {"cv_pct": 9}, "memory": {"cv_pct": 8}}, ["noisy"]),  # named once
        (
            {
                "conditions": {
                    "cpu_throttled": True,
                    "cpu_busy_percent": 55,
                    "cpu_steal_percent": 30,
                    "on_battery": True,
                },
                "gpu": {"cv_pct": 40},
            },
            ["throttled", "busy", "steal", "on_battery", "noisy"],
        ),
        # types the validation would refuse, met in old stored results: never a crash
        ({"conditions": {"cpu_throttled": "true", "cpu_busy_percent": "99"}}, []),
        ({"conditions": {"on_battery": "false", "cpu_freq_dropped": 1}}, []),
        ({"conditions": ["busy"], "cpu": "fast"}, []),
    ],
)
def test_validity_reasons(results, reasons):
    assert validity_reasons(results, DEFAULTS) == reasons


def test_a_runs_page_gives_the_figure_measured_behind_each_reason():
    results = {
        "conditions": {"cpu_throttled": True, "cpu_busy_percent": 45, "cpu_steal_percent": 12.5},
        "disk": {"cv_pct": 22.5},
        "network": {"cv_pct": 16},
    }
    reasons = validity_reasons(results, DEFAULTS)
    assert reasons_measured(results, reasons, DEFAULTS) == (
        "CPU throttled, machine busy (45 % of the CPU used by other processes), "
        "CPU stolen by the VM host (12.5 % of the time), "
        "repeats disagree (disk 22.5 %, network 16 %)"
    )


def test_a_reason_this_version_does_not_know_is_named_as_stored_without_advice():
    """A run judged by other rules than this version's (restored before a rescore) is still
    listed: its reason named as stored, the advice given for the reasons known."""
    said = badge("suspect", ["busy", "overheated"])
    assert "suspect: machine busy, overheated</span>" in said
    assert advice(["overheated", "busy"]) == advice(["busy"])
    assert advice(["overheated"]) == ""
    # a suspect run without reasons still says it is suspect
    assert badge("suspect", []) == (
        '<span class="bt-badge bt-suspect" title="Not trusted: suspect.">suspect: suspect</span>'
    )


def test_thresholds_are_the_settings_values_passed_in():
    busy = {"conditions": {"cpu_busy_percent": 30}}
    assert validity_reasons(busy, Thresholds(busy_pct=50)) == []
    assert validity_reasons({"cpu": {"cv_pct": 3}}, Thresholds(max_cv_pct=2)) == ["noisy"]


# the forms of the machine itself that iperf3 connects to, as an --iperf-server may give them
LOOPBACK_TARGETS = [
    "localhost",
    "LOCALHOST",
    "localhost.",
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]:5201",
    "127.0.0.1:5201",
    "::ffff:127.0.0.1",
    "[::ffff:127.0.0.2]:5201",
    "127.1",
    "127.0.1:5201",
    "2130706433",
    "0.0.0.0",  # noqa: S104 (a target, not a binding)
    "0",
    "::",
    "[::]:5201",
]
OTHER_TARGETS = [
    "nas.lan",
    "192.168.1.10",
    "10.0.0.2:5201",
    "::2",
    "127.0.0.1.nip",
    "::ffff:10.0.0.5",
    "10.1",
    "167772165",  # 10.0.0.5
    "127",  # 0.0.0.127
    "127.0.0.01",  # octal to inet_aton: not followed, by either side
    "cafe",
]


@pytest.mark.parametrize(
    "target",
    LOOPBACK_TARGETS,
)
def test_loopback_targets(target):
    assert is_loopback(target)
    assert excluded_categories({"network": {"target": target}}) == ["network"]


@pytest.mark.parametrize("target", [None, "", 42, *OTHER_TARGETS])
def test_other_targets_are_kept(target):
    assert not is_loopback(target)
    assert excluded_categories({"network": {"target": target}}) == []


RECEIVED = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("started_at", "expected"),
    [
        ("2026-12-02T19:57:30Z", datetime(2026, 12, 2, 19, 57, 30, tzinfo=UTC)),
        ("2026-12-02T20:57:30+01:00", datetime(2026, 12, 2, 19, 57, 30, tzinfo=UTC)),
        ("2026-12-02t19:57:30z", datetime(2026, 12, 2, 19, 57, 30, tzinfo=UTC)),  # RFC 3339
        ("2026-11-20T08:00:00Z", datetime(2026, 11, 20, 8, tzinfo=UTC)),  # a replayed capture
        ("2026-12-02T20:04:59Z", datetime(2026, 12, 2, 20, 4, 59, tzinfo=UTC)),  # clock skew
        ("2026-12-02T20:05:00Z", datetime(2026, 12, 2, 20, 5, tzinfo=UTC)),  # 5 min: not more
        ("2026-12-02T20:05:01Z", RECEIVED),  # too far ahead: a wrong clock
        # without its "Z": in UTC all the same, as the contract says (was the arrival time)
        ("2026-12-02T19:57:30", datetime(2026, 12, 2, 19, 57, 30, tzinfo=UTC)),
        ("2026-12-02 19:57:30", datetime(2026, 12, 2, 19, 57, 30, tzinfo=UTC)),
        ("2026-12-02T20:05:01", RECEIVED),  # too far ahead, as with its "Z"
        ("2026-12-02", RECEIVED),  # a day, not when the run started
        ("20261202", RECEIVED),
        ("yesterday", RECEIVED),
        ("0001-01-01T00:00:00+00:01", RECEIVED),  # before the first date UTC can hold
        ("9999-12-31T23:59:59-01:00", RECEIVED),  # after the last one (and far ahead)
        # the first day UTC can hold, which a time zone west of it cannot show: a wrong clock
        ("0001-01-01T00:00:00Z", RECEIVED),
        ("0001-01-01T23:59:59Z", RECEIVED),
        ("0001-01-02T00:00:00Z", datetime(1, 1, 2, tzinfo=UTC)),  # shown anywhere: kept
        ("", RECEIVED),
        (None, RECEIVED),
        (1733169300, RECEIVED),
    ],
)
def test_run_time(started_at, expected):
    results = {"conditions": {"started_at": started_at}}
    assert run_time(results, received_at=RECEIVED) == expected


def test_run_time_without_conditions_is_the_arrival():
    assert run_time({}, received_at=RECEIVED) == RECEIVED
    assert run_time({"conditions": "x"}, received_at=RECEIVED + timedelta(hours=1)) == (
        RECEIVED + timedelta(hours=1)
    )


def test_an_excluded_category_is_left_out_of_the_global_score():
    scores = {"cpu": 100.0, "memory": 100.0, "disk": 100.0, "network": 2165.0, "gpu": None}
    weights = scoring.DEFAULT_WEIGHTS
    assert scoring.global_score(scores, weights, excluded=["network"]) == 100.0
    assert scoring.global_score(scores, weights) == 444.17  # (30+20+25+324.75) / 0.9
    assert scoring.global_score({"network": 50.0}, weights, excluded=["network"]) is None


def test_a_figure_left_out_of_the_global_score_counts_as_not_measured():
    scores = {"global": 100.0, "cpu": 90.0, "network": 2165.0}
    assert counted(scores, ["network"]) == {"global": 100.0, "cpu": 90.0, "network": None}
    assert counted(scores, []) == scores and counted(scores, None) == scores

"""Which run a device's ranking figures come from (device_run_changes): plain data, no database."""

from datetime import UTC, datetime, timedelta

import pytest

from inventory.models import Device
from inventory.runs import RunRecord, device_run_changes

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def run(hours: float, *, valid: bool = True, score: float = 100.0) -> RunRecord:
    return RunRecord(
        run_at=T0 + timedelta(hours=hours),
        valid=valid,
        validity="valid" if valid else "suspect",
        reasons=[] if valid else ["busy"],
        snapshot_id=int(hours) + 100,
        snapshot_at=T0 + timedelta(hours=hours),
        figures={"global_score": score},
        model_keys={},
    )


def device_after(*runs: RunRecord) -> Device:
    device = Device(hostname="d")
    for record in runs:
        for name, value in device_run_changes(device, record).items():
            setattr(device, name, value)
    return device


def test_a_first_run_gives_the_device_its_figures_whatever_its_validity():
    assert device_after(run(0, valid=False, score=50)).global_score == 50
    assert device_after(run(0, score=90)).global_score == 90


def test_a_newer_valid_run_replaces_the_figures():
    device = device_after(run(0, score=90), run(1, score=95))
    assert (device.global_score, device.ranking_run_at) == (95, T0 + timedelta(hours=1))


def test_a_newer_suspect_run_does_not_replace_valid_figures_but_is_the_latest_run():
    device = device_after(run(0, score=90), run(1, valid=False, score=40))
    assert device.global_score == 90
    assert device.last_benchmark_at == T0 + timedelta(hours=1)
    assert (device.latest_validity, device.latest_validity_reasons) == ("suspect", ["busy"])
    assert device.latest_snapshot_id == 101


def test_a_suspect_run_replaces_suspect_figures_until_a_valid_run_comes():
    device = device_after(run(0, valid=False, score=40), run(1, valid=False, score=45))
    assert (device.global_score, device.ranking_run_valid) == (45, False)
    device = device_after(run(0, valid=False), run(1, valid=False), run(2, score=99))
    assert (device.global_score, device.ranking_run_valid) == (99, True)


def test_an_older_valid_run_replaces_figures_from_a_suspect_run():
    # a capture replayed later: the only valid run, though older, ranks the device
    device = device_after(run(5, valid=False, score=40), run(1, score=88))
    assert (device.global_score, device.ranking_run_valid) == (88, True)
    assert device.last_benchmark_at == T0 + timedelta(hours=5)  # still the latest run
    assert device.latest_validity == "suspect"


@pytest.mark.parametrize("valid", [True, False])
def test_an_older_run_takes_its_place_in_the_past(valid):
    device = device_after(run(5, score=90), run(1, valid=valid, score=10))
    assert device.global_score == 90
    assert device.last_benchmark_at == T0 + timedelta(hours=5)
    assert device.latest_snapshot_id == 105


def test_the_model_keys_follow_the_latest_snapshot_not_an_older_run():
    keys = {"cpu_model_key": "intel(r) core(tm) i7-6700 cpu", "system_model_key": "optiplex 7040"}
    newest = RunRecord(**{**run(2).__dict__, "model_keys": keys})
    older = RunRecord(**{**run(1).__dict__, "model_keys": {"cpu_model_key": "old cpu"}})
    device = device_after(newest, older)
    assert (device.cpu_model_key, device.system_model_key) == tuple(keys.values())


def empty(hours: float, *, valid: bool = True) -> RunRecord:
    # a run with every category skipped: valid, and no figure at all
    return RunRecord(**{**run(hours, valid=valid).__dict__, "figures": {"global_score": None}})


def test_a_run_without_any_score_does_not_take_the_ranking_from_one_with_scores():
    device = device_after(run(0, valid=False, score=40), empty(1))
    assert (device.global_score, device.ranking_run_valid) == (40, False)
    assert device.last_benchmark_at == T0 + timedelta(hours=1)  # still the latest run
    device = device_after(run(0, score=90), empty(1))
    assert (device.global_score, device.ranking_run_valid) == (90, True)


def test_a_run_with_scores_takes_the_ranking_from_one_without():
    device = device_after(empty(0), run(1, valid=False, score=40))
    assert (device.global_score, device.ranking_run_valid) == (40, False)
    device = device_after(empty(5), run(1, valid=False, score=40))  # older, but the only scored
    assert device.global_score == 40
    device = device_after(empty(0))  # nothing else: the empty run is the one there is
    assert (device.global_score, device.ranking_run_valid) == (None, False)

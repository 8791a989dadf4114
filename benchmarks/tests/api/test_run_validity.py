"""Run time, run validity and the loopback rule through POST /api/benchmark and the reads."""

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from benchmarks.models import Benchmark
from inventory.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(submit, example):
    """post(**changes) submits the example as a new run with its results changed."""

    def send(conditions=None, **results):
        document = {**example, "submission_id": str(uuid.uuid4())}
        document["results"] = {**example["results"], **results}
        if conditions is not None:
            document["results"]["conditions"] = conditions
        response = submit(document)
        assert response.status_code == 201, response.content
        return response.json()

    return send


def ago(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def device_item(api):
    (item,) = api.get("/api/devices").json()["results"]
    return item


def test_a_busy_run_is_suspect_and_does_not_rank_the_device(api, post):
    valid = post(conditions={"cpu_busy_percent": 2.0, "started_at": ago(hours=2)})
    busy = post(
        conditions={"cpu_busy_percent": 64.0, "started_at": ago(minutes=1)},
        cpu={"score": 20.0},
    )

    detail = api.get(f"/api/benchmarks/{busy['benchmark_id']}").json()
    assert (detail["validity"], detail["validity_reasons"]) == ("suspect", ["busy"])
    item = device_item(api)
    assert item["global_score"] == valid["global_score"]  # the latest valid run's
    assert item["cpu_score"] == 104.4
    assert (item["latest_validity"], item["latest_validity_reasons"]) == ("suspect", ["busy"])
    history = api.get(f"/api/devices/{item['id']}/benchmarks").json()["results"]
    assert [run["validity"] for run in history] == ["suspect", "valid"]


def test_the_answer_says_whether_the_run_ranks_the_machine(submit, example):
    example["results"]["conditions"] = {"cpu_busy_percent": 64.0}
    example["results"]["network"] = {**example["results"]["network"], "target": "127.1"}
    answer = submit(example)
    body = answer.json()
    assert answer.status_code == 201
    assert (body["validity"], body["validity_reasons"]) == ("suspect", ["busy"])
    # what bench.sh prints: the reasons with what was measured
    assert body["validity_detail"] == "machine busy (64 % of the CPU used by other processes)"
    assert body["excluded_categories"] == ["network"]
    again = submit(example).json()  # the same submission_id: the stored run's, as first said
    assert again == {**body, "device_created": False}  # only the first one made the device


def test_the_answer_names_the_categories_whose_repeats_disagreed(post):
    noisy = post(memory={"score": 90.0, "cv_pct": 9.42}, disk={"score": 80.0, "cv_pct": 2.0})
    assert noisy["validity_reasons"] == ["noisy"]
    assert noisy["validity_detail"] == "repeats disagree (memory 9.42 %)"
    assert post()["validity_detail"] == ""  # a valid run


def test_a_device_with_only_suspect_runs_is_ranked_by_its_latest(api, post):
    post(conditions={"cpu_throttled": True}, cpu={"score": 50.0})
    item = device_item(api)
    assert item["cpu_score"] == 50.0
    assert item["latest_validity_reasons"] == ["throttled"]


def test_a_loopback_network_is_stored_but_left_out_of_the_global_score(api, post):
    body = post(network={"upload_mbps": 30000, "score": 2165.0, "target": "127.0.0.1"})

    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert benchmark.network_score == 2165.0
    assert benchmark.excluded_categories == ["network"]
    assert benchmark.scoring_version == 2
    # (0.3×104.4 + 0.2×98.6 + 0.25×134.5 + 0.1×68.8) / 0.85
    assert body["global_score"] == 107.7  # 91.545 / 0.85
    detail = api.get(f"/api/benchmarks/{body['benchmark_id']}").json()
    assert detail["excluded_categories"] == ["network"]


def test_rescore_lists_a_loopback_network_left_out_of_a_run_scored_before_the_rule(api, post):
    """A run stored by version 1 counted its loopback network; rescore leaves it out of the
    global score and says so: the run lists "network" as left out, as a new run does."""
    body = post(network={"upload_mbps": 30000, "score": 2165.0, "target": "127.0.0.1"})
    Benchmark.objects.update(scoring_version=1, excluded_categories=[], global_score=400.0)

    call_command("rescore", stdout=io.StringIO())

    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert (benchmark.global_score, benchmark.excluded_categories) == (107.7, ["network"])
    detail = api.get(f"/api/benchmarks/{body['benchmark_id']}").json()
    assert detail["excluded_categories"] == ["network"]
    assert device_item(api)["ranking_excluded_categories"] == ["network"]


def test_the_device_keeps_which_of_its_ranking_figures_are_not_counted(api, post):
    from benchmarks.services import benchmark_delete

    lan = post(network={"score": 95.0, "target": "10.0.0.5"})
    loopback = post(network={"score": 2165.0, "target": "localhost"})
    device = Device.objects.get()
    assert (device.network_score, device.ranking_excluded) == (2165.0, ["network"])
    item = device_item(api)
    assert (item["network_score"], item["ranking_excluded_categories"]) == (2165.0, ["network"])

    benchmark_delete(benchmarks=Benchmark.objects.filter(pk=loopback["benchmark_id"]))

    device.refresh_from_db()
    assert (device.network_score, device.ranking_excluded) == (95.0, [])
    assert device_item(api)["ranking_excluded_categories"] == []
    assert lan["benchmark_id"] == Benchmark.objects.get().pk


def test_run_at_is_the_reported_start_and_received_at_the_arrival(api, post):
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    body = post(conditions={"started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ")})

    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert benchmark.run_at == started
    assert timezone.now() - benchmark.received_at < timedelta(minutes=1)
    detail = api.get(f"/api/benchmarks/{body['benchmark_id']}").json()
    assert detail["run_at"].startswith(started.strftime("%Y-%m-%dT%H:%M:%S"))
    assert detail["received_at"] != detail["run_at"]


def test_a_start_from_a_clock_far_ahead_is_not_believed(post):
    body = post(conditions={"started_at": ago(minutes=-30)})
    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert benchmark.run_at == benchmark.received_at


@pytest.mark.parametrize("started_at", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-01:00"])
def test_a_start_outside_the_dates_utc_can_hold_is_the_arrival(post, started_at):
    body = post(conditions={"started_at": started_at})
    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert benchmark.run_at == benchmark.received_at


def test_a_capture_replayed_later_takes_its_place_in_the_past(api, post):
    live = post(conditions={"started_at": ago(minutes=5)}, cpu={"score": 110.0})
    replayed = post(conditions={"started_at": ago(days=3)}, cpu={"score": 70.0})

    item = device_item(api)
    assert item["cpu_score"] == 110.0  # the live run stays the latest
    device = api.get(f"/api/devices/{item['id']}").json()
    assert device["last_benchmark"]["id"] == live["benchmark_id"]
    assert device["last_snapshot"]["id"] == live["snapshot_id"]
    history = api.get(f"/api/devices/{item['id']}/benchmarks").json()["results"]
    assert [run["id"] for run in history] == [live["benchmark_id"], replayed["benchmark_id"]]


def test_rescore_applies_new_thresholds_and_the_figures_follow(api, post, settings):
    post(conditions={"cpu_busy_percent": 2.0, "started_at": ago(hours=2)})
    busy = post(conditions={"cpu_busy_percent": 30.0}, cpu={"score": 20.0})
    assert device_item(api)["cpu_score"] == 104.4

    settings.VALIDITY_BUSY_PCT = 50
    out = io.StringIO()
    call_command("rescore", stdout=out)

    assert Benchmark.objects.get(pk=busy["benchmark_id"]).validity == "valid"
    item = device_item(api)
    assert (item["cpu_score"], item["latest_validity"]) == (20.0, "valid")
    assert "suspect → valid" in out.getvalue()


def test_rescore_dry_run_prints_the_changes_and_saves_nothing(post):
    body = post()
    before = Benchmark.objects.get(pk=body["benchmark_id"])
    out = io.StringIO()

    call_command(
        "rescore", "--weights", "cpu=1,memory=0,disk=0,network=0,gpu=0", "--dry-run", stdout=out
    )

    assert f"#{body['benchmark_id']} elitedesk-800g3: global 105.65 → 104.4" in out.getvalue()
    assert "Nothing was saved" in out.getvalue()
    after = Benchmark.objects.get(pk=body["benchmark_id"])
    assert (after.global_score, after.weights) == (before.global_score, before.weights)
    assert Device.objects.get().global_score == 105.65


def test_rescore_records_the_weights_it_applied(post, settings):
    body = post()
    settings.SCORE_WEIGHTS = "cpu=1,memory=0,disk=0,network=0,gpu=0"
    call_command("rescore", stdout=io.StringIO())
    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert benchmark.global_score == 104.4
    assert benchmark.weights == {"cpu": 1.0, "memory": 0.0, "disk": 0.0, "network": 0.0, "gpu": 0.0}
    assert Device.objects.get().global_score == 104.4

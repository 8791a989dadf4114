"""GET /metrics: the contract's metrics in Prometheus' text format, read from the database."""

import gzip
import uuid
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from benchmarks.models import Benchmark
from insights.models import AttentionItem
from inventory.models import Device

pytestmark = pytest.mark.django_db

LABELS = ("device", "category", "disk", "kind", "severity")  # the text format sorts them


def samples(response) -> dict[tuple, float]:
    """{(name, (label values in the contract's order)): value} of a scrape."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sample.labels[k] for k in LABELS if k in sample.labels)): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def machine(submit, example):
    """machine(host, sda=…) submits the contract's example as `host`, /dev/sda reading `sda`."""

    def send(host, **sda):
        document = {**example, "device_identifier": host, "submission_id": str(uuid.uuid4())}
        document["hardware"] = {**example["hardware"], "system": {}}
        storage = example["hardware"]["storage"]
        nvme, disk = storage["devices"]
        document["hardware"]["storage"] = {**storage, "devices": [nvme, {**disk, **sda}]}
        response = submit(document)
        assert response.status_code == 201, response.content
        return response.json()

    return send


def test_metrics_give_the_fleet_from_the_database(api, machine):
    machine("nas", smart_health="FAILED", temperature_c=58)
    machine("desk", temperature_c=35)
    machine("desk", temperature_c=36)
    nas = Device.objects.get(hostname="nas")

    got = samples(api.get("/metrics"))

    assert got[("benchtools_devices", ())] == 2
    assert got[("benchtools_benchmarks", ())] == 3
    for category in ("global", "cpu", "memory", "disk", "network", "gpu"):
        expected = getattr(nas, f"{category}_score")
        assert got[("benchtools_device_score", ("nas", category))] == expected
    assert got[("benchtools_device_score", ("nas", "cpu"))] == 104.4
    assert got[("benchtools_device_last_run_timestamp_seconds", ("nas",))] == (
        nas.last_benchmark_at.timestamp()
    )
    assert got[("benchtools_device_last_received_timestamp_seconds", ("nas",))] == (
        Benchmark.objects.filter(device=nas).get().received_at.timestamp()
    )
    assert got[("benchtools_disk_temperature_celsius", ("nas", "WD-WCC7K1234567"))] == 58
    assert got[("benchtools_disk_temperature_celsius", ("desk", "WD-WCC7K1234567"))] == 36
    assert got[("benchtools_disk_temperature_celsius", ("desk", "S4EWNX0R123456"))] == 42
    assert got[("benchtools_attention_open", ("smart_failing", "critical"))] == 1
    assert got[("benchtools_attention_open", ("disk_hot", "warning"))] == 0


def test_a_score_left_out_of_the_global_one_is_marked(api, submit, example):
    """A network measured against the machine itself (2165 on loopback) was published as a
    ranking figure like any other: a Grafana ranking of network scores put it first."""
    document = {**example, "device_identifier": "loop", "submission_id": str(uuid.uuid4())}
    document["hardware"] = {**example["hardware"], "system": {}}
    document["results"] = {
        **example["results"],
        "network": {**example["results"]["network"], "score": 2165.0, "target": "127.0.0.1"},
    }
    assert submit(document).status_code == 201
    machine = {**example, "submission_id": str(uuid.uuid4())}
    assert submit(machine).status_code == 201

    got = samples(api.get("/metrics"))

    assert got[("benchtools_device_score", ("loop", "network"))] == 2165.0
    marked = {labels for name, labels in got if name == "benchtools_device_score_excluded"}
    assert marked == {("loop", "network")}
    assert got[("benchtools_device_score_excluded", ("loop", "network"))] == 1


def test_figures_from_a_suspect_run_are_marked(api, submit, example):
    """A machine with no valid run is ranked by its suspect one, which the dashboard badges:
    a Grafana ranking of benchtools_device_score showed it as any other."""
    busy = {**example, "device_identifier": "busy", "submission_id": str(uuid.uuid4())}
    busy["hardware"] = {**example["hardware"], "system": {}}
    busy["results"] = {**example["results"], "conditions": {"cpu_busy_percent": 55}}
    assert submit(busy).json()["validity"] == "suspect"
    assert submit({**example, "submission_id": str(uuid.uuid4())}).status_code == 201
    # a valid run that scored nothing (inventory only): nothing ranks it, nothing is suspect
    unscored = {
        **example,
        "device_identifier": "inventory-only",
        "submission_id": str(uuid.uuid4()),
    }
    unscored["hardware"] = {**example["hardware"], "system": {}}
    unscored["results"] = dict.fromkeys(("cpu", "memory", "disk", "network", "gpu"))
    assert submit(unscored).json()["validity"] == "valid"

    got = samples(api.get("/metrics"))

    marked = {labels for name, labels in got if name == "benchtools_device_score_suspect"}
    assert marked == {("busy",)}  # "inventory-only" was marked too
    assert ("benchtools_device_score", ("busy", "global")) in got  # still ranked, marked


def test_a_machine_whose_clock_is_behind_is_heard_from_when_its_run_arrives(api, submit, example):
    """A run dated two years back by its machine's clock, arriving now: the last run's time says
    2024, and README's rule for a machine gone quiet fired while it ran. The arrival says now."""
    document = {**example, "device_identifier": "behind", "submission_id": str(uuid.uuid4())}
    document["results"] = {
        **example["results"],
        "conditions": {"started_at": "2024-11-01T03:00:00Z"},
    }
    before = timezone.now().timestamp()
    assert submit(document).status_code == 201

    got = samples(api.get("/metrics"))

    assert got[("benchtools_device_last_run_timestamp_seconds", ("behind",))] == (
        datetime(2024, 11, 1, 3, tzinfo=UTC).timestamp()
    )
    assert got[("benchtools_device_last_received_timestamp_seconds", ("behind",))] >= before


def test_a_scrape_follows_the_database_not_the_process(api, machine):
    machine("nas", smart_health="FAILED")
    assert (
        samples(api.get("/metrics"))[("benchtools_attention_open", ("smart_failing", "critical"))]
        == 1
    )

    # written behind the app's back, as another server or worker would: the next scrape sees it
    AttentionItem.objects.update(closed_at="2026-01-01T00:00:00Z")
    Benchmark.objects.all().delete()
    got = samples(api.get("/metrics"))
    assert got[("benchtools_attention_open", ("smart_failing", "critical"))] == 0
    assert got[("benchtools_benchmarks", ())] == 0


def test_a_device_without_figures_or_temperatures_has_no_such_samples(api):
    Device.objects.create(hostname="new-box")
    got = samples(api.get("/metrics"))
    assert got[("benchtools_devices", ())] == 1
    assert [key for key in got if "new-box" in key[1]] == []


@pytest.mark.parametrize("fleet", [1, 12])
def test_a_scrape_takes_four_queries_whatever_the_fleet(
    api, machine, django_assert_num_queries, fleet
):
    for n in range(fleet):
        machine(f"host-{n}", temperature_c=30 + n)
    # devices with their latest storage, runs, the last backup, open items
    with django_assert_num_queries(4):
        response = api.get("/metrics")
    assert (
        len([key for key in samples(response) if key[0] == "benchtools_disk_temperature_celsius"])
        == 2 * fleet
    )


def test_metrics_need_the_read_scope(anon, token_client):
    assert anon.get("/metrics").status_code == 401
    assert anon.get("/metrics")["WWW-Authenticate"].startswith("Bearer")
    assert token_client("submit").get("/metrics").status_code == 403
    assert token_client("read").get("/metrics").status_code == 200


def test_metrics_public_opens_them_without_a_token(anon, settings):
    settings.METRICS_PUBLIC = True
    assert samples(anon.get("/metrics"))[("benchtools_devices", ())] == 0
    # a scraper left with a token revoked since (or a wrong one) was answered 401
    stale = APIClient(HTTP_AUTHORIZATION="Bearer revoked-long-ago-0123456789abcdef")
    assert stale.get("/metrics").status_code == 200


def test_a_scrape_is_gzipped_for_who_asks_as_prometheus_does(api, machine):
    """A scrape of 2,000 machines was 1.6 MB each minute; gzipped, 110 KB."""
    plain = api.get("/metrics")
    zipped = api.get("/metrics", HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content


def test_a_scrape_answers_prometheus_text_whatever_accept_says(api):
    # Prometheus asks for OpenMetrics first; a strict text/plain client must not get a 406
    for accept in ("text/plain", "application/openmetrics-text;version=1.0.0,*/*;q=0.1"):
        assert samples(api.get("/metrics", HTTP_ACCEPT=accept))[("benchtools_benchmarks", ())] == 0
    assert APIClient().get("/metrics", HTTP_ACCEPT="text/plain").status_code == 401

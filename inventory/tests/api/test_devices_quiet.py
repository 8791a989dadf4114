"""/api/devices?quiet=true|false (beyond the contract): the machines gone quiet (in service,
with a run, the latest older than QUIET_AFTER_DAYS: inventory.quiet), or all the others; as of
inventory.quiet.now, patched here to a fixed moment."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator

from inventory import quiet
from inventory.models import Device
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(quiet, "now", lambda: NOW)


@pytest.fixture
def fleet():
    """Heard from 2 and 10 days ago; silent for 23 and 40 days (one of them retired), and one
    a second past 14 days; a machine never run."""
    for hostname, days in (
        ("busy", 2),
        ("weekly", 10),
        ("gone-quiet", 23),
        ("just-quiet", 14 + 1 / 86400),
        ("old-nas", 40),
    ):
        DeviceFactory(hostname=hostname, last_benchmark_at=NOW - timedelta(days=days))
    DeviceFactory(hostname="never-run")
    Device.objects.filter(hostname="old-nas").update(retired_on=date(2026, 11, 1))


def test_the_api_lists_the_quiet_machines_or_the_others(api, fleet):
    def listed(query: str) -> list[str]:
        response = api.get(f"/api/devices{query}")
        assert response.status_code == 200, response.content
        return sorted(device["hostname"] for device in response.json()["results"])

    everyone = ["busy", "gone-quiet", "just-quiet", "never-run", "old-nas", "weekly"]
    assert listed("") == everyone  # the contract's list: every device
    assert listed("?quiet=true") == ["gone-quiet", "just-quiet"]
    assert listed("?quiet=FALSE") == ["busy", "never-run", "old-nas", "weekly"]
    assert listed("?quiet=true&ordering=last_benchmark_at") == ["gone-quiet", "just-quiet"]
    # the words /api/hardware-changes' yes/no parameters take (a script's one helper for both
    # was refused here for `1`)
    assert listed("?quiet=1") == listed("?quiet=yes") == ["gone-quiet", "just-quiet"]
    assert listed("?quiet=off") == listed("?quiet=FALSE")
    assert listed("?retired=0") == listed("?retired=false") != listed("?retired=yes")
    refused = api.get("/api/devices?quiet=maybe")
    assert refused.status_code == 400
    assert refused.json() == {"quiet": ["Expected true or false (or 1/0, yes/no, on/off)."]}
    # the OpenAPI schema names it and the words it takes
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/devices"]["get"]["parameters"]
    said = next(p for p in parameters if p["name"] == "quiet")
    assert "QUIET_AFTER_DAYS" in said["description"]
    # as the server takes them: a client made from the schema refused `1` (an enum of
    # "true" and "false"), and `disks=WORN`
    for name, words in (
        ("quiet", ("1", "yes", "ON", "True", "n", "0", "maybe", "tru", "true ", "")),
        ("retired", ("Off", "F", "oui", "2")),
        ("disks", ("old", "WORN", "Old", "new", "worn,old", "")),
    ):
        schema = next(p for p in parameters if p["name"] == name)["schema"]
        for word in words:
            taken = api.get("/api/devices", {name: word}).status_code == 200
            assert bool(re.match(schema["pattern"], word)) == taken, (name, word)


def test_the_api_finds_no_machine_quiet_when_the_setting_is_0(api, fleet, settings):
    settings.QUIET_AFTER_DAYS = 0
    assert api.get("/api/devices?quiet=true").json()["count"] == 0
    assert api.get("/api/devices?quiet=false").json()["count"] == 6


def test_the_quiet_list_costs_what_the_list_costs(api, django_assert_max_num_queries):
    for n in range(30):
        DeviceFactory(hostname=f"silent-{n:02d}", last_benchmark_at=NOW - timedelta(days=20 + n))
        DeviceFactory(hostname=f"heard-{n:02d}", last_benchmark_at=NOW - timedelta(days=1))
    with django_assert_max_num_queries(3):  # the count, the page, its tags
        response = api.get("/api/devices?quiet=true&page_size=100")
    assert response.json()["count"] == 30

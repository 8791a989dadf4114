"""GET/PATCH/PUT/DELETE /api/devices…: the contract's read and edit sections."""

import copy
import uuid

import pytest
from django.utils import timezone
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from benchmarks.models import Benchmark
from benchmarks.tests.factories import BenchmarkFactory
from inventory import services, validators
from inventory.models import Device, HardwareSnapshot, Tag
from inventory.tests.factories import DeviceFactory, LinkFactory, SnapshotFactory, TagFactory
from inventory.views import DeviceViewSet

pytestmark = pytest.mark.django_db


def hostnames(response):
    assert response.status_code == 200, response.content
    return [item["hostname"] for item in response.json()["results"]]


@pytest.fixture
def fleet():
    """Three benchmarked devices and one never benchmarked."""
    now = timezone.now()
    fast = BenchmarkFactory(
        device__hostname="fast",
        device__location="Rack A",
        cpu_score=300.0,
        run_at=now - timezone.timedelta(days=3),
    ).device
    mid = BenchmarkFactory(
        device__hostname="mid",
        device__location="rack a",
        cpu_score=150.0,
        run_at=now - timezone.timedelta(days=1),
    ).device
    slow = BenchmarkFactory(
        device__hostname="slow",
        device__location="Office",
        cpu_score=20.0,
        run_at=now - timezone.timedelta(days=2),
    ).device
    new = DeviceFactory(
        hostname="new", location="ΟΔΟΣ 5", description="spare NUC", owner="Hélène Dupont"
    )
    mid.tags.add(TagFactory(name="proxmox"))
    Device.objects.filter(pk=slow.pk).update(asset_tag="INV-0042")
    return {"fast": fast, "mid": mid, "slow": slow, "new": new}


def test_device_list_is_paginated_with_latest_scores(api, fleet):
    body = api.get("/api/devices").json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4
    fast = next(item for item in body["results"] if item["hostname"] == "fast")
    benchmark = fleet["fast"].benchmarks.get()
    assert fast["global_score"] == benchmark.global_score
    assert (
        fast["cpu_score"] == 300.0 and fast["memory_score"] == 100.0 and fast["gpu_score"] is None
    )
    assert fast["last_benchmark_at"] is not None
    new = next(item for item in body["results"] if item["hostname"] == "new")
    assert new["global_score"] is None and new["last_benchmark_at"] is None


def test_device_list_defaults_to_ranking_by_global_score(api, fleet):
    assert hostnames(api.get("/api/devices")) == ["fast", "mid", "slow", "new"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-global_score", ["fast", "mid", "slow", "new"]),
        ("global_score", ["slow", "mid", "fast", "new"]),
        ("hostname", ["fast", "mid", "new", "slow"]),
        ("-hostname", ["slow", "new", "mid", "fast"]),
        ("-last_benchmark_at", ["mid", "slow", "fast", "new"]),
        ("last_benchmark_at", ["fast", "slow", "mid", "new"]),
    ],
)
def test_device_list_ordering(api, fleet, ordering, expected):
    assert hostnames(api.get("/api/devices", {"ordering": ordering})) == expected


@pytest.mark.parametrize("ordering", ["bogus", "pk", "hostname,-nope", "", "--hostname"])
def test_an_unknown_ordering_is_a_400_naming_it(api, fleet, ordering):
    """It answered the default order, which a client took for the one it asked."""
    response = api.get("/api/devices", {"ordering": ordering})
    if ordering == "":  # no ordering asked: the ranking
        assert hostnames(response) == ["fast", "mid", "slow", "new"]
        return
    assert response.status_code == 400
    assert (
        "is not an ordering: hostname, global_score, last_benchmark_at or id"
        in (response.json()["ordering"][0])
    )


def test_paging_by_id_lists_every_device_once_while_runs_arrive(api):
    """Paged in the ranking (the default order), a run between two pages moved its machine
    up: one device listed twice, another never. By id, new machines come last and no page
    moves."""
    devices = [BenchmarkFactory(cpu_score=10.0 + n).device for n in range(12)]
    first = api.get("/api/devices", {"ordering": "id", "page_size": 5}).json()
    # between two pages: the slowest machine runs again, fastest of all, and one joins
    BenchmarkFactory(device=devices[0], cpu_score=5000.0)
    joined = DeviceFactory(hostname="joined")

    listed, page = [item["id"] for item in first["results"]], first
    while page["next"]:
        page = api.get(page["next"]).json()
        listed += [item["id"] for item in page["results"]]

    assert listed == [d.pk for d in devices] + [joined.pk]
    newest = api.get("/api/devices", {"ordering": "-id", "page_size": 1}).json()
    assert [item["id"] for item in newest["results"]] == [joined.pk]


def test_hostnames_are_ordered_whatever_their_case(api):
    for name in ("bravo", "Alpha", "charlie", "Delta"):
        DeviceFactory(hostname=name)
    assert hostnames(api.get("/api/devices", {"ordering": "hostname"})) == [
        "Alpha",
        "bravo",
        "charlie",
        "Delta",
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "FAS"}, ["fast"]),
        ({"search": "spare"}, ["new"]),
        ({"search": "inv-0042"}, ["slow"]),
        ({"search": "proxmox"}, ["mid"]),
        ({"search": "rack"}, ["fast", "mid"]),
        ({"location": "RACK A"}, ["fast", "mid"]),
        ({"location": "office", "ordering": "hostname"}, ["slow"]),
        # letter by letter as PostgreSQL's UPPER(): SQLite's lower() made Σ a final ς
        ({"location": "οδοσ 5"}, ["new"]),
        ({"location": "Οδος 5"}, ["new"]),
        ({"tag": "ProxMox"}, ["mid"]),
        ({"owner": "hélène dupont"}, ["new"]),  # beyond the contract: all of them before
        # any letter's case, on SQLite too (its iexact: ASCII letters only); accents kept
        ({"owner": "HÉLÈNE DUPONT"}, ["new"]),
        ({"owner": "helene dupont"}, []),
        ({"owner": "Nobody"}, []),
        ({"tag": "nope"}, []),
        ({"search": "zzz"}, []),
    ],
)
def test_device_list_filters(api, fleet, params, expected):
    assert hostnames(api.get("/api/devices", params)) == expected


def test_a_repeated_tag_lists_the_devices_carrying_every_one(api, fleet):
    backup = TagFactory(name="backup")
    fleet["mid"].tags.add(backup)
    fleet["fast"].tags.add(backup)

    def listed(query):
        response = api.get(f"/api/devices?{query}")
        assert response.status_code == 200, response.content
        return hostnames(response)

    assert listed("tag=backup") == ["fast", "mid"]
    assert listed("tag=PROXMOX&tag=Backup") == ["mid"]
    assert listed("tag=backup&tag=backup&tag=") == ["fast", "mid"]
    assert listed("tag=nope&tag=backup") == []
    response = api.get("/api/devices?tag=backup&tag=a%00b")
    assert response.status_code == 400 and "tag" in response.json()


def test_device_list_page_size_is_capped_at_500(api):
    Device.objects.bulk_create(Device(hostname=f"d{i:03d}") for i in range(510))

    body = api.get("/api/devices", {"page_size": 1000}).json()

    assert len(body["results"]) == 500 and body["next"]
    page = api.get("/api/devices", {"page_size": 200, "page": 3, "ordering": "hostname"}).json()
    assert [d["hostname"] for d in page["results"]][:1] == ["d400"]
    assert api.get("/api/devices", {"page": 99}).status_code == 404


@pytest.mark.parametrize("page_size", [10, 100, 500])
def test_device_list_query_count_does_not_grow_with_page_size(
    api, django_assert_max_num_queries, page_size
):
    for i in range(30):
        BenchmarkFactory(device__hostname=f"h{i:02d}").device.tags.add(TagFactory())
    # count + page (one join with the latest benchmark) + the page's tag names
    with django_assert_max_num_queries(3):
        response = api.get("/api/devices", {"page_size": page_size})
    results = response.json()["results"]
    assert len(results) == min(page_size, 30)
    assert all(len(device["tags"]) == 1 for device in results)


def test_each_listed_device_has_its_own_tags_by_name(api, django_assert_num_queries):
    rack = DeviceFactory(hostname="rack")
    rack.tags.add(TagFactory(name="zfs"), TagFactory(name="Backup"), TagFactory(name="lab"))
    DeviceFactory(hostname="bare")
    DeviceFactory(hostname="desk").tags.add(TagFactory(name="office"))

    with django_assert_num_queries(3):  # count, page, the page's tag names
        body = api.get("/api/devices", {"ordering": "hostname"}).json()

    tags = {item["hostname"]: item["tags"] for item in body["results"]}
    assert tags == {"bare": [], "desk": ["office"], "rack": ["Backup", "lab", "zfs"]}
    # the detail reads the same tags, in the same order
    assert api.get(f"/api/devices/{rack.pk}").json()["tags"] == ["Backup", "lab", "zfs"]


def test_device_detail_has_last_snapshot_last_benchmark_and_counts(api):
    device = DeviceFactory(hostname="box")
    SnapshotFactory(
        device=device, captured_at=timezone.now() - timezone.timedelta(days=1), cpu_cores=2
    )
    benchmark = BenchmarkFactory(device=device, snapshot__cpu_cores=8)
    five_days_ago = timezone.now() - timezone.timedelta(days=5)
    BenchmarkFactory(
        device=device, run_at=five_days_ago, snapshot__captured_at=five_days_ago, latest=False
    )
    LinkFactory(device=device)

    body = api.get(f"/api/devices/{device.pk}").json()

    assert body["hostname"] == "box"
    assert body["last_snapshot"]["cpu_cores"] == 8
    assert body["last_snapshot"]["id"] == benchmark.snapshot_id
    assert body["last_benchmark"]["id"] == benchmark.pk
    assert body["last_benchmark"]["global_score"] == benchmark.global_score
    assert (body["benchmarks_count"], body["links_count"], body["documents_count"]) == (2, 1, 0)
    assert body["snapshots_count"] == 3


def test_device_detail_of_a_device_never_benchmarked(api):
    device = DeviceFactory()
    body = api.get(f"/api/devices/{device.pk}").json()
    assert body["last_snapshot"] is None and body["last_benchmark"] is None


@pytest.mark.parametrize(
    "path",
    [
        "/api/devices/999999",
        "/api/devices/abc",
        "/api/devices/99999999999999999999999",
    ],
)
def test_unknown_device_is_a_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("suffix", ["", "/docs", "/insights"])
def test_a_device_id_in_other_digits_is_no_id(api, suffix):
    """int() reads fullwidth digits ("\uff11" is 1): the device answered under that spelling."""
    device = DeviceFactory()
    fullwidth = "".join(chr(0xFF10 + int(digit)) for digit in str(device.pk))

    response = api.get(f"/api/devices/{fullwidth}{suffix}")

    assert response.status_code == 404
    assert api.get(f"/api/devices/{device.pk}{suffix}").status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
    ],
)
def test_a_page_or_page_size_that_is_no_number_is_a_400_naming_it(api, params, field):
    """DRF answered ?page=abc 404 "Invalid page." and took ?page_size=abc for the default
    without a word; every other bad input is a 400 naming its field (contract)."""
    DeviceFactory()
    response = api.get("/api/devices", params)
    assert response.status_code == 400
    assert response.json() == {field: ["A whole number from 1."]}


def test_a_format_the_api_does_not_answer_in_is_a_406_naming_format_not_a_404(api):
    """DRF answered ?format=csv 404 "Not found." for a device that exists: a script passing the
    export's format= to another endpoint took the device for gone."""
    device = DeviceFactory()
    for path in (f"/api/devices/{device.pk}", "/api/devices", "/api/stats"):
        response = api.get(path, {"format": "csv"})
        assert response.status_code == 406, path
        assert response.json() == {"format": ["This endpoint answers in json, not csv."]}
    assert api.get(f"/api/devices/{device.pk}", {"format": "json"}).status_code == 200
    assert api.get(f"/api/devices/{device.pk + 1}", {"format": "json"}).status_code == 404
    # the export's own format= and the schema's are theirs
    assert api.get("/api/export", {"format": "csv"})["Content-Type"].startswith("text/csv")
    assert api.get("/api/schema/", {"format": "json"}).status_code == 200


def test_a_page_past_the_last_is_still_a_404_and_last_is_a_page(api):
    for name in ("a", "b", "c"):
        DeviceFactory(hostname=name)
    assert api.get("/api/devices", {"page": "99"}).status_code == 404
    last = api.get("/api/devices", {"page": "last", "page_size": 2, "ordering": "hostname"})
    assert hostnames(last) == ["c"]


def test_patch_edits_metadata_and_tags(api):
    device = DeviceFactory(hostname="old")
    Tag.objects.create(name="Lab")

    response = api.patch(
        f"/api/devices/{device.pk}",
        {"location": "Rack B", "owner": "alice", "asset_tag": "A-1", "tags": ["lab", "gpu", "gpu"]},
        format="json",
    )

    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert (device.location, device.owner, device.asset_tag, device.hostname) == (
        "Rack B",
        "alice",
        "A-1",
        "old",
    )
    assert sorted(t.name for t in device.tags.all()) == ["Lab", "gpu"]
    assert Tag.objects.count() == 2
    assert sorted(response.json()["tags"]) == ["Lab", "gpu"]


def test_put_replaces_the_editable_fields(api):
    device = DeviceFactory(hostname="old", description="x", asset_tag="A-1")  # lab, ops
    device.tags.add(TagFactory(name="backup"))
    payload = {
        "hostname": "renamed",
        "fqdn": "renamed.lan",
        "description": "",
        "asset_tag": "",
        "location": "",
        "owner": "",
        "tags": [],
    }

    response = api.put(f"/api/devices/{device.pk}", payload, format="json")

    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert (device.hostname, device.fqdn, device.description) == ("renamed", "renamed.lan", "")
    assert (device.asset_tag, device.location, device.owner) == ("", "", "")
    assert not device.tags.exists()


def test_patch_refuses_a_hostname_taken_case_insensitively(api):
    DeviceFactory(hostname="nas")
    device = DeviceFactory(hostname="other")

    response = api.patch(f"/api/devices/{device.pk}", {"hostname": "NAS"}, format="json")

    assert response.status_code == 400
    assert "hostname" in response.json()
    device.refresh_from_db()
    assert device.hostname == "other"


def test_a_hostname_taken_after_the_check_is_a_400_naming_hostname_not_a_500(api):
    """Two renames to one name at once (or a new machine of that name submitting): both passed
    the serializer's check, and the second's UPDATE met the unique index, a 500 on SQLite and
    PostgreSQL alike. The service says it; the API answers as the check does."""
    from django.core.exceptions import ValidationError

    from benchsite.exceptions import exception_handler
    from inventory.matching import MSG_HOSTNAME_TAKEN

    DeviceFactory(hostname="nas")
    device = DeviceFactory(hostname="other")
    with pytest.raises(ValidationError) as refused:  # as the second of the two sees it
        services.device_update(device=device, data={"hostname": "NAS"}, actor=None)
    assert refused.value.message_dict == {"hostname": [MSG_HOSTNAME_TAKEN]}
    device.refresh_from_db()
    assert (device.hostname, device.former_hostnames) == ("other", "")

    answer = exception_handler(refused.value, {})
    assert (answer.status_code, answer.data) == (400, {"hostname": [MSG_HOSTNAME_TAKEN]})


@pytest.mark.parametrize(
    "name",
    [
        "nas\tbox",
        "nas\u200b",  # a zero-width space: "nas" again, to the eye
        "nas\u202exob",  # a right-to-left override: shown backwards
        "nas\u009b31m",  # a C1 control: a terminal's escape sequence
        "nas\u2028box",  # a line separator
        "pc\u00a0compta",  # a no-break space: "pc compta" to the eye
        "srv-nas\u00ad",  # a soft hyphen, which Word and Excel insert
        "lab\u034f-01",  # a combining grapheme joiner
        "x\u3164",  # a Hangul filler, blank
        "nas\U000e0041",  # a tag character
    ],
)
def test_a_hostname_with_a_control_or_invisible_character_is_refused(api, submit, name):
    """A zero-width space made "nas\u200b" a second device beside "nas" that looked the same;
    an override showed a name backwards; C1 controls reached the logs raw."""
    device = DeviceFactory(hostname="other")

    response = api.patch(f"/api/devices/{device.pk}", {"hostname": name}, format="json")

    assert response.status_code == 400
    assert response.json()["hostname"] == [
        "hostname contains a control or invisible character (a tab, a line break, a "
        "zero-width or no-break space, a soft hyphen, a direction override…)."
    ]
    device.refresh_from_db()
    assert device.hostname == "other"
    refused = submit({"device_identifier": name})
    assert refused.status_code == 400
    assert "device_identifier" in refused.json()
    assert submit({"device_identifier": "büro-pc"}).status_code == 201  # letters of any script


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"location": 5}, "location"),
        ({"owner": True}, "owner"),
        ({"hostname": 12}, "hostname"),
        ({"description": {"a": 1}}, "description"),
    ],
)
def test_an_edit_of_another_json_type_is_a_400_naming_the_field(api, payload, field):
    """DRF's CharField took 5 for "5" and tags [1, 2] for "1" and "2" (contract audit)."""
    device = DeviceFactory(location="lab", owner="ops", hostname="web-1", description="")
    response = api.patch(f"/api/devices/{device.pk}", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {field: ["Not a valid string."]}
    device.refresh_from_db()
    assert (device.location, device.owner, device.hostname) == ("lab", "ops", "web-1")


def test_tags_of_another_json_type_are_a_400_naming_them(api):
    device = DeviceFactory()
    response = api.patch(f"/api/devices/{device.pk}", {"tags": [1, 2]}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["tags"]
    assert not device.tags.exists()


@pytest.mark.parametrize("name", ["rack\u200b", "lab\u00a0x", "\x01", "a\tb"])
def test_a_tag_with_an_invisible_or_control_character_is_a_400_naming_tags(api, name):
    """ "rack" and "rack" with a zero-width space after it were two tags that looked the same:
    ?tag=rack missed the device of the second."""
    device = DeviceFactory()
    response = api.patch(f"/api/devices/{device.pk}", {"tags": ["ok", name]}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "tags": {"1": [validators.MSG_TAG_CONTROL]},
    }
    assert not device.tags.exists() and not Tag.objects.exists()


def test_a_tag_made_before_the_rule_is_sent_back_as_it_is(api):
    """A script that read a device's tags and sent them back with one more had its request
    refused whole, for a tag that exists (made before 0.14.5 refused such names)."""
    device = DeviceFactory()
    device.tags.add(Tag.objects.create(name="rack\u200b"))
    tags = api.get(f"/api/devices/{device.pk}").json()["tags"]

    response = api.patch(f"/api/devices/{device.pk}", {"tags": [*tags, "new"]}, format="json")

    assert response.status_code == 200, response.json()
    assert sorted(response.json()["tags"]) == ["new", "rack\u200b"]


def test_patch_ignores_read_only_fields(api):
    device = DeviceFactory(machine_id="", location="lab")
    response = api.patch(
        f"/api/devices/{device.pk}",
        {"machine_id": "abc", "id": 999, "global_score": 1e4, "location": "rack"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["id"] == device.pk and response.json()["global_score"] is None
    device.refresh_from_db()
    assert (device.machine_id, device.location, device.global_score) == ("", "rack", None)


def test_patch_refuses_a_key_that_is_no_field_of_a_device_and_changes_nothing(api):
    """A misspelt key was a 200 that changed nothing, and moved `updated_at`: a script took its
    typo for done."""
    device = DeviceFactory(location="lab", owner="ops")
    before = Device.objects.get(pk=device.pk).updated_at

    response = api.patch(
        f"/api/devices/{device.pk}", {"locaton": "Rack Q", "owner": "Anna"}, format="json"
    )

    assert response.status_code == 400
    said = response.json()["locaton"][0]
    assert said.startswith("Not a field of a device; those an edit takes: hostname, ")
    assert "location" in said and "owner" not in response.json()
    assert said.endswith(", tags, attention_muted.")  # every field it takes (it left this out)
    device.refresh_from_db()
    assert (device.location, device.owner, device.updated_at) == ("lab", "ops", before)


def test_a_device_sent_back_as_read_changes_nothing_not_even_updated_at(api):
    """The "read, change, send back" of a script: every key of the detail is taken, and an
    edit that changes nothing leaves `updated_at` (a sync job's cursor) as it was."""
    device = BenchmarkFactory().device
    device.tags.add(TagFactory(name="rack"))
    read = api.get(f"/api/devices/{device.pk}").json()

    unchanged = api.put(f"/api/devices/{device.pk}", read, format="json")
    edited = api.patch(f"/api/devices/{device.pk}", {**read, "owner": "Anna"}, format="json")
    retagged = api.patch(f"/api/devices/{device.pk}", {"tags": ["rack", "b12"]}, format="json")

    assert unchanged.status_code == 200, unchanged.json()
    assert unchanged.json()["updated_at"] == read["updated_at"]
    assert edited.status_code == 200 and edited.json()["owner"] == "Anna"
    assert edited.json()["updated_at"] > read["updated_at"]
    assert retagged.json()["updated_at"] > edited.json()["updated_at"]
    assert sorted(retagged.json()["tags"]) == ["b12", "rack"]


def test_delete_removes_the_device_and_everything_attached(api):
    benchmark = BenchmarkFactory()
    device = benchmark.device
    LinkFactory(device=device)
    keep = BenchmarkFactory()

    response = api.delete(f"/api/devices/{device.pk}")

    assert response.status_code == 204
    assert not Device.objects.filter(pk=device.pk).exists()
    assert not HardwareSnapshot.objects.filter(device_id=device.pk).exists()
    assert list(Benchmark.objects.all()) == [keep]


def test_history_lists_benchmarks_newest_first(api):
    device = DeviceFactory()
    now = timezone.now()
    old = BenchmarkFactory(device=device, run_at=now - timezone.timedelta(days=2), latest=False)
    new = BenchmarkFactory(device=device, run_at=now)
    BenchmarkFactory()  # another device's

    body = api.get(f"/api/devices/{device.pk}/benchmarks").json()

    assert [b["id"] for b in body["results"]] == [new.pk, old.pk]
    assert body["results"][0]["cpu_score"] == 100.0


def test_history_query_count_is_flat(api, django_assert_max_num_queries):
    device = DeviceFactory()
    BenchmarkFactory.create_batch(40, device=device)
    with django_assert_max_num_queries(3):  # device exists, count, page
        response = api.get(f"/api/devices/{device.pk}/benchmarks", {"page_size": 40})
    assert len(response.json()["results"]) == 40


def test_history_of_an_unknown_device_is_a_404(api):
    assert api.get("/api/devices/424242/benchmarks").status_code == 404


def test_snapshots_list_newest_first(api, django_assert_max_num_queries):
    device = DeviceFactory()
    now = timezone.now()
    old = SnapshotFactory(device=device, captured_at=now - timezone.timedelta(hours=1))
    new = SnapshotFactory(device=device, captured_at=now)

    with django_assert_max_num_queries(3):  # device exists, count, page
        # the device list's filters are not the snapshots': a search does not empty the page
        body = api.get(f"/api/devices/{device.pk}/snapshots", {"search": "zzz"}).json()

    assert [s["id"] for s in body["results"]] == [new.pk, old.pk]
    assert body["results"][0]["cpu_model"] == "AMD Ryzen 5 5600G"


def test_a_snapshot_a_run_or_a_change_names_is_read_by_its_id(api, submit, example):
    """A run's `snapshot` and a hardware change's snapshot ids led nowhere: the device's list
    of snapshots had to be paged through to find one."""
    ids = submit(example).json()
    listed = api.get(f"/api/devices/{ids['device_id']}/snapshots").json()["results"][0]

    one = api.get(f"/api/snapshots/{ids['snapshot_id']}")

    assert one.status_code == 200 and one.json() == listed
    assert api.get("/api/snapshots/999999").status_code == 404
    assert api.get("/api/snapshots/abc").status_code == 404
    assert api.delete(f"/api/snapshots/{ids['snapshot_id']}").status_code == 405


def test_the_snapshots_endpoint_documents_only_its_own_parameters(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/devices/{id}/snapshots"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"id", "page", "page_size"}


def test_benchmark_detail_has_raw_results_and_snapshot(api, submit, example):
    example["results"]["conditions"] = {"governor": "powersave"}
    ids = submit(example).json()

    body = api.get(f"/api/benchmarks/{ids['benchmark_id']}").json()

    assert body["snapshot"] == ids["snapshot_id"] and body["device"] == ids["device_id"]
    assert body["results"]["conditions"] == {"governor": "powersave"}
    assert body["results"]["global_score"] == 107.3  # the client's figure, as sent
    assert body["global_score"] == 105.65
    assert body["submission_id"] == example["submission_id"]
    assert api.get("/api/benchmarks/999").status_code == 404


def test_stats(api, fleet):
    body = api.get("/api/stats").json()

    # fast 180.0, mid 120.0, slow 68.0 (CPU 300/150/20, memory and disk 100); "new" has none
    assert body["devices"] == 4 and body["benchmarks"] == 3
    assert body["average_global_score"] == 122.67
    assert body["last_benchmark_at"] is not None
    assert body["last_received_at"] is not None


def test_stats_of_an_empty_fleet(api):
    assert api.get("/api/stats").json() == {
        "devices": 0,
        "benchmarks": 0,
        "average_global_score": None,
        "last_benchmark_at": None,
        "last_received_at": None,
    }


@pytest.mark.parametrize("parameter", ["search", "location", "tag"])
def test_a_nul_character_in_a_device_filter_is_a_400_naming_it(api, parameter):
    # DRF's search answered a bare list; PostgreSQL refuses NUL in a query (a 500 there).
    response = api.get(f"/api/devices?{parameter}=a%00b")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_editing_a_device_deleted_meanwhile_is_a_404_not_a_500(api, submit, monkeypatch):
    device_id = submit({"device_identifier": "doomed"}).json()["device_id"]
    real_update = services.device_update

    def update_after_a_concurrent_delete(*, device, data, **kwargs):
        Device.objects.filter(pk=device.pk).delete()  # another request's DELETE won the race
        return real_update(device=device, data=data, **kwargs)

    monkeypatch.setattr(services, "device_update", update_after_a_concurrent_delete)

    response = api.patch(f"/api/devices/{device_id}", {"location": "lab"}, format="json")

    assert response.status_code == 404
    assert not Device.objects.exists()


def test_device_update_refuses_a_stale_instance_of_a_deleted_device(submit):
    device = Device.objects.get(pk=submit({"device_identifier": "gone"}).json()["device_id"])
    Device.objects.filter(pk=device.pk).delete()

    with pytest.raises(Device.DoesNotExist):
        services.device_update(device=device, data={"location": "lab"})


@pytest.fixture
def hardware_fleet(submit, example):
    """Four machines by their hardware: two i7-6700 desktops, a Ryzen 9 server with a GPU and a
    Ryzen 7 one."""
    for name, cpu, vendor, model, gpu, disks in (
        (
            "desk-1",
            "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz",
            "HP",
            "EliteDesk 800 G3",
            None,
            ["Samsung SSD 860 EVO 500GB"],
        ),
        (
            "desk-2",
            "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz",
            "Dell",
            "OptiPlex 7040",
            None,
            ["WDC WD40EFRX-68N32N0"],
        ),
        (
            "srv-1",
            "AMD Ryzen 9 5950X",
            "ASUS",
            "Pro WS X570-ACE",
            "NVIDIA GeForce RTX 3060",
            ["Samsung SSD 980 PRO 1TB", "WDC WD40EFRX-68N32N0"],
        ),
        ("srv-2", "AMD Ryzen 7 5700X", "Gigabyte", "B550M", None, ["Samsung SSD 970 EVO"]),
    ):
        document = {
            "device_identifier": name,
            "hardware": {
                "cpu": {"model": cpu},
                "system": {"system_vendor": vendor, "system_model": model},
                "gpu": {"model": gpu},
                "storage": {"devices": [{"name": "sda", "model": m} for m in disks]},
            },
        }
        assert submit(document).status_code == 201


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("i7-6700", ["desk-1", "desk-2"]),
        # each word on its own ("9" is also in srv-2's "970"), a quoted phrase whole
        ("ryzen 9", ["srv-1", "srv-2"]),
        ('"ryzen 9"', ["srv-1"]),
        ("'Ryzen 7' gigabyte", ["srv-2"]),
        ("optiplex", ["desk-2"]),
        ("dell", ["desk-2"]),
        ("RTX 3060", ["srv-1"]),
        ("WD40EFRX", ["desk-2", "srv-1"]),
        ("samsung ssd 980", ["srv-1"]),
    ],
)
def test_search_matches_the_latest_hardware(api, hardware_fleet, search, expected):
    response = api.get("/api/devices", {"search": search, "ordering": "hostname"})
    assert hostnames(response) == expected


def test_search_goes_by_the_latest_snapshot_only(api, hardware_fleet, submit):
    # desk-2 got a new CPU: its old one no longer finds it
    new_cpu = {"cpu": {"model": "Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz"}}
    assert submit({"device_identifier": "desk-2", "hardware": new_cpu}).status_code == 201
    assert hostnames(api.get("/api/devices", {"search": "i7-6700"})) == ["desk-1"]
    assert hostnames(api.get("/api/devices", {"search": "i7-7700"})) == ["desk-2"]
    # and it no longer reports its disk: the old snapshot's WD40EFRX finds srv-1 only
    assert hostnames(api.get("/api/devices", {"search": "WD40EFRX"})) == ["srv-1"]


@pytest.mark.parametrize("size", [1, 50])
def test_hardware_search_query_count_is_flat(api, submit, django_assert_num_queries, size):
    for n in range(size):
        document = {"device_identifier": f"n{n}", "hardware": {"cpu": {"model": "Xeon E5"}}}
        submit(document)
    with django_assert_num_queries(3):  # count, page, tags
        response = api.get("/api/devices", {"search": "xeon", "page_size": 100})
    assert response.json()["count"] == size


def test_a_search_of_too_many_words_is_a_400_naming_it(api, admin_client):
    """200 words made an expression SQLite refuses ("Expression tree is too large"): a 500."""
    DeviceFactory(hostname="a-host")
    words = " ".join(["a"] * 200)

    response = api.get("/api/devices", {"search": words})

    assert response.status_code == 400
    assert response.json() == {"search": ["At most 20 words."]}
    assert api.get("/api/devices", {"search": " ".join(["a"] * 20)}).status_code == 200
    page = admin_client.get("/admin/inventory/device/", {"q": words})
    assert page.status_code == 200
    assert "At most 20 words. The first 20 searched." in page.content.decode()


@pytest.fixture
def tagged_fleet(hardware_fleet, submit):
    """hardware_fleet with tags (desk-1: office, backup; srv-1: gpu-box, backup), and desk-2
    on a later run with a new CPU and no system or disks: its older snapshot has the rest."""
    devices = {device.hostname: device for device in Device.objects.all()}
    backup = TagFactory(name="Backup")
    devices["desk-1"].tags.add(TagFactory(name="office"), backup)
    devices["srv-1"].tags.add(TagFactory(name="gpu-box"), backup)
    new_cpu = {"cpu": {"model": "Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz"}}
    assert submit({"device_identifier": "desk-2", "hardware": new_cpu}).status_code == 201


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("office", ["desk-1"]),  # a tag's name
        ("BACKUP", ["desk-1", "srv-1"]),
        ("i7-6700", ["desk-1"]),  # the latest snapshot's CPU, not desk-2's older one
        ("i7-7700", ["desk-2"]),
        ("optiplex", []),  # desk-2's system model is in its older snapshot only
        ("dell", []),
        ("ASUS", ["srv-1"]),  # system vendor
        ("rtx 3060", ["srv-1"]),  # GPU
        ("WD40EFRX", ["srv-1"]),  # a disk's model
        ("samsung 980", ["srv-1"]),  # each term, in the same field
        ("desk i7", ["desk-1", "desk-2"]),  # each term, in a field of the device
        ("office i7-6700", ["desk-1"]),  # one term in a tag, the other in the hardware
        ("backup ryzen", ["srv-1"]),
        ("backup srv", ["srv-1"]),
        # each term in any field or tag: DRF's search wanted both in one and the same tag
        ("office backup", ["desk-1"]),
        ("box gpu", ["srv-1"]),  # both in one tag's name
        ("gpu back", ["srv-1"]),
        ("office gpu", []),  # two devices' tags
        ("zzz", []),
    ],
)
def test_search_finds_each_term_in_any_field_or_tag(
    api, admin_client, tagged_fleet, django_assert_max_num_queries, search, expected
):
    # DRF's SearchFilter finds a subset: the devices whose terms are all in one of their tags
    # or their own fields (a device tagged "office" and "backup" is not found by both)
    request = Request(APIRequestFactory().get("/api/devices", {"search": search}))
    reference = SearchFilter().filter_queryset(request, Device.objects.all(), DeviceViewSet())
    assert set(reference.values_list("hostname", flat=True)) <= set(expected)

    with django_assert_max_num_queries(3):  # count, page, tags
        response = api.get("/api/devices", {"search": search, "ordering": "hostname"})

    assert hostnames(response) == expected
    assert response.json()["count"] == len(expected)
    # the admin's device search matches alike
    html = admin_client.get("/admin/inventory/device/", {"q": search}).content.decode()
    assert [name for name in ("desk-1", "desk-2", "srv-1") if f">{name}</a>" in html] == expected


@pytest.mark.parametrize(
    "search", ["CZC7247XYZ", "czc7247", "4c4c4544-0031", "0123456789abcdef", "nas.example.lan"]
)
def test_search_finds_a_machine_by_what_it_says_it_is(api, admin_client, search):
    """The serial on the machine's label, its DMI UUID, its machine-id and FQDN found it in the
    admin's device search, and nothing through the API's ?search=."""
    DeviceFactory(hostname="other", serial="XYZ000", fqdn="other.example.lan")
    DeviceFactory(
        hostname="nas",
        serial="CZC7247XYZ",
        system_uuid="4c4c4544-0031-3210-8052-b2c04f4c4a31",
        machine_id="0123456789abcdef0123456789abcdef",
        fqdn="nas.example.lan",
    )
    assert hostnames(api.get("/api/devices", {"search": search})) == ["nas"]
    html = admin_client.get("/admin/inventory/device/", {"q": search}).content.decode()
    assert ">nas</a>" in html and ">other</a>" not in html


@pytest.mark.parametrize(
    "search",
    [
        "3c:52:82:0a:1b:2c",
        "3C:52:82",
        "10.0.0.21",
        "S4EWNX0R123456",
        "970 EVO Plus",  # a disk's model: the machines with that disk
        # a MAC as Windows, a Cisco switch and a label write it: found none
        "3C-52-82-0A-1B-2C",
        "3c-52-82",
        "3c52.820a.1b2c",
        "3C52-820A-1B2C",  # as HPE and H3C switches write it (0.14.4)
        "3C52820A1B2C",
    ],
)
def test_search_finds_a_machine_by_its_parts_addresses_and_disk_serials(
    api, admin_client, submit, example, search
):
    """ "Which machine has MAC 3c:52:82:…, IP 10.0.0.21, the disk S4EWNX0R…?" found none."""
    submit(example)
    other = copy.deepcopy(example)
    other.update(device_identifier="other", submission_id=str(uuid.uuid4()))
    other["hardware"]["system"] = {}
    other["hardware"]["network"] = {"interfaces": [{"name": "eth0", "mac": "aa:bb:cc:00:11:22"}]}
    other["hardware"]["storage"] = {"devices": [{"name": "/dev/sda", "serial": "ZZ1"}]}
    submit(other)

    assert hostnames(api.get("/api/devices", {"search": search})) == ["elitedesk-800g3"]
    html = admin_client.get("/admin/inventory/device/", {"q": search}).content.decode()
    assert ">elitedesk-800g3</a>" in html and ">other</a>" not in html


NAMES_AT = {
    "at-1": "10.0.0.1",
    "at-10": "10.0.0.10/24",  # with its prefix length
    "at-100": "10.0.0.100",
    "at-110": "110.0.0.1",
    "at-v6": "2001:db8::1",
    "at-v6-10": "2001:db8::10",
}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("10.0.0.1", ["at-1"]),
        ("10.0.0.10", ["at-10"]),
        ("2001:DB8::1", ["at-v6"]),  # as typed: upper case, compressed
        ("10.0.0.", ["at-1", "at-10", "at-100", "at-110"]),  # part of one: a subnet's machines
    ],
)
def test_a_whole_ip_address_finds_the_machine_at_it_only(
    api, admin_client, submit, example, search, expected
):
    """A search for 10.0.0.1 found the machines at 10.0.0.10, 10.0.0.100 and 110.0.0.1 too."""
    for name, ip in NAMES_AT.items():
        document = copy.deepcopy(example)
        document.update(device_identifier=name, submission_id=str(uuid.uuid4()))
        document["hardware"]["system"] = {}
        document["hardware"]["storage"] = {"devices": []}
        document["hardware"]["network"] = {"interfaces": [{"name": "eth0", "ip": ip}]}
        submit(document)

    assert sorted(hostnames(api.get("/api/devices", {"search": search}))) == expected
    html = admin_client.get("/admin/inventory/device/", {"q": search}).content.decode()
    assert sorted(name for name in NAMES_AT if f">{name}</a>" in html) == expected


def test_options_on_a_device_describes_the_fields_a_put_edits(api):
    """DRF's OPTIONS described PUT with the list's serializer: every field read-only, though
    PATCH and PUT edit them."""
    device = DeviceFactory()
    response = api.options(f"/api/devices/{device.pk}")
    assert response.status_code == 200
    put = response.json()["actions"]["PUT"]
    editable = {"hostname", "fqdn", "description", "asset_tag", "location", "owner", "tags"}
    assert editable <= set(put)
    assert not any(put[name]["read_only"] for name in editable)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("/api/devices?ordering=hostname&ordering=-hostname", "ordering"),
        ("/api/devices?search=nas&search=desk", "search"),
        ("/api/devices?location=a&location=b", "location"),
        ("/api/devices?page=1&page=2", "page"),
        ("/api/devices?page_size=10&page_size=20", "page_size"),
        ("/api/export?format=json&format=csv", "format"),
        ("/api/export?what=devices&what=benchmarks", "what"),
        ("/api/attention?device=1&device=2", "device"),
        ("/api/attention?state=open&state=closed", "state"),
    ],
)
def test_a_parameter_given_twice_is_a_400_naming_it(api, query, name):
    """The last value was taken without a word (?ordering=hostname&ordering=-hostname sorted
    backwards), where `devices=` given twice is refused."""
    DeviceFactory()
    response = api.get(query)
    assert response.status_code == 400
    assert response.json() == {name: ["Give it once: it was given 2 times."]}


def test_a_few_letters_are_not_found_at_random_in_a_machine_id_or_a_uuid(api, submit, example):
    """ "b12" (a room) found the machines whose machine-id held "b12" anywhere, "amd" every
    machine whose kernel is "-amd64": an identifier of 32 hex digits is found from its start,
    by 8 characters at least, and a kernel by a term with a digit in it."""
    DeviceFactory(hostname="room", location="B12")
    DeviceFactory(hostname="hex", machine_id="b1550fd0c3a54e1e9f2bd5a0e977db12")
    DeviceFactory(hostname="uuid", system_uuid="4b1253fd-0031-3210-8052-b2c04f4c4a31")
    intel = copy.deepcopy(example)
    intel["device_identifier"] = "intel-box"
    intel["hardware"]["cpu"].update(vendor="GenuineIntel", model="Intel Core i7-6700")
    intel["hardware"]["os"]["kernel_version"] = "6.1.0-28-rt-amd64"
    assert submit(intel).status_code == 201
    node = copy.deepcopy(intel)  # a Proxmox node: "Debian" elsewhere, "pve" its kernel's
    node.update(device_identifier="node-a", submission_id=str(uuid.uuid4()))
    node["hardware"]["system"] = {"machine_id": "0" * 32}
    node["hardware"]["os"]["kernel_version"] = "6.8.12-4-pve"
    assert submit(node).status_code == 201

    assert hostnames(api.get("/api/devices", {"search": "b12"})) == ["room"]
    assert hostnames(api.get("/api/devices", {"search": "amd"})) == []
    # a kernel's flavour, a whole part of it, is found still
    assert hostnames(api.get("/api/devices", {"search": "pve"})) == ["node-a"]
    assert hostnames(api.get("/api/devices", {"search": "-PVE"})) == ["node-a"]
    assert hostnames(api.get("/api/devices", {"search": "rt"})) == ["intel-box"]
    assert hostnames(api.get("/api/devices", {"search": "B1550FD0"})) == ["hex"]
    assert hostnames(api.get("/api/devices", {"search": "4b1253fd-0031"})) == ["uuid"]
    assert hostnames(api.get("/api/devices", {"search": "0fd0c3a54e1e"})) == []  # its middle


def test_tags_are_still_given_as_often_as_wanted(api):
    DeviceFactory(hostname="nas").tags.add(TagFactory(name="a"), TagFactory(name="b"))
    assert hostnames(api.get("/api/devices?tag=a&tag=b")) == ["nas"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("bullseye", ["old"]),
        ("debian 12", ["new"]),
        ("5.10.0-28", ["old"]),
        ("6.1.0", ["new"]),
        ('"P07 Ver. 02.44"', ["old"]),
        ("82B4", ["new", "old"]),
        ("skylake", ["old"]),
        ("kaby lake", ["new"]),
        # a kernel by a term with a digit (test_a_few_letters_are_not_found_at_random…)
        ("amd64", ["new", "old"]),
    ],
)
def test_search_finds_the_machines_a_security_advisory_names(
    api, admin_client, submit, example, search, expected
):
    """ "Which machines still run Debian 11, kernel 5.10, BIOS P07 02.44?" The search matched
    models, serials and addresses, not the OS, the kernel, the BIOS, the board or the CPU's
    microarchitecture: every one of these found no machine."""
    for name, os_version, kernel, bios, uarch in (
        ("old", "11 (bullseye)", "5.10.0-28-amd64", "P07 Ver. 02.44", "Skylake"),
        ("new", "12 (bookworm)", "6.1.0-28-amd64", "P07 Ver. 02.48", "Kaby Lake"),
    ):
        document = copy.deepcopy(example)
        document.update(device_identifier=name, submission_id=str(uuid.uuid4()))
        hardware = document["hardware"]
        hardware["system"] = {"system_vendor": "HP"}
        hardware["network"] = hardware["storage"] = None
        hardware["os"].update(version=os_version, kernel_version=kernel)
        hardware["motherboard"]["bios_version"] = bios
        hardware["cpu"]["microarchitecture"] = uarch
        assert submit(document).status_code == 201

    response = api.get("/api/devices", {"search": search, "ordering": "hostname"})
    assert hostnames(response) == expected
    html = admin_client.get("/admin/inventory/device/", {"q": search}).content.decode()
    assert [name for name in ("new", "old") if f">{name}</a>" in html] == expected


def test_every_misspelt_key_of_an_edit_is_named_not_the_first_alone(api):
    """A script fixing the one key named met a second 400 for the next."""
    device = DeviceFactory()

    response = api.patch(
        f"/api/devices/{device.pk}", {"locaton": "Rack Q", "ownr": "Anna"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"locaton", "ownr"}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("'", ["obrien"]),  # a lone quote is the character: it matched every machine
        ("O'", ["obrien"]),
        ('"', ["quoted"]),
        ("'rack 4'", ["obrien"]),  # a quoted phrase, whole
        ("rack,4", ["obrien", "quoted"]),  # words between commas apart, admin and API alike
        ('obrien,"rack 4"', ["obrien"]),  # a quoted phrase beside a comma: it kept its quotes
        ('"rack 14",quoted', ["quoted"]),
        ('"rack 4"x', []),  # not a phrase: the words as typed
        ('O\'Brien,"rack 4"', ["obrien"]),  # its apostrophe paired with the phrase's quotes
        ("O'Brien \"rack 4\" O'Brien", ["obrien"]),  # three terms: was one, `Brien "rack 4" O`
        ('O\'Brien "rack 4"', ["obrien"]),
        ("''", ["obrien", "plain", "quoted"]),  # an empty phrase: no search
    ],
)
def test_a_search_for_a_quote_finds_the_machines_that_have_one(api, admin_client, search, expected):
    DeviceFactory(hostname="obrien", owner="O'Brien", location="Rack 4")
    DeviceFactory(hostname="quoted", description='The "old" NAS', location="Rack 14")
    DeviceFactory(hostname="plain")
    response = api.get("/api/devices", {"search": search, "ordering": "hostname"})
    assert hostnames(response) == expected
    html = admin_client.get("/admin/inventory/device/", {"q": search}).content.decode()
    assert [name for name in ("obrien", "plain", "quoted") if f">{name}</a>" in html] == expected

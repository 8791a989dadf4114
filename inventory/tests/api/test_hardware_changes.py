"""GET /api/hardware-changes: the fleet's hardware changes since a date, a paginated list read
in a fixed number of queries, for a token with the read scope or who may view the hardware."""

import datetime as dt

import pytest
from django.utils import timezone

from benchsite.tests.accounts import staff_client
from inventory.tests.factories import DeviceFactory, SnapshotFactory, upgraded_then_updated

pytestmark = pytest.mark.django_db

URL = "/api/hardware-changes"


def upgraded(hostname: str, *, days_ago: int) -> None:
    """A machine whose RAM went 32 → 64 GB `days_ago` days ago."""
    device, now = DeviceFactory(hostname=hostname), timezone.now()
    SnapshotFactory(device=device, captured_at=now - dt.timedelta(days=days_ago + 7))
    SnapshotFactory(
        device=device, captured_at=now - dt.timedelta(days=days_ago), ram_total_mb=65536
    )


def test_the_list_answers_each_change_since_30_days_by_default(api):
    upgraded("old", days_ago=40)
    upgraded("new", days_ago=3)

    body = api.get(URL).json()

    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    [entry] = body["results"]
    assert set(entry) == {
        "device",
        "hostname",
        "captured_at",
        "before_snapshot",
        "after_snapshot",
        "changes",
        "device_changes",
    }
    assert (entry["hostname"], entry["changes"], entry["device_changes"]) == (
        "new",
        ["RAM 32→64 GB"],
        1,
    )
    assert entry["captured_at"].endswith("Z")  # the API's times in UTC
    since = (timezone.localdate() - dt.timedelta(days=50)).isoformat()
    assert [e["hostname"] for e in api.get(URL, {"since": since}).json()["results"]] == [
        "new",
        "old",
    ]
    device = entry["device"]
    assert api.get(URL, {"since": since, "device": device}).json()["count"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "last week"}, "since"),
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-12-01T00:00"}, "since"),
        ({"since": "2026-1-1"}, "since"),  # README: YYYY-MM-DD
        ({"since": "\uff12\uff10\uff12\uff16-01-01"}, "since"),  # full-width digits
        ({"device": "x"}, "device"),
        ({"page": "0"}, "page"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, query, field):
    response = api.get(URL, query)
    assert response.status_code == 400
    assert field in response.json()


def test_since_is_midnight_in_the_servers_time_zone_as_on_the_admins_page(
    api, admin_client, settings
):
    """The API's requests run in UTC (their times are written so): its `since` started at
    midnight UTC, an hour after the admin's in Paris, and left out a change made at 00:30."""
    settings.TIME_ZONE = "Europe/Paris"
    device = DeviceFactory(hostname="paris")
    SnapshotFactory(device=device, captured_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    SnapshotFactory(
        device=device,
        captured_at=dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC),  # 00:30 on the 6th, Paris
        ram_total_mb=65536,
    )
    page = "/admin/inventory/device/hardware-changes/"
    for since, listed in (("2026-12-06", 1), ("2026-12-07", 0)):
        assert api.get(URL, {"since": since}).json()["count"] == listed, since
        html = admin_client.get(page, {"since": since}).content.decode()
        assert html.count('<tr data-hostname="paris"') == listed, since


@pytest.mark.parametrize(
    ("time_zone", "since", "listed"),
    [("Asia/Tokyo", "0001-01-01", 2), ("America/New_York", "9999-12-31", 0)],
)
def test_a_date_at_either_end_of_the_calendar_lists_all_or_none(
    api, settings, time_zone, since, listed
):
    """Midnight of year 1 east of UTC is no datetime in UTC: all of the past, not a 500."""
    settings.TIME_ZONE = time_zone
    upgraded("old", days_ago=400)
    upgraded("new", days_ago=3)
    response = api.get(URL, {"since": since})
    assert response.status_code == 200
    assert response.json()["count"] == listed


def test_the_list_needs_the_read_scope_or_who_may_view_the_hardware(anon, token_client):
    upgraded("new", days_ago=3)
    assert anon.get(URL).status_code == 401
    assert token_client("submit").get(URL).status_code == 403
    assert token_client("read").get(URL).json()["count"] == 1
    assert staff_client("inventory.view_device").get(URL).status_code == 403
    hardware = staff_client("inventory.view_device", "inventory.view_hardwaresnapshot")
    assert hardware.get(URL).json()["count"] == 1


def test_the_queries_are_as_many_for_30_machines_as_for_3(api, django_assert_max_num_queries):
    for n in range(3):
        upgraded(f"m{n}", days_ago=n + 1)
    with django_assert_max_num_queries(3):  # the machines moved, their changes, the words
        assert api.get(URL).json()["count"] == 3
    for n in range(3, 30):
        upgraded(f"m{n}", days_ago=n % 20 + 1)
    with django_assert_max_num_queries(3):
        body = api.get(URL, {"page_size": 100}).json()
    assert body["count"] == 30 and all(e["changes"] == ["RAM 32→64 GB"] for e in body["results"])


def test_parts_true_leaves_out_the_kernel_updates_that_hid_a_ram_upgrade(api):
    upgraded_then_updated("upgraded", (32768, 65536))
    every = api.get(URL).json()["results"]
    assert [entry["changes"] for entry in every] == [
        ["kernel 6.1.0-3-amd64→6.1.0-4-amd64"],
        ["kernel 6.1.0-2-amd64→6.1.0-3-amd64"],
        ["kernel 6.1.0-1-amd64→6.1.0-2-amd64"],
    ]
    [entry] = api.get(URL, {"parts": "true"}).json()["results"]
    assert (entry["changes"], entry["device_changes"]) == (["RAM 32→64 GB"], 1)

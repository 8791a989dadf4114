"""The machines with an old or worn disk: the device list's *disks* filter and ?disks=."""

import copy
import uuid

import pytest

from benchsite.tests.accounts import staff_client

pytestmark = pytest.mark.django_db

DISKS = {  # each machine's disks: (power-on hours, NVMe percent used)
    "new": [(1_000, 2)],
    "old": [(1_000, 3), (52_000, None)],  # its second disk, a HDD, has run six years
    "worn": [(9_000, 81)],
    "unread": [(None, None)],  # a VM's virtual disk: no SMART reading at all
}


@pytest.fixture
def fleet(submit, example):
    for name, disks in DISKS.items():
        document = copy.deepcopy(example)
        document.update(device_identifier=name, submission_id=str(uuid.uuid4()))
        document["hardware"]["system"] = {}
        document["hardware"]["network"] = None
        document["hardware"]["storage"] = {
            "devices": [
                {"name": f"/dev/sd{chr(97 + n)}", "serial": f"{name}-{n}"}
                | ({"power_on_hours": hours} if hours is not None else {})
                | ({"percent_used": used} if used is not None else {})
                for n, (hours, used) in enumerate(disks)
            ]
        }
        assert submit(document).status_code == 201
    # what its latest snapshot says: "new" had a worn-out disk in a run dated years back
    document = copy.deepcopy(example)
    document.update(device_identifier="new", submission_id=str(uuid.uuid4()))
    document["hardware"]["storage"] = {"devices": [{"name": "/dev/sda", "percent_used": 99}]}
    document["results"]["conditions"] = {"started_at": "2024-01-01T00:00:00Z"}  # the past
    assert submit(document).status_code == 201


def listed(html: str) -> list[str]:
    return [name for name in DISKS if f">{name}</a>" in html]


@pytest.mark.parametrize(("choice", "expected"), [("old", ["old"]), ("worn", ["worn"])])
def test_the_device_list_finds_the_machines_with_an_old_or_worn_disk(
    admin_client, api, fleet, choice, expected, django_assert_max_num_queries
):
    """ "Which disks have run 40,000 hours, which are wearing out?" was read machine by machine,
    on each one's page: neither the admin's list nor the API could list them."""
    page = admin_client.get("/admin/inventory/device/").content.decode()
    assert f'href="?disks={choice}"' in page
    with django_assert_max_num_queries(12):
        page = admin_client.get("/admin/inventory/device/", {"disks": choice})
    assert listed(page.content.decode()) == expected

    response = api.get("/api/devices", {"disks": choice.upper(), "ordering": "hostname"})
    assert [device["hostname"] for device in response.json()["results"]] == expected


def test_disks_is_checked_and_kept_from_who_may_not_read_the_hardware(api, fleet):
    response = api.get("/api/devices", {"disks": "tired"})
    assert response.status_code == 400
    assert response.json() == {"disks": ["Expected worn or old."]}

    devices_only = staff_client("inventory.view_device")
    assert devices_only.get("/api/devices", {"disks": "old"}).json()["count"] == 0
    page = devices_only.get("/admin/inventory/device/").content.decode()
    assert "?disks=old" not in page
    page = devices_only.get("/admin/inventory/device/", {"disks": "old"}).content.decode()
    assert ">old</a>" in page and ">new</a>" in page  # the filter is not there: every machine

"""The machines with an old or worn disk: the device list's *disks* filter and ?disks=."""

import copy
import html
import re
import uuid

import pytest

from benchsite.tests.accounts import staff_client
from inventory.models import Device

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


def life_panel(html: str) -> str:
    return (
        html.split('id="disk-life"', 1)[1].split("</div>", 1)[0] if 'id="disk-life"' in html else ""
    )


def test_the_dashboard_tells_how_many_machines_have_a_worn_or_old_disk_and_the_worst(
    admin_client, fleet, django_assert_max_num_queries
):
    """A workstation's NVMe wore past its rated life with nothing saying it but the device
    list's *disks* filter, which one must think of opening: the dashboard says it, each
    count a link to the machines, the worst named with their disk."""
    admin_client.get("/admin/")  # warm the session
    # the dashboard's 14 queries here ("new" has two snapshots: the hardware changes panel reads
    # its changes), then the panel's: both counts, the worn machines, the old ones
    with django_assert_max_num_queries(17):
        panel = life_panel(admin_client.get("/admin/").content.decode())

    worn = '<a href="/admin/inventory/device/?disks=worn&amp;retired=no" id="disk-life-worn">'
    assert f"{worn}1 machine in service with a worn disk</a>" in panel
    old = '<a href="/admin/inventory/device/?disks=old&amp;retired=no" id="disk-life-old">'
    assert f"{old}1 with an old disk</a>" in panel
    assert re.findall(r'data-hostname="(\w+)" data-disks="(\w+)"', panel) == [
        ("worn", "worn"),
        ("old", "old"),
    ]
    assert ">worn</a>: /dev/sda (worn-0) at 81 % of its rated life</li>" in panel
    assert ">old</a>: /dev/sdb (old-1) at 52,000 hours powered on, 5.9 years</li>" in panel
    assert "all " not in panel  # every one is named: no link to more


def test_the_disks_panel_keeps_its_queries_and_names_the_worst_few_of_many(
    admin_client, submit, example, django_assert_max_num_queries
):
    example["hardware"]["storage"]["devices"] = [
        {"name": "/dev/nvme0n1", "model": "Samsung SSD 970 EVO Plus 1TB", "percent_used": 80}
    ]
    for n, used in enumerate((85, 101, 80, 93, 120, 99, 79)):
        document = copy.deepcopy(example)
        document.update(device_identifier=f"ws-{n:02d}", submission_id=str(uuid.uuid4()))
        document["hardware"]["system"] = {"machine_id": f"{n + 1:032x}"}
        document["hardware"]["storage"]["devices"][0].update(percent_used=used, serial=f"S{n}")
        assert submit(document).status_code == 201
    admin_client.get("/admin/")  # warm the session
    # the dashboard's 13 queries, the counts and the worn machines: as many for 6 or 6,000
    with django_assert_max_num_queries(15):
        panel = life_panel(admin_client.get("/admin/").content.decode())

    assert ">6 machines in service with a worn disk</a>" in panel and "an old disk" not in panel
    assert re.findall(r'data-hostname="([\w-]+)"', panel) == ["ws-04", "ws-01", "ws-05"]
    assert ">ws-04</a>: Samsung SSD 970 EVO Plus 1TB at 120 % of its rated life</li>" in panel
    assert '<a href="/admin/inventory/device/?disks=worn&amp;retired=no">all 6 with' in panel


def test_no_disks_panel_for_a_sound_fleet_a_retired_machine_nor_who_may_not_read_hardware(
    admin_client, fleet, settings
):
    devices_only = staff_client("inventory.view_device")
    assert 'id="disk-life"' not in devices_only.get("/admin/").content.decode()
    hardware = staff_client("inventory.view_device", "inventory.view_hardwaresnapshot")
    assert "1 machine in service with a worn disk" in hardware.get("/admin/").content.decode()

    Device.objects.filter(hostname="worn").update(retired_on="2026-01-05")
    panel = life_panel(admin_client.get("/admin/").content.decode())
    assert "worn" not in panel and "1 machine in service with an old disk" in panel
    Device.objects.filter(hostname="old").update(retired_on="2026-01-05")
    assert 'id="disk-life"' not in admin_client.get("/admin/").content.decode()


@pytest.mark.parametrize(
    ("hostname", "said"),
    [
        ("worn", ["Worn</span> Used 81 % of its rated life: plan its replacement."]),
        (
            "old",
            [
                "Old</span> 52,000 hours powered on, 5.9 years, past most drives' warranty "
                "(3 to 5 years): plan its replacement."
            ],
        ),
        ("new", []),
    ],
)
def test_the_device_page_says_a_worn_or_old_disk_beside_its_smart_history(
    admin_client, fleet, hostname, said
):
    device = Device.objects.get(hostname=hostname)
    page = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    smart = page.split('id="smart-history"', 1)[1]
    told = re.findall(r'<p class="bt-lifecycle bt-smart-life" id="smart-\d+-life">(.*?)</p>', smart)
    badge = '<span class="bt-badge bt-warning">'
    assert [html.unescape(line.replace(badge, "")) for line in told] == said

"""A machine with many disks, its snapshot's page and two of its snapshots compared: the rows
that matter first (failing, changed), the first SHOWN of each table, how many more and a link
to them all; its JSON as received a download; the hardware changes of many disks one phrase."""

import copy
import functools
import json
import re

import pytest

from benchsite.hardware_tables import SHOWN
from inventory.history import snapshot_changes
from inventory.models import Device, HardwareSnapshot

from .accounts import staff_client
from .test_big_machine import big, more, stored, table
from .test_device_admin import snap

pytestmark = pytest.mark.django_db


@pytest.fixture
def machine(submit, example):
    """machine(disks) → the device of test_big_machine.stored."""
    return functools.partial(stored, submit, example)


SNAPSHOT = "/admin/inventory/hardwaresnapshot/{}/change/"
# the session, the account, the snapshot, its JSON's size, its device: whatever its disks
QUERIES_SNAPSHOT = 5
QUERIES_COMPARE = 8  # the session, the account, the device, where its hardware changed (its
# snapshots' keys), those snapshots, its newest, the two compared, their runs (the newest of each)


def newest(device: Device) -> HardwareSnapshot:
    return device.snapshots.order_by("-captured_at").first()


def test_a_40_disk_snapshots_page_shows_its_tables_bounded_and_its_json_as_a_download(
    admin_client, machine, django_assert_num_queries
):
    snapshot = newest(machine(40))
    admin_client.get(SNAPSHOT.format(snapshot.pk))
    with django_assert_num_queries(QUERIES_SNAPSHOT):  # as at 8 disks, or 4,096
        html = admin_client.get(SNAPSHOT.format(snapshot.pk)).content.decode()

    disks = table(html, "disks")
    # the failing disk, the hot one, the system disk, then the others as sent
    assert len(disks) == SHOWN
    assert "HG00026" in disks[0] and "FAILED" in disks[0]
    assert "HG00000" in disks[1] and "61 °C" in disks[1]
    assert "/dev/nvme0n1" in disks[2] and "HG00001" in disks[3]
    assert 'and 28 more disks: <a href="?all=disks#disks">all 40 disks</a>' in more(html, "disks")
    assert len(table(html, "partitions")) == SHOWN and "and 68 more partitions" in more(
        html, "partitions"
    )
    assert [re.search(r"<td>(\w+)</td>", row)[1] for row in table(html, "interfaces")] == [
        "eno1",
        "eno2",
    ]
    assert "38 virtual interfaces (tap, veth, fwbr, fwpr, vmbr) not listed" in html
    # its JSON is not written out: a disk past the first rows is nowhere on the page
    assert "HG00020" not in html and "smart_health" not in html
    raw = f'<a href="/admin/inventory/hardwaresnapshot/{snapshot.pk}/raw/" download>'
    assert f"{raw}download its JSON</a> (" in html

    whole = admin_client.get(SNAPSHOT.format(snapshot.pk), {"all": "disks"}).content.decode()
    assert len(table(whole, "disks")) == 40 and "HG00026" in table(whole, "disks")[0]
    assert "All 40 disks" in more(whole, "disks")


def test_a_snapshots_json_downloads_whole_to_an_account_that_may_view_it(admin_client, machine):
    snapshot = newest(machine(40))
    url = f"/admin/inventory/hardwaresnapshot/{snapshot.pk}/raw/"

    response = admin_client.get(url)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="snapshot-')
    assert json.loads(response.content) == snapshot.raw
    assert len(snapshot.raw["storage"]["devices"]) == 40
    assert staff_client("inventory.view_hardwaresnapshot").get(url).status_code == 200
    assert staff_client("inventory.view_device").get(url).status_code == 403
    assert admin_client.get("/admin/inventory/hardwaresnapshot/999999/raw/").status_code == 404


@pytest.fixture
def swapped(submit, example):
    """A 40-disk machine whose second run has disks 5 to 9 replaced (other serials) and disk
    26 failing: its device and its two snapshots, oldest first."""
    before = big(example, 40, failing=False, days_ago=7)
    after = big(example, 40, failing=True, days_ago=0)
    for disk in after["hardware"]["storage"]["devices"][5:10]:
        disk["serial"] = "NEW" + disk["serial"]
    for doc in (before, after):
        assert submit(doc).status_code == 201
    device = Device.objects.get(hostname="jbod-40")
    return device, *device.snapshots.order_by("captured_at")


def section(html: str, id_: str) -> str:
    return html.split(f'<tbody id="{id_}">', 1)[1].split("</tbody>", 1)[0]


def test_two_snapshots_of_40_disks_compared_show_the_changed_and_failing_disks_first(
    admin_client, swapped, django_assert_num_queries
):
    device, a, b = swapped
    url = f"/admin/inventory/device/{device.pk}/compare/"
    admin_client.get(url, {"a": a.pk, "b": b.pk})
    with django_assert_num_queries(QUERIES_COMPARE):  # as at 8 disks, or 4,096
        html = admin_client.get(url, {"a": a.pk, "b": b.pk}).content.decode()

    # the five disks replaced, one phrase, then their rows first, the others said in one line
    assert "5 disks replaced: 5 × HUH721212AL5200 (other serials)" in html
    disks = re.findall(r"<tr><th scope=\"row\">.*?</tr>", section(html, "compare-disks"), re.S)
    assert len(disks) == SHOWN
    assert all("bt-differs" in row for row in disks[:5])
    assert "NEWHG00005" in disks[0] and "bt-differs" not in disks[5]
    said = section(html, "compare-disks").split('class="bt-rows-more"', 1)[1]
    assert "… and 28 more disks, the same on both: " in said
    assert f'href="?a={a.pk}&amp;b={b.pk}&amp;all=disks#compare-disks">all 40 disks</a>' in said
    assert "… and 68 more partitions, the same on both" in html
    # each disk's readings: the failing one first, the first SHOWN, the rest a link away
    headings = re.findall(r'class="bt-subhead">Disk ([^<]+)</th>', html)
    assert len(headings) == SHOWN and headings[0] == "/dev/sd26 (HG00026)"
    assert "more disks&#x27; readings" in html and "all=readings" in html
    health = re.search(r'<p id="health-changes">(.*?)</p>', html, re.S)[1]
    assert health.split('">', 2)[1].startswith("/dev/sd26 (HG00026) SMART health PASSED→FAILED")

    whole = admin_client.get(url, {"a": a.pk, "b": b.pk, "all": "disks"}).content.decode()
    rows = re.findall(r"<tr><th scope=\"row\">", section(whole, "compare-disks"))
    # each of the 35 disks kept, the 5 replaced paired with what they replaced by name
    assert len(rows) == 40 and "All 40 disks, the changed ones first" in whole


def test_machines_compared_say_their_disks_by_model_and_count(admin_client, machine):
    big_one, small = machine(40), machine(8)
    url = f"/admin/inventory/device/compare/?devices={big_one.pk},{small.pk}"
    row = admin_client.get(url).content.decode().split('data-row="disks"', 1)[1]
    assert "40 × HUH721212AL5200" in row.split("</td>", 1)[0]


WD40 = {"model": "WD40EFRX", "capacity_gb": 4000}
ST8 = {"model": "ST8000VN004", "capacity_gb": 8000}


def disks(n: int, model: dict, serial: str, extra: tuple = ()) -> dict:
    """A snapshot's storage: `n` disks of `model`, serials `serial`0…, then `extra`."""
    devices = [model | {"serial": f"{serial}{i}", "name": f"/dev/sd{i}"} for i in range(n)]
    return {"storage": {"devices": devices + list(extra)}}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # every disk of a storage server replaced by a bigger model: one phrase, not 4,096
        (
            disks(40, WD40, "A"),
            disks(40, ST8, "B"),
            ["40 disks replaced: 40 × WD40EFRX 4000 GB → 40 × ST8000VN004 8000 GB"],
        ),
        # a warranty swap of many
        (
            disks(5, WD40, "A"),
            disks(5, WD40, "B"),
            ["5 disks replaced: 5 × WD40EFRX 4000 GB (other serials)"],
        ),
        # a shelf added, a shelf of three kinds removed
        (
            disks(1, WD40, "A"),
            disks(1, WD40, "A", extra=disks(30, ST8, "S")["storage"]["devices"]),
            ["30 disks added: 30 × ST8000VN004 8000 GB"],
        ),
        (
            disks(1, WD40, "A", extra=[{"model": m, "serial": m} for m in "XYZXYZX"]),
            disks(1, WD40, "A"),
            ["7 disks removed: 3 × X, 2 × Y, …"],
        ),
        # a router's many ports: those that came and went
        (
            {"network": {"interfaces": [{"name": f"enp{i}s0"} for i in range(20)]}},
            {"network": {"interfaces": [{"name": f"enp{i}s0"} for i in range(1, 21)]}},
            ["NICs 20→20 (+enp20s0, −enp0s0)"],
        ),
    ],
)
def test_many_disks_changed_at_once_are_one_phrase(old, new, expected):
    assert snapshot_changes(snap(**old), snap(**new)) == expected


def ports(macs: str, n: int) -> dict:
    interfaces = [{"name": f"eno{i}", "mac": f"{macs}:0{i}", "type": "ether"} for i in range(n)]
    return {"network": {"interfaces": interfaces}}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # three disks replaced: each named, with what it was (one phrase past three)
        (
            disks(3, WD40, "A"),
            disks(3, ST8, "B"),
            [f"disk replaced: /dev/sd{i} WD40EFRX 4000 GB → ST8000VN004 8000 GB" for i in range(3)],
        ),
        (
            disks(1, WD40, "A"),
            disks(1, WD40, "A", extra=disks(3, ST8, "S")["storage"]["devices"]),
            ["disk added: ST8000VN004 8000 GB"] * 3,
        ),
        # two kinds of disk: both named, nothing more to say
        (
            disks(
                1,
                WD40,
                "A",
                extra=[{"model": m, "serial": f"{m}{i}"} for i, m in enumerate("XYXYX")],
            ),
            disks(1, WD40, "A"),
            ["5 disks removed: 3 × X, 2 × Y"],
        ),
        # eight ports: each named
        (
            {"network": {"interfaces": [{"name": f"enp{i}s0"} for i in range(7)]}},
            {"network": {"interfaces": [{"name": f"enp{i}s0"} for i in range(8)]}},
            [
                "NICs enp0s0, enp1s0, enp2s0, enp3s0, enp4s0, enp5s0, enp6s0→"
                "enp0s0, enp1s0, enp2s0, enp3s0, enp4s0, enp5s0, enp6s0, enp7s0"
            ],
        ),
        # three ports replaced: each with its MACs
        (
            ports("3c:ec:ef:10:2a", 3),
            ports("a0:36:9f:5e:11", 3),
            [f"NIC replaced: eno{i} (3c:ec:ef:10:2a:0{i} → a0:36:9f:5e:11:0{i})" for i in range(3)],
        ),
    ],
)
def test_up_to_three_parts_changed_at_once_are_each_named(old, new, expected):
    assert snapshot_changes(snap(**old), snap(**new)) == expected


def test_disks_all_new_are_matched_in_one_pass_each():
    """4,096 disks with new serials were each compared with every disk before (16 million
    comparisons, twice): the serials, models and names are looked up, not searched."""
    old, new = disks(300, WD40, "A"), disks(300, WD40, "B")
    new["storage"]["devices"] = (
        copy.deepcopy(old["storage"]["devices"][:150]) + new["storage"]["devices"][150:]
    )
    compared = []

    class Counted(str):
        __slots__ = ()

        def __eq__(self, other):
            compared.append(1)
            return str.__eq__(self, other)

        __hash__ = str.__hash__

    for disk in old["storage"]["devices"]:
        disk["serial"] = Counted(disk["serial"])
    assert snapshot_changes(snap(**old), snap(**new)) == [
        "150 disks replaced: 150 × WD40EFRX 4000 GB (other serials)"
    ]
    assert len(compared) < 3 * 300

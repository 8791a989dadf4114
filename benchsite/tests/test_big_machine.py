"""A machine with hundreds of disks, partitions and virtual interfaces: its device page shows
the disks that matter first and the first rows of each table, the rest a click away."""

import copy
import functools
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchsite.hardware_tables import SHOWN, hardware_tables
from inventory.models import Device

pytestmark = pytest.mark.django_db

VIRTUAL = ("tap{n}i0", "veth{n}i1", "fwbr{n}i0", "fwpr{n}p0", "vmbr{n}")


def big(example: dict, disks: int, *, failing: bool, days_ago: int) -> dict:
    """The example machine with `disks` disks (two partitions each; disk 0 runs hot, the one
    two thirds down fails when `failing`, the last holds /) and as many interfaces, two of
    them ports, the rest a Proxmox node's tap, veth, fwbr, fwpr and vmbr."""
    doc = copy.deepcopy(example)
    doc["device_identifier"] = f"jbod-{disks}"
    doc["submission_id"] = str(uuid.uuid4())
    doc["hardware"]["system"].update(machine_id=f"{disks:032x}", system_serial=f"JB{disks}")
    devices, partitions = [], []
    for i in range(disks):
        devices.append(
            {
                "name": f"/dev/sd{i}",
                "model": "HUH721212AL5200",
                "serial": f"HG{i:05d}",
                "smart_health": "PASSED",
                "temperature_c": 61 if i == 0 else 33,
                "reallocated_sectors": 0,
            }
        )
        partitions += [
            {"name": f"/dev/sd{i}{p}", "mount_point": f"/srv/{i}/{p}", "fs_type": "zfs_member"}
            for p in (1, 2)
        ]
    dying = devices[disks * 2 // 3]
    if failing:
        dying.update(smart_health="FAILED", reallocated_sectors=24)
    devices[-1]["name"] = "/dev/nvme0n1"
    partitions[-2].update(name="/dev/nvme0n1p1", mount_point="/", fs_type="ext4")
    nics = [{"name": f"eno{n}", "type": "ethernet", "mac": f"3c:52:82:0a:1b:0{n}"} for n in (1, 2)]
    nics += [
        {"name": VIRTUAL[n % 5].format(n=100 + n // 5), "type": "virtual"} for n in range(disks - 2)
    ]
    doc["hardware"]["storage"] = {"devices": devices, "partitions": partitions}
    doc["hardware"]["network"] = {"interfaces": nics}
    at = datetime.now(UTC) - timedelta(days=days_ago)
    doc["results"]["conditions"] = {"started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return doc


def stored(submit, example: dict, disks: int) -> Device:
    """The device of `disks` disks, run twice: its disks sound, then one of them failing."""
    for days_ago, failing in ((7, False), (0, True)):
        response = submit(big(example, disks, failing=failing, days_ago=days_ago))
        assert response.status_code == 201, response.content
    return Device.objects.get(hostname=f"jbod-{disks}")


@pytest.fixture
def machine(submit, example):
    """machine(disks) → the device of `stored`."""
    return functools.partial(stored, submit, example)


def table(html: str, id_: str) -> list[str]:
    body = html.split(f'id="{id_}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body.split("<tbody>", 1)[1], re.S)


def more(html: str, id_: str) -> str:
    return re.sub(r"\s+", " ", html.split(f'id="{id_}-more"', 1)[1].split("</p>", 1)[0])


def test_a_500_disk_machine_shows_the_failing_disk_first_and_the_first_rows(admin_client, machine):
    device = machine(500)
    html = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()

    disks = table(html, "disks")
    # the failing disk, the hot one, the system disk, then the others as sent
    assert len(disks) == SHOWN
    assert "HG00333" in disks[0] and "FAILED" in disks[0] and "SMART failing" in disks[0]
    assert "HG00000" in disks[1] and "61 °C" in disks[1]
    assert "/dev/nvme0n1" in disks[2]
    assert "HG00001" in disks[3]
    assert 'and 488 more disks: <a href="?all=disks#disks">all 500 disks</a>' in more(html, "disks")
    partitions = table(html, "partitions")
    assert len(partitions) == SHOWN and "/dev/nvme0n1p1" in partitions[0]
    assert 'and 988 more partitions: <a href="?all=partitions#partitions">' in more(
        html, "partitions"
    )
    # its two ports listed, its 498 virtual interfaces said in one line
    nics = table(html, "interfaces")
    assert [re.search(r"<td>(\w+)</td>", row)[1] for row in nics] == ["eno1", "eno2"]
    virtual = html.split('id="interfaces-virtual"', 1)[1].split("</p>", 1)[0]
    assert "498 virtual interfaces (tap, veth, fwbr, fwpr, vmbr) not listed" in virtual
    assert 'href="?all=interfaces#interfaces"' in virtual
    # the SMART history: the failing disk first, the first SHOWN disks, the rest a link away
    smart = html.split('id="smart-history"', 1)[1]
    captions = re.findall(r'class="bt-table bt-smart"[^>]*>\s*<caption>(.*?)</caption>', smart)
    assert len(captions) == SHOWN and "HG00333" in captions[0] and "HG00000" in captions[1]
    assert "… and 488 more disks read by SMART" in more(html, "smart")
    assert 'href="?all=smart#smart-history"' in more(html, "smart")


def test_a_failing_disk_replaced_since_is_not_said_sound_among_those_left_out(
    admin_client, submit, example
):
    """Removed disks come after the machine's own in the SMART history: one that failed before
    it was replaced is among those left out, which are then not said to be sound."""
    before = big(example, 20, failing=False, days_ago=7)
    before["hardware"]["storage"]["devices"].append(
        {"name": "/dev/sdz", "model": "HUH721212AL5200", "serial": "HGGONE"}
        | {"smart_health": "FAILED", "temperature_c": 33, "reallocated_sectors": 900}
    )
    for doc in (before, big(example, 20, failing=False, days_ago=0)):
        assert submit(doc).status_code == 201
    device = Device.objects.get(hostname="jbod-20")

    html = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()

    said = more(html, "smart")
    assert "… and 9 more disks read by SMART" in said
    assert "none of them failing" not in said


def test_each_table_of_a_500_disk_machine_is_a_click_away_whole(admin_client, machine):
    device = machine(500)
    url = f"/admin/inventory/device/{device.pk}/change/"

    html = admin_client.get(f"{url}?all=disks").content.decode()
    disks = table(html, "disks")
    assert len(disks) == 500 and "HG00333" in disks[0] and "HG00499" in html
    assert "All 500 disks" in more(html, "disks") and 'href="?#disks"' in more(html, "disks")
    assert len(table(html, "partitions")) == SHOWN  # the others stay short

    html = admin_client.get(f"{url}?all=interfaces").content.decode()
    assert len(table(html, "interfaces")) == 500 and 'id="interfaces-virtual"' not in html
    html = admin_client.get(f"{url}?all=partitions").content.decode()
    assert len(table(html, "partitions")) == 1000

    html = admin_client.get(f"{url}?all=smart").content.decode()
    smart = html.split('id="smart-history"', 1)[1]
    assert smart.count('class="bt-table bt-smart"') == 500
    # charts for the first disks and, past them, for none of the sound ones; a disk sound
    # throughout (the first ones but the dying and the hot one) is said in a line instead
    drawn = len(re.findall(r'id="smart-\d+-temperature"', smart))
    assert drawn + len(re.findall(r'id="smart-\d+-sound"', smart)) == SHOWN and drawn >= 2


def test_the_links_to_a_table_whole_and_back_keep_the_device_lists_filters(admin_client, machine):
    """A device opened from a filtered list (?_changelist_filters=…, which Save and the
    breadcrumb's link to the list go back to) lost it by "all 20 disks": the list came back
    unfiltered. A popup's ?_popup=1 is kept too; what else the address held is not."""
    device = machine(20)
    url = f"/admin/inventory/device/{device.pk}/change/"
    filters = urlencode({"_changelist_filters": "location=lab a&q=jbod"})
    kept = "_changelist_filters=location%3Dlab+a%26q%3Djbod"
    assert filters == kept

    html = admin_client.get(f"{url}?{filters}&utm=x").content.decode()

    assert f'<a href="?all=disks&amp;{kept}#disks">all 20 disks</a>' in more(html, "disks")
    assert f'<a href="?all=partitions&amp;{kept}#partitions">' in more(html, "partitions")
    assert f'<a href="?all=smart&amp;{kept}#smart-history">' in more(html, "smart")
    virtual = html.split('id="interfaces-virtual"', 1)[1].split("</p>", 1)[0]
    assert f'<a href="?all=interfaces&amp;{kept}#interfaces">' in virtual

    html = admin_client.get(f"{url}?all=disks&{kept}").content.decode()  # the link followed
    assert len(table(html, "disks")) == 20
    assert f'<a href="?{kept}#disks">the first {SHOWN} only</a>' in more(html, "disks")
    # the page read them (its history and delete links keep them, as its Save does: the form
    # posts to this address)
    assert f'href="/admin/inventory/device/{device.pk}/history/?{kept}"' in html
    html = admin_client.get(f"{url}?all=smart&{kept}").content.decode()
    assert f'<a href="?{kept}#smart-history">' in more(html, "smart")

    html = admin_client.get(f"{url}?_popup=1").content.decode()
    assert '<a href="?all=disks&amp;_popup=1#disks">' in more(html, "disks")


def test_a_500_disk_machines_page_costs_the_queries_and_rows_of_an_8_disk_ones(
    admin_client, machine, warm_content_types
):
    pages = {}
    for disks in (8, 500):
        device = machine(disks)
        with CaptureQueriesContext(connection) as queries:
            html = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content
        pages[disks] = (len(queries), len(table(html.decode(), "disks")))

    assert pages[500][0] == pages[8][0]
    assert pages[8][1] == 8 and pages[500][1] == SHOWN


def test_a_bridges_address_is_said_beside_the_ports_and_the_system_disk_is_the_one_holding_root():
    nics = [
        {"name": "eno1", "type": "ethernet", "driver": "igb"},
        {"name": "vmbr0", "type": "bridge", "ip": "10.0.0.5"},
        {"name": "vmbr1", "type": "bridge"},
        {"name": "tap101i0", "type": "ethernet"},
        # a bond of two ports holding the machine's address, as its driver says
        {"name": "bond0", "type": "ethernet", "driver": "bonding", "ip": "10.0.1.5"},
    ]
    disks = [{"name": "/dev/sd1"}, {"name": "/dev/sd11"}, {"name": "/dev/sd2"}]
    partitions = [{"name": "/dev/sd2p1", "mount_point": "/srv"}]
    partitions.append({"name": "/dev/sd111", "mount_point": "/"})

    tables = hardware_tables(disks, partitions, nics, hot_c=60, whole="")

    # the table lists the ports as the hardware changes read them, the bridges and the bond
    # in one line with the addresses they hold
    assert [nic["name"] for nic in tables["interfaces"]["rows"]] == ["eno1"]
    assert tables["interfaces"]["virtual"] == "4 virtual interfaces (vmbr, tap, bond)"
    assert tables["interfaces"]["addresses"] == "vmbr0 10.0.0.5, bond0 10.0.1.5"
    assert [disk["name"] for disk in tables["disks"]["rows"]] == [
        "/dev/sd11",
        "/dev/sd1",
        "/dev/sd2",
    ]
    assert tables["partitions"]["rows"][0]["mount_point"] == "/"

"""The device page's SMART history reads the newest snapshots' readings one by one and has the
database sum up the ones before (insights.smart_selectors): what it tells of a disk is what
the whole history tells, on SQLite and on PostgreSQL (perf/long_history.py --weekly measures it)."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchsite import smart_history
from insights.insight import disk_histories
from insights.selectors import device_snapshots
from insights.smart_selectors import NUMBERS, older_readings
from inventory.models import HardwareSnapshot
from inventory.tests.factories import DeviceFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

WINDOW = 6  # the page's SMART_READ in these tests


def _readings(week: int) -> list[dict]:
    """A machine's disks at week `week` of 20: an old disk FAILED at week 3 and replaced at
    week 5 by one named otherwise from week 10, a data disk without a serial whose counters
    rose from week 8, and a disk never read by SMART."""
    disks = [{"name": "/dev/vda", "model": "QEMU"}]
    if week < 5:
        old = {"name": "/dev/sda", "serial": "OLD-1", "model": "WD10", "temperature_c": 40 + week}
        old.update(smart_health="FAILED" if week >= 3 else "PASSED", reallocated_sectors=week * 7)
        disks.append(old)
    else:
        disks.append(
            {"name": "/dev/sda" if week < 10 else "/dev/sdd", "serial": "NEW-1", "model": "WD20"}
            | {"smart_health": "PASSED"}
            | {"temperature_c": 35.5, "power_on_hours": 24 * week}
        )
    data = {"name": "/dev/sdb", "model": "ST4000"}
    data.update(smart_health="PASSED", temperature_c=30 + week % 3, power_on_hours=168 * week)
    if week >= 8:
        data.update(reallocated_sectors=2 * (week - 8), pending_sectors=1)
    return [*disks, data]


def _weekly(readings, weeks: int = 20):
    """A machine of `weeks` weekly snapshots, the oldest `weeks` weeks ago, the k-th with the
    disks `readings(k)`."""
    device = DeviceFactory()
    start = timezone.now() - timedelta(weeks=weeks)
    HardwareSnapshot.objects.bulk_create(
        SnapshotFactory.build(
            device=device, captured_at=start + timedelta(weeks=week), disk_readings=readings(week)
        )
        for week in range(weeks)
    )
    return device


@pytest.fixture
def machine():
    return _weekly(_readings)


def _summed_in_python(device, skipped: int) -> dict:
    """What older_readings answers, from every snapshot's readings read one by one."""
    snapshots = device_snapshots(device.pk, limit=None)[skipped:]
    answer = {}
    for disk in disk_histories(snapshots):
        history = disk["history"]
        key = disk["serial"] or disk["name"]
        answer[key] = {
            "count": len(history),
            "first": history[0]["captured_at"],
            "last": history[-1]["captured_at"],
            "name": disk["name"],
            "model": disk["model"],
            "serial": disk["serial"],
            "healths": list(dict.fromkeys(r["smart_health"] for r in history if r["smart_health"])),
            "low": {
                n: min((r[n] for r in history if r[n] is not None), default=None) for n in NUMBERS
            },
            "high": {
                n: max((r[n] for r in history if r[n] is not None), default=None) for n in NUMBERS
            },
        }
    return answer


@pytest.mark.parametrize("skipped", [0, 6, 12, 19, 20])
def test_the_database_sums_up_each_disks_readings_as_python_reads_them(machine, skipped):
    assert older_readings(machine.pk, skipped=skipped) == _summed_in_python(machine, skipped)


def test_readings_that_are_no_list_of_disks_are_none(machine):
    """`disk_readings` is written by the server, a list of objects; a row restored from
    elsewhere that holds anything else is read as no disk, as disks_of reads it."""
    odd = [{"serial": "X"}, ["not a disk"], "text", 7, None]
    HardwareSnapshot.objects.bulk_create(
        SnapshotFactory.build(
            device=machine, captured_at=timezone.now() - timedelta(weeks=30), disk_readings=value
        )
        for value in ({"serial": "X"}, odd, "text", 7)
    )
    summed = older_readings(machine.pk, skipped=10)
    assert summed["X"]["count"] == 1  # the one object of a list
    assert summed == _summed_in_python(machine, 10)


def test_a_disk_that_failed_before_the_newest_snapshots_is_still_told(
    admin_client, machine, monkeypatch
):
    """Read over the newest 6 of 20 snapshots, the page still lists the disk that FAILED and
    was replaced at week 5, ranked as it was, with its readings summed up in one row; the data
    disk's row before the newest sums up its readings since its first, as the whole page does."""
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    html = admin_client.get(f"/admin/inventory/device/{machine.pk}/change/").content.decode()
    whole = admin_client.get(f"/admin/inventory/device/{machine.pk}/change/?all=smart")
    whole = whole.content.decode()

    def tables(page: str) -> list[str]:
        section = page.split('id="smart-history"', 1)[1].split('id="smart-spans"', 1)[0]
        found = re.findall(r'<table class="bt-table bt-smart".*?</table>', section, re.S)
        return [" ".join(unescape(re.sub(r"<[^>]+>", " ", t)).split()) for t in found]

    bounded, every = tables(html), tables(whole)
    assert len(bounded) == len(every) == 3  # the virtual disk named, not tabled
    old = bounded[2]  # in the machine first, then the ones gone
    assert "OLD-1" in old and "no longer in the machine" in old
    assert "· 5 readings PASSED, FAILED 40–44 °C – 0–28" in old
    assert "FAILED" in every[2] and "0–28" not in every[2]  # whole: a row per change
    data = bounded[0]
    assert data.startswith("/dev/sdb ST4000")
    first = timezone.localtime(HardwareSnapshot.objects.earliest("captured_at").captured_at)
    assert f"{first:%Y-%m-%d %H:%M} →" in data.split("Wear", 1)[1]
    said = unescape(html.split('id="smart-spans"', 1)[1].split("</p>", 1)[0])
    assert "read the newest 6 snapshots of 20 one by one" in said
    assert "?all=smart#smart-history" in said
    assert "read the newest" not in unescape(whole.split('id="smart-spans"', 1)[1])[:2000]
    # a steady disk's one row stays one row across the newest snapshots' edge
    new = bounded[1]
    assert (
        new.startswith("/dev/sdd WD20 NEW-1")
        and new.count("readings") == 1
        and "15 readings" in new
    )


def test_the_page_past_the_newest_snapshots_costs_one_query_more_at_any_age(
    admin_client, monkeypatch
):
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    counts = []
    for weeks in (WINDOW, WINDOW + 1, 3 * WINDOW):
        device = _weekly(_readings, weeks)
        path = f"/admin/inventory/device/{device.pk}/change/"
        admin_client.get(path)
        with CaptureQueriesContext(connection) as context:
            admin_client.get(path)
        counts.append(len(context.captured_queries))
    assert counts[1] == counts[2] == counts[0] + 1


def test_disks_read_only_before_the_newest_snapshots_still_head_a_smart_history(
    admin_client, monkeypatch
):
    """Its newest snapshots list no disk (bench.sh run without its storage section): the disks
    read before them are still told, those of its last snapshot with disks as in the machine."""
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    device = _weekly(lambda week: _readings(week) if week < 10 else [])
    html = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    smart = unescape(html.split('id="smart-history"', 1)[1].split('id="smart-spans"', 1)[0])
    assert smart.count('class="bt-table bt-smart"') == 3
    assert smart.count("replaced by WD20 NEW-1 in /dev/sda") == 1  # OLD-1, replaced at week 5
    assert "No SMART readings from /dev/vda" in html


def test_a_disk_read_only_before_the_newest_snapshots_keeps_an_anchor_of_its_own(
    admin_client, machine, monkeypatch
):
    """OLD-1, read only before the newest 6 snapshots, gets a table (and charts) of its own
    id: a link to #smart-N, or a chart, never lands on another disk's."""
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    html = admin_client.get(f"/admin/inventory/device/{machine.pk}/change/").content.decode()
    tables = re.findall(
        r'<table class="bt-table bt-smart" id="smart-(\d+)"[^>]*>\s*<caption>([^<]*)', html
    )
    assert len(tables) == 3
    assert len({position for position, _ in tables}) == 3, tables
    assert any("OLD-1" in caption or "/dev/sda" in caption for _, caption in tables)


def test_a_machine_of_many_disks_shows_the_first_twelve_and_counts_the_others(admin_client):
    """13 disks read by SMART: 12 tables (SHOWN), and the 13th said, not dropped unsaid."""
    device = DeviceFactory()
    disks = [
        {"name": f"/dev/sd{chr(97 + n)}", "serial": f"S-{n}", "model": "WD40"}
        | {"smart_health": "PASSED", "temperature_c": 35, "reallocated_sectors": 0}
        for n in range(13)
    ]
    SnapshotFactory(device=device, captured_at=timezone.now(), disk_readings=disks)
    html = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    assert html.count('class="bt-table bt-smart"') == 12
    more = unescape(html.split('id="smart-more">', 1)[1].split("</p>", 1)[0])
    assert more.startswith("… and 1 more disk read by SMART, none of them failing")
    assert "the SMART history of all 13" in more


def test_a_disk_is_said_sound_throughout_of_its_whole_history_not_its_newest_snapshots(
    admin_client, monkeypatch
):
    """Read over the newest 6 of 20 snapshots, "Sound throughout" counts every reading and
    names every counter read, a disk 15 °C cooler before them is no narrow band, and a disk
    that gave only its health before them was read: the page says what the whole one does."""
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    disk = {"model": "WD20", "smart_health": "PASSED", "reallocated_sectors": 0}
    device = _weekly(
        lambda week: [
            # its pending sectors read by the smartctl of its first 10 weeks alone
            {**disk, "name": "/dev/sda", "serial": "STEADY", "temperature_c": 35}
            | ({"pending_sectors": 0} if week < 10 else {}),
            {**disk, "name": "/dev/sdb", "serial": "WARMER"}
            | {"temperature_c": 30 if week < 14 else 45},
            # its health alone read, in its first 5 weeks: read by SMART all the same
            *([{"name": "/dev/sdc", "serial": "HEALTH", "smart_health": "PASSED"}] * (week < 5)),
        ]
    )
    path = f"/admin/inventory/device/{device.pk}/change/"
    for page in (path, f"{path}?all=smart"):
        html = unescape(admin_client.get(page).content.decode())
        said = re.findall(r'id="smart-\d+-sound">(.*?)\.', html)
        assert said == [
            "Sound throughout: PASSED in all 20 readings, 35 °C, no reallocated or pending sector"
        ]
        assert "No SMART readings" not in html


def test_the_row_before_the_newest_rows_sums_up_the_readings_before_the_window_too(
    admin_client, monkeypatch
):
    """Its counter at 0 for 15 weeks, then up by one a week: over the newest 6 of 20 snapshots
    with 2 rows shown, the row under them sums up the 18 readings before them, as the whole
    page's does, never the 14 before the window alone, nor none."""
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    monkeypatch.setattr(smart_history, "SPANS_SHOWN", 2)
    device = _weekly(
        lambda week: [
            {"name": "/dev/sda", "serial": "S1", "smart_health": "PASSED"}
            | {"temperature_c": 35, "reallocated_sectors": max(0, week - 14)}
        ]
    )
    path = f"/admin/inventory/device/{device.pk}/change/"
    for page in (path, f"{path}?all=smart"):
        html = admin_client.get(page).content.decode()
        table = html.split('id="smart-1"', 1)[1].split("</table>", 1)[0]
        rows = re.findall(r"<tr[^>]*><td>(.*?)</tr>", table, re.S)
        cells = [
            [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in r.split("<td>")] for r in rows
        ]
        assert len(rows) == 3
        assert "18 readings" in cells[-1][0] and cells[-1][4] == "0–3", cells[-1]

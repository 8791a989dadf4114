"""What a disk's SMART history table and charts say of its readings on the device page: a row
of one reading is that reading's time alone, a row that carries on from the readings before the
newest snapshots starts at the disk's first reading with their whole temperature range, a
counter that moved before them keeps a row of its own, and a chart point keeps the peak of the
readings it stands for."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from benchsite import smart_history
from benchsite.records_admin import local_time
from benchsite.tests.chart_titles import page_titles
from inventory.models import HardwareSnapshot
from inventory.tests.factories import DeviceFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

WEEKS = 20
WINDOW = 6  # the page's SMART_READ in these tests: the newest 6 snapshots of 20 read one by one


def _device(readings) -> tuple:
    """A machine read weekly for WEEKS weeks, its disks at week w `readings(w)`; it and the
    times of its snapshots, oldest first."""
    device = DeviceFactory()
    start = timezone.now() - timedelta(weeks=WEEKS)
    times = [start + timedelta(weeks=week) for week in range(WEEKS)]
    HardwareSnapshot.objects.bulk_create(
        SnapshotFactory.build(device=device, captured_at=at, disk_readings=readings(week))
        for week, at in enumerate(times)
    )
    return device, times


def _rows(html: str, serial: str) -> list[list[str]]:
    """The rows of the SMART history table of the disk of `serial`, newest first, as cells."""
    table = next(
        t
        for t in re.findall(r'<table class="bt-table bt-smart".*?</table>', html, re.S)
        if f"<code>{serial}</code>" in t.split("</caption>", 1)[0]
    )
    rows = re.findall(r"<tr[^>]*><td>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    return [
        [" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in r.split("<td>")]
        for r in rows
    ]


def _pages(admin_client, device) -> list[str]:
    """The device page over the newest WINDOW snapshots, and with every reading (?all=smart)."""
    path = f"/admin/inventory/device/{device.pk}/change/"
    return [admin_client.get(page).content.decode() for page in (path, f"{path}?all=smart")]


def _disk(serial: str, **reading) -> dict:
    return {"name": "/dev/sda", "serial": serial, "model": "WD40", "smart_health": "PASSED"} | (
        reading
    )


def test_a_steady_disks_one_row_starts_at_its_first_reading_with_all_its_temperatures(
    admin_client, monkeypatch
):
    """Sound and steady for 20 weeks, 35 °C before the newest 6 snapshots and 30–40 °C in them:
    its one row runs from its first reading to its last over 30–40 °C, as the whole page's."""
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    device, times = _device(
        lambda week: [
            _disk("S1", reallocated_sectors=0)
            | {"temperature_c": 35 if week < WEEKS - WINDOW else 30 + 2 * (week - 14)}
        ]
    )
    bounded, whole = (_rows(html, "S1") for html in _pages(admin_client, device))
    assert bounded == whole
    assert len(bounded) == 1
    read, _, temperature, *_ = bounded[0]
    assert read == f"{local_time(times[0])} → {local_time(times[-1])} · 20 readings"
    assert temperature == "30–40 °C"


def test_a_counter_that_moved_before_the_newest_snapshots_keeps_a_row_of_its_own(
    admin_client, monkeypatch
):
    """Its reallocated sectors 0 to 5 over its first 6 weeks, then 5 to the end: the newest
    6 snapshots' row says 5, the one before them sums up the 14 readings over which it rose
    (never one row of 20 readings that says 0–5, as if the disk had not changed)."""
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    device, times = _device(
        lambda week: [_disk("S1", temperature_c=35, reallocated_sectors=min(week, 5))]
    )
    rows = _rows(_pages(admin_client, device)[0], "S1")
    assert len(rows) == 2, rows
    assert rows[0][0] == f"{local_time(times[14])} → {local_time(times[-1])} · 6 readings"
    assert rows[0][4] == "5"
    assert rows[1][0] == f"{local_time(times[0])} → {local_time(times[13])} · 14 readings before"
    assert rows[1][4] == "0–5"


def test_a_row_of_one_reading_is_that_readings_time_alone(admin_client, monkeypatch):
    """A disk read once, at the first snapshot, and one whose counter rose at the last: the row
    of each one reading says when it was read, not "X → X · 1 readings"."""
    monkeypatch.setattr(smart_history, "SMART_READ", WINDOW)
    device, times = _device(
        lambda week: [
            *([_disk("ONCE", temperature_c=40, name="/dev/sdb")] * (week == 0)),
            _disk("LAST", temperature_c=35, reallocated_sectors=int(week == WEEKS - 1)),
        ]
    )
    for html in _pages(admin_client, device):
        once, last = _rows(html, "ONCE"), _rows(html, "LAST")
        assert [row[0] for row in once] == [local_time(times[0])]
        assert last[0][0] == local_time(times[-1]) and last[0][4] == "1"


def test_a_chart_point_keeps_the_peak_of_the_readings_it_stands_for(admin_client, monkeypatch):
    """20 readings drawn as 4 points of 5: the week at 55 °C is its point's value, never the
    35 °C of the readings around it."""
    monkeypatch.setattr(smart_history, "CHART_POINTS", 4)
    device, times = _device(
        lambda week: [_disk("S1", temperature_c=55 if week == 7 else 35, reallocated_sectors=0)]
    )
    for html in _pages(admin_client, device):
        titles = page_titles(html, "smart-1-temperature")
        assert [title.split(" — ", 1)[0] for title in titles] == [
            "temp. °C 35",
            "temp. °C 55",
            "temp. °C 35",
            "temp. °C 35",
        ]
        assert titles[1].endswith(
            f"{local_time(times[5])} → {local_time(times[9])} (the highest of 5 readings)"
        )


def test_the_row_before_the_newest_rows_of_one_reading_says_when_it_was_read(
    admin_client, monkeypatch
):
    """A counter up by one at every reading, its newest 19 rows shown: the row under them is
    its first reading alone, "2026-07-20 22:32 · 1 reading before", never "– → 2026-07-20 22:32
    · 1 readings before" (the readings before the newest snapshots, `before`) nor "… 1 readings
    in 1 rows before" (every reading, ?all=smart)."""
    monkeypatch.setattr(smart_history, "SMART_READ", WEEKS - 1)
    monkeypatch.setattr(smart_history, "SPANS_SHOWN", WEEKS - 1)
    device, times = _device(lambda week: [_disk("S1", temperature_c=35, reallocated_sectors=week)])
    bounded, whole = (_rows(html, "S1")[-1] for html in _pages(admin_client, device))
    assert bounded[0] == f"{local_time(times[0])} · 1 reading before"
    assert whole[0] == f"{local_time(times[0])} · 1 reading in 1 row before"
    assert bounded[4] == whole[4] == "0"

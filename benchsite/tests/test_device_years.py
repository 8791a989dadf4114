"""A machine with years of history: its page, its snapshots and its comparison stay readable
and cost the same queries whatever its age (perf/long_history.py --weekly measures them)."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.models import Benchmark
from benchmarks.tests.factories import BenchmarkFactory
from benchsite.tests.test_device_admin import _chart_data, page
from inventory.history import hardware_key, snapshot_changes, snapshot_told
from inventory.models import HardwareSnapshot
from inventory.tests.factories import DeviceFactory, SnapshotFactory

pytestmark = pytest.mark.django_db


def weekly_machine(weeks: int, *, every=timedelta(weeks=1), score=lambda week: 100.0, end=None):
    """A machine run by cron every `every` for `weeks` runs, the last `every` before `end`
    (now): RAM added (16 → 32 GB) at two fifths of its life, its kernel updated at three
    quarters; a run per snapshot."""
    device = DeviceFactory()
    start = (end or timezone.now()) - every * weeks
    snapshots = HardwareSnapshot.objects.bulk_create(
        SnapshotFactory.build(
            device=device,
            captured_at=start + every * week,
            ram_total_mb=16384 if week < weeks * 2 // 5 else 32768,
            kernel_version="6.1.0-10-amd64" if week < weeks * 3 // 4 else "6.1.0-11-amd64",
        )
        for week in range(weeks)
    )
    Benchmark.objects.bulk_create(
        BenchmarkFactory.build(
            device=device, snapshot=snapshot, run_at=snapshot.captured_at, global_score=score(week)
        )
        for week, snapshot in enumerate(snapshots[:-1])
    )
    last = snapshots[-1]
    BenchmarkFactory(device=device, snapshot=last, run_at=last.captured_at, global_score=100.0)
    return device, snapshots


def queries(admin_client, path: str) -> int:
    admin_client.get(path)  # warm (the session, the content types)
    with CaptureQueriesContext(connection) as context:
        assert admin_client.get(path).status_code == 200
    return len(context.captured_queries)


def test_a_weekly_machines_snapshots_are_told_as_stretches_of_one_hardware(admin_client):
    """The page listed the newest 20 snapshots, a row each: a weekly cron's 20 weeks of the
    same machine, its five years and its RAM upgrade nowhere in that section, and no way to
    its other snapshots but the compare page's picker. Each stretch of one hardware is a row
    now, from its first snapshot to its last, linking to them in the snapshots' list."""
    device, snapshots = weekly_machine(60)  # RAM added at week 24, kernel at week 45

    html = page(admin_client, device)

    section = html.split('id="snapshots"', 1)[1].split("</fieldset>", 1)[0]
    rows = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == 3  # newest first: 15, 21 and 24 weeks
    counts = [int(re.search(r"· (\d+) snapshots</a>", row)[1]) for row in rows]
    assert counts == [15, 21, 24]
    assert "32 GB" in rows[1] and "16 GB" in rows[2] and "6.1.0-11-amd64" in rows[0]
    said = unescape(section.split('id="snapshots-said"', 1)[1])
    whole = f'href="/admin/inventory/hardwaresnapshot/?device__id__exact={device.pk}">All 60'
    assert whole in said
    # a stretch's snapshots are a click away, each of them
    stretch = unescape(re.search(r'href="([^"]+)">· 21 snapshots', rows[1])[1])
    listed = admin_client.get(stretch).content.decode()
    assert "21 hardware snapshots" in listed
    # "with previous": the change that began the stretch
    compare = unescape(re.search(r'href="([^"]+)">with previous', rows[1])[1])
    assert compare.endswith(f"?a={snapshots[23].pk}&b={snapshots[24].pk}")
    assert "RAM 16→32 GB" in admin_client.get(compare).content.decode()


def test_a_long_lifes_page_and_comparison_cost_the_queries_of_a_short_one(admin_client):
    young, _ = weekly_machine(110)  # more runs than the history's 100: its whole chart too
    old, _ = weekly_machine(520)
    for path in ("/admin/inventory/device/{}/change/", "/admin/inventory/device/{}/compare/"):
        assert queries(admin_client, path.format(old.pk)) == queries(
            admin_client, path.format(young.pk)
        )


def test_the_compare_picker_groups_the_snapshots_by_hardware(admin_client):
    """The picker offered 520 dates alike for ten weekly years: which of them was before the
    RAM upgrade was said nowhere. They are grouped by stretch of one hardware, each headed by
    the change that began it."""
    device, snapshots = weekly_machine(60)

    html = admin_client.get(f"/admin/inventory/device/{device.pk}/compare/").content.decode()

    picker = re.search(r'<select name="a">(.*?)</select>', html, re.S)[1]
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', picker, re.S)
    heads = [unescape(head).split(": ", 1)[1] for head, _ in groups]
    assert heads == ["kernel 6.1.0-10-amd64→6.1.0-11-amd64", "RAM 16→32 GB", "its first hardware"]
    offered = [[int(pk) for pk in re.findall(r'value="(\d+)"', body)] for _, body in groups]
    assert offered[1] == [s.pk for s in reversed(snapshots[24:45])]  # newest first
    assert sum(map(len, offered)) == 60


def test_a_ten_year_history_is_charted_by_quarter(admin_client):
    """The whole-history chart drew a point a month: 120 at ten years, each 1.4 KB of the page
    with its row of Chart data, and growing. Past five years (60 months) it draws each
    quarter's mean."""
    scores = [100.0, 110.0, 130.0, 90.0]
    device, snapshots = weekly_machine(
        130, every=timedelta(days=28), score=lambda week: scores[week % 4]
    )

    html = page(admin_client, device)

    whole = html.split('id="whole-history"', 1)[1].split("</h3>", 1)[0]
    assert "All 130 runs, quarter by quarter" in whole
    assert "each quarter's mean of its valid runs" in whole
    # its points' rows (a hardware change not on a point's date has a row of its own)
    rows = [row for row in _chart_data(html, "monthly-chart")[1] if row[0].endswith("mean)")]
    quarters: dict[str, list[float]] = {}
    for week, snapshot in enumerate(snapshots):
        at = timezone.localtime(snapshot.captured_at)
        score = 100.0 if week == len(snapshots) - 1 else scores[week % 4]
        quarters.setdefault(f"{at:%Y} Q{(at.month - 1) // 3 + 1}", []).append(score)
    assert [row[0] for row in rows] == [f"{q} (the quarter's mean)" for q in quarters]
    assert [float(row[1]) for row in rows] == [
        round(sum(values) / len(values), 1) for values in quarters.values()
    ]
    assert len(rows) <= 60


def test_five_years_are_still_charted_month_by_month(admin_client):
    """260 weekly runs in 60 calendar months. Ending a week ago, they spanned 61 months in the
    first days of a month, and the test failed then: the last run is dated near a month's end."""
    month = timezone.localtime().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    device, snapshots = weekly_machine(260, end=month - timedelta(days=4) + timedelta(weeks=1))
    months = {f"{timezone.localtime(s.captured_at):%Y-%m}" for s in snapshots}
    assert len(months) == 60
    whole = page(admin_client, device).split('id="whole-history"', 1)[1].split("</h3>", 1)[0]
    assert "All 260 runs, month by month" in whole


def _pairwise(snapshots: list[HardwareSnapshot]) -> list[tuple[int, int, list[str]]]:
    """The hardware changes as every pair of snapshots one after the other tells them."""
    from inventory.history import snapshot_changes

    return [
        (older.pk, newer.pk, phrases)
        for older, newer in zip(snapshots, snapshots[1:], strict=False)
        if (phrases := snapshot_changes(older, newer))
    ][::-1]


def test_a_long_lifes_hardware_changes_are_told_from_the_snapshots_that_begin_a_stretch(
    monkeypatch, django_assert_max_num_queries
):
    """Ten weekly years were 520 snapshots' disks and interfaces read into Python and compared
    pair by pair (5,000 at most), for three changes. The database finds the snapshots whose
    hardware key is not the one before's; only those are read and compared, and the changes
    and stretches told are the ones every pair tells: a RAM figure that moved by a few MB
    (another key, no change), a snapshot stored without a key (before the upgrade), a disk
    replaced, a kernel updated."""
    from benchsite import hardware_life as life

    device, snapshots = weekly_machine(520)
    disk = {"name": "sda", "model": "WD40EFRX", "capacity_gb": 4000}
    for week, snapshot in enumerate(snapshots):
        snapshot.storage = {"devices": [{**disk, "serial": "WD-1" if week < 100 else "WD-2"}]}
        snapshot.ram_total_mb -= 4 if 300 <= week < 310 else 0  # VM ballooning: no change
    snapshots[400].kernel_version = "6.1.0-9-amd64"  # back and forth: two changes
    for snapshot in snapshots:
        snapshot.hardware_key = hardware_key(snapshot)
    snapshots[150].hardware_key = ""  # stored before there were keys
    HardwareSnapshot.objects.bulk_update(
        snapshots, ["storage", "ram_total_mb", "kernel_version", "hardware_key"]
    )
    compared = []
    monkeypatch.setattr(
        life,
        "snapshot_told",
        lambda old, new: compared.append(new) or snapshot_told(old, new),
    )

    with django_assert_max_num_queries(2):
        told = life.hardware_life(device)

    assert [(c.before_id, c.after_id, c.changes) for c in told.changes] == _pairwise(snapshots)
    assert len(told.changes) == 5  # the disk, RAM, the kernel there and back, the kernel
    assert len(compared) <= 10  # of 520
    periods = [(p.first.id, p.last.id, p.count, p.previous_id) for p in told.periods]
    starts = [
        0,
        *(snapshots.index(s) for s in snapshots if s.pk in {c.after_id for c in told.changes}),
    ]
    ends = [*[n - 1 for n in starts[1:]], 519]
    assert (
        periods
        == [
            (snapshots[a].pk, snapshots[b].pk, b - a + 1, snapshots[a - 1].pk if a else None)
            for a, b in zip(starts, ends, strict=True)
        ][::-1]
    )
    assert told.periods[-1].last.ram_total_mb == 16384 and not told.truncated
    assert life.hardware_life(device, limit=2).truncated  # the two newest stretches only


def test_a_machine_with_many_hardware_changes_lists_its_newest_and_marks_them_by_point(
    admin_client,
):
    """A kernel updated twice a year for 96 years was 195 rows of Hardware changes and 195
    markers on the whole-history chart's 96 points (+185 KB of the page at 5,000 weekly runs).
    The table shows the newest SHOWN with a link to all of them; the chart marks each point
    that saw changes once, at its first, naming them."""
    device, snapshots = weekly_machine(140)  # RAM at week 56, kernel at week 105
    for week in range(110, 126):  # and a kernel every week for 16 weeks, then back: 19 changes
        snapshots[week].kernel_version = f"6.1.0-{week}-amd64"
        snapshots[week].hardware_key = hardware_key(snapshots[week])
    HardwareSnapshot.objects.bulk_update(snapshots, ["kernel_version", "hardware_key"])

    html = page(admin_client, device)

    section = html.split('id="hardware-changes"', 1)[1].split("</fieldset>", 1)[0]
    # the 18 kernel updates one row, the RAM added the other (as they tell no part: folded)
    assert section.count("the two snapshots</a>") == 1 and "RAM 16→32 GB" in section
    assert 'href="?all=changes#hardware-changes">18 BIOS, OS or kernel updates' in section
    whole = admin_client.get(f"/admin/inventory/device/{device.pk}/change/?all=changes")
    section = whole.content.decode().split('id="hardware-changes"', 1)[1].split("</fieldset>")[0]
    assert section.count("the two snapshots</a>") == 19
    assert "All 19 hardware changes, newest first" in unescape(section)
    # and back to the two rows that tell them, not "the first 12 only"
    back = re.search(r'<a href="\?#hardware-changes">([^<]*)</a>', section)[1]
    assert back == "all of them in 2 rows (each run of BIOS, OS or kernel updates one row)"

    marked = [row[-1] for row in _chart_data(html, "monthly-chart")[1] if row[-1]]
    months = {
        f"{timezone.localtime(s.captured_at):%Y-%m}"
        for s, before in zip(snapshots[1:], snapshots, strict=False)
        if snapshot_changes(before, s)
    }
    assert len(marked) == len(months) < 19
    named = [p for m in marked for p in m.split("; ") if p.startswith(("RAM", "kernel"))]
    counted = sum(int(re.search(r"and (\d+) more", m)[1]) for m in marked if "more" in m)
    assert len(named) + counted == 19


def test_a_machines_runs_of_kernel_updates_are_folded_so_its_ram_upgrade_shows(admin_client):
    """Two years of a weekly cron: the newest 12 changes of the device page were its kernel
    updates, and its RAM upgrade was on no row. Each run of updates alone is one row, an update
    alone between two parts' changes a muted one."""
    device, start = DeviceFactory(), timezone.now() - timedelta(weeks=20)
    weeks = [(16384, 0)] * 3 + [(16384, 1), (32768, 1)] + [(32768, k) for k in range(2, 17)]
    for week, (ram, kernel) in enumerate(weeks):
        captured_at = start + timedelta(weeks=week)
        kernel_version = f"6.1.0-{kernel}-amd64"
        SnapshotFactory(
            device=device, captured_at=captured_at, ram_total_mb=ram, kernel_version=kernel_version
        )

    html = page(admin_client, device)

    section = html.split('id="hardware-changes"', 1)[1].split("</fieldset>", 1)[0]
    rows = re.findall(r"<tr( class=\"[^\"]*\")?><td>", section)
    assert rows == [' class="bt-updates bt-updates-folded"', "", ' class="bt-updates"']
    folded, upgrade, alone = section.split("<tbody>", 1)[1].split("</tr>")[:3]
    assert '<a href="?all=changes#hardware-changes">15 BIOS, OS or kernel updates</a>' in folded
    assert "kernel 6.1.0-15-amd64→6.1.0-16-amd64" in folded and "6.1.0-2-amd64" not in folded
    assert ">before and after them</a>" in folded  # the RAM upgrade's snapshot to the newest
    assert "RAM 16→32 GB" in upgrade
    assert "kernel 6.1.0-0-amd64→6.1.0-1-amd64" in alone
    assert 'id="hardware-changes-more"' not in section  # all 17 told

    whole = admin_client.get(f"/admin/inventory/device/{device.pk}/change/?all=changes")
    section = whole.content.decode().split('id="hardware-changes"', 1)[1].split("</fieldset>")[0]
    said = re.sub(r"<[^>]+>", "", section.split('id="hardware-changes-more">', 1)[1])
    assert said.startswith(
        "All 17 hardware changes, newest first; all of them in 3 rows (each run of BIOS, OS or"
        " kernel updates one row)."
    )


def test_all_changes_links_back_to_the_newest_rows_the_page_shows(admin_client):
    """A machine whose RAM changed every week: its page's 12 rows, and from all of them a
    link back to "the newest 12 rows only"; with runs of updates folded among them, it says so."""
    device, start = DeviceFactory(), timezone.now() - timedelta(weeks=20)
    for week in range(20):
        captured_at = start + timedelta(weeks=week)
        SnapshotFactory(device=device, captured_at=captured_at, ram_total_mb=16384 * (1 + week % 2))
    whole = admin_client.get(f"/admin/inventory/device/{device.pk}/change/?all=changes")
    section = whole.content.decode().split('id="hardware-changes"', 1)[1].split("</fieldset>")[0]
    said = re.sub(r"<[^>]+>", "", section.split('id="hardware-changes-more">', 1)[1])
    assert said.startswith("All 19 hardware changes, newest first; the newest 12 rows only.")


def test_a_machines_older_stretches_of_one_hardware_are_a_click_away(admin_client):
    """Twenty stretches of one hardware (a kernel updated every 5 weeks) were 20 rows, 1,000 px
    at the page's foot under the documents and links: the newest 6 are shown now, the 14 older
    ones in a closed section that says how many they are and since when."""
    device = DeviceFactory()
    start = timezone.now() - timedelta(weeks=100)
    snapshots = HardwareSnapshot.objects.bulk_create(
        SnapshotFactory.build(
            device=device,
            captured_at=start + timedelta(weeks=week),
            kernel_version=f"6.1.0-{week // 5}-amd64",
        )
        for week in range(100)
    )
    BenchmarkFactory(device=device, snapshot=snapshots[-1], run_at=snapshots[-1].captured_at)

    section = page(admin_client, device).split('id="snapshots"', 1)[1].split("</fieldset>", 1)[0]
    shown, older = section.split('<details class="bt-older" id="snapshots-older">', 1)
    assert shown.count("<tr>") == 1 + 6 and "6.1.0-19-amd64" in shown
    summary = older.split("<summary>", 1)[1].split("</summary>", 1)[0]
    assert (
        summary == f"14 older stretches of one hardware, from {timezone.localtime(start):%Y-%m-%d}"
    )
    rows = older.split("</summary>", 1)[1].split("</details>", 1)[0]
    assert rows.count("<tr>") == 1 + 14 and "6.1.0-0-amd64" in rows

"""The device page tells the machine's story; snapshots can be compared."""

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from django.utils import timezone

from benchmarks.models import Benchmark
from benchmarks.tests.factories import BenchmarkFactory
from benchsite.charts import RIGHT, WIDTH, Chart, Point, score_history_chart
from benchsite.records_admin import local_time
from benchsite.tests.chart_titles import hover_titles, page_titles
from inventory.history import snapshot_changes
from inventory.models import Device, HardwareSnapshot
from inventory.schema import CATEGORIES
from inventory.tests.factories import DeviceFactory, SnapshotFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def upgraded(submit, example):
    """The example machine, benchmarked, then upgraded to 128 GB with one more disk."""
    first = submit(example).json()
    upgraded = copy.deepcopy(example)
    upgraded["submission_id"] = str(uuid.uuid4())
    upgraded["hardware"]["ram"]["total_mb"] = 131072
    upgraded["hardware"]["storage"]["devices"].append(
        {
            "name": "/dev/sdb",
            "type": "SSD",
            "vendor": "Crucial",
            "model": "MX500",
            "capacity_gb": 2000,
            "smart_health": "FAILED",
            "temperature_c": 51,
        }
    )
    second = submit(upgraded).json()
    return Device.objects.get(pk=first["device_id"]), first, second


def page(admin_client, device) -> str:
    response = admin_client.get(f"/admin/inventory/device/{device.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_device_page_shows_the_latest_hardware_by_component(admin_client, upgraded):
    device, _, _ = upgraded
    html = page(admin_client, device)

    hardware = html.split('id="hardware"', 1)[1].split("</fieldset>", 1)[0]
    assert "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz" in hardware
    assert "128 GB" in hardware  # RAM total for people, not 131072
    dimms = hardware.split('id="dimms"', 1)[1].split("</table>", 1)[0]
    assert dimms.count("<tr>") == 5 and "DIMM_B2" in dimms and "CMK32GX4M2A2133C13" in dimms
    disks = hardware.split('id="disks"', 1)[1].split("</table>", 1)[0]
    assert "Samsung 970 EVO Plus" in disks and "42 °C" in disks
    assert re.search(r'bt-badge bt-bad">FAILED<', disks)
    assert "P07 Ver. 02.48" in hardware and "e1000e" in hardware


def test_device_page_heads_with_its_story_and_links_each_section(admin_client, upgraded):
    device, _, _ = upgraded
    html = page(admin_client, device)

    # the scores' history and the hardware's changes come right under the scores, before the
    # fields a person edits and the long hardware report
    order = ['id="latest-scores"', 'id="score-history"', 'id="hardware-changes"']
    order += ['id="id_hostname"', 'id="hardware"', 'id="documents-group"', 'id="snapshots"']
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    nav = html.split('class="bt-page-nav"', 1)[1].split("</nav>", 1)[0]
    targets = re.findall(r'href="#([\w-]+)"', nav)
    assert targets == [
        "score-history",
        "hardware-changes",
        "fieldset-0-0-heading",  # Details: the hostname, description and tags
        "hardware",
        "links-group",
        "documents-group",
        "snapshots",
    ]
    for target in targets:
        assert html.count(f'id="{target}"') == 1


def test_a_machine_added_by_hand_says_how_its_first_run_reaches_it(admin_client, submit, example):
    """A device added by hand before its first run had a page of empty fields and no word of
    what to do next: it now points to the bench command and says a run is filed by hostname
    (with --device where the machine calls itself otherwise)."""
    device = DeviceFactory(hostname="print-server")

    page = unescape(
        admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    )

    said = page.split('id="no-run-yet">', 1)[1].split("</p>", 1)[0]
    assert 'href="/admin/#bench-command">the dashboard\'s bench command</a>' in said
    assert "<code>--device print-server</code>" in said

    example["device_identifier"] = "print-server"
    assert submit(example).json()["device_id"] == device.pk  # filed here, as said
    page = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    assert 'id="no-run-yet"' not in page


def test_a_run_received_long_after_its_date_says_when_it_arrived(admin_client, submit, example):
    """A machine whose clock reads 1970 (a flat CMOS battery, an older bench.sh): the contract
    dates its run then, far behind the others; the history said nothing of why."""
    example["results"]["conditions"] = {"started_at": "1970-01-01T00:04:00Z"}
    stale = submit(example).json()
    example["submission_id"] = str(uuid.uuid4())
    example["results"]["conditions"] = {"started_at": timezone.now().isoformat()}
    submit(example)
    html = page(admin_client, Device.objects.get(pk=stale["device_id"]))

    rows = html.split('id="history"', 1)[1].split("</table>", 1)[0].split("<tr")[2:]
    assert len(rows) == 2
    newest, dated_1970 = rows
    assert "received " not in newest  # sent as it ran
    assert "1970-01-01 00:04" in dated_1970
    received = Benchmark.objects.get(pk=stale["benchmark_id"]).received_at
    # a small mark, its date in its title (and said to a screen reader): a history replayed
    # at once read "received 2026-12-06 13:43" under every row's date, each row two lines
    said = f"{timezone.localtime(received):%Y-%m-%d %H:%M}"
    mark = re.search(
        r'<span class="bt-quiet bt-received" title="([^"]*)">(.*?)</span></span>', dated_1970
    )
    assert mark[1].startswith(f"received {said}: dated by the machine's clock")
    assert mark[2] == f'received later<span class="visually-hidden">: {said}'


def test_device_page_charts_the_history_and_marks_hardware_changes(admin_client, upgraded):
    device, first, second = upgraded
    html = page(admin_client, device)

    history = html.split('id="score-history"', 1)[1].split("</fieldset>", 1)[0]
    assert "<svg" in history and 'class="bt-marker"' in history
    for series in ("global", "cpu", "memory", "disk", "network", "gpu"):
        assert f"bt-series-{series}" in history
    rows = history.split('id="history"', 1)[1].split("</table>", 1)[0].split("<tr")[2:]
    assert len(rows) == 2
    assert "changed: RAM 64→128 GB" in rows[0] and "disk added: Crucial MX500 2000 GB" in rows[0]
    assert "changed:" not in rows[1]
    assert "88.8" in rows[0] and "120.1" in rows[0]  # CPU mono and multi scores


def test_the_history_leaves_out_a_cpu_mono_or_multi_column_no_run_shown_has(admin_client):
    """A bench.sh that sends neither showed "–" in both columns on every row."""
    device = DeviceFactory()
    BenchmarkFactory(device=device, results={"cpu": {"score": 100}})
    html = page(admin_client, device)
    table = html.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert "CPU mono" not in table and "CPU multi" not in table
    row = table.split("<tbody>")[1].split("</tr>")[0]
    assert table.count('<th scope="col"') == row.count("<td")  # a cell a heading

    BenchmarkFactory(device=device, results={"cpu": {"score": 100, "score_single": 88.8}})
    table = page(admin_client, device).split('id="history"', 1)[1].split("</table>", 1)[0]
    assert "CPU mono" in table and "88.8" in table and "CPU multi" not in table


def test_compare_shows_two_snapshots_side_by_side(admin_client, upgraded):
    device, first, second = upgraded
    response = admin_client.get(
        f"/admin/inventory/device/{device.pk}/compare/",
        {"a": second["snapshot_id"], "b": first["snapshot_id"]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "RAM 64→128 GB" in html
    # the newer value marked for those who do not see its colour (a screen reader says it)
    mark = '<span class="bt-differs-mark" aria-hidden="true">≠</span> '
    said = r'<span class="visually-hidden"> \(differs from the other snapshot\)</span><'
    assert re.search(
        rf'class="bt-differs">64 GB<.*class="bt-differs">{mark}128 GB{said}', html, re.S
    )
    # its disks, NICs and DIMMs are its components: a "device" is a machine on every other page
    headings = re.findall(r'<th colspan="3"[^>]*class="bt-subhead">([^<]+)</th>', html)
    assert "Components" in headings and "Devices" not in headings


def test_compare_writes_the_names_of_disks_partitions_and_interfaces_as_the_machine_does(
    admin_client, upgraded
):
    """The rows of each table were headed with a capital, as a field's label is: "Eno1"
    for the interface eno1, which no machine calls it."""
    device, first, second = upgraded
    html = admin_client.get(
        f"/admin/inventory/device/{device.pk}/compare/",
        {"a": first["snapshot_id"], "b": second["snapshot_id"]},
    ).content.decode()

    heads = re.findall(r'<th scope="row">([^<]+)</th>', html)
    assert "eno1" in heads and "Eno1" not in heads
    assert "CPU model" in heads and "Temperature" in heads  # labels are still capitalised


def test_compare_names_the_cpu_flags_gained_and_lost_even_at_the_same_count(
    admin_client, submit, example
):
    first = submit(example).json()  # avx, avx2, aes
    example["submission_id"] = str(uuid.uuid4())
    example["hardware"]["cpu"]["flags"] = ["avx", "aes", "sha_ni"]
    second = submit(example).json()

    html = admin_client.get(
        f"/admin/inventory/device/{first['device_id']}/compare/",
        {"a": first["snapshot_id"], "b": second["snapshot_id"]},
    ).content.decode()

    row = html.split(">CPU flags<", 1)[1].split("</tr>", 1)[0]
    assert re.search(r'bt-differs">3 flags<.*bt-differs">.*3 flags \(\+sha_ni, −avx2\)<', row, re.S)


def test_partitions_are_sized_in_gib_beside_disks_in_gb(admin_client, submit, example):
    """The contract's 4000 GB disk holds a partition of 3725, as df sizes it (bench.sh divides
    by 2^30): the page said "3725 GB" of it, 275 GB gone missing."""
    device_id = submit(example).json()["device_id"]
    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()

    disks = html.split('id="disks"', 1)[1].split("</table>", 1)[0]
    partitions = html.split('id="partitions"', 1)[1].split("</table>", 1)[0]
    assert "<td>4000 GB</td>" in disks
    assert "<td>2890 GiB</td><td>3725 GiB</td>" in partitions


def test_compare_shows_a_disk_going_from_passed_to_failed(admin_client, submit, example):
    """Issue 14: comparing the PASSED and the FAILED snapshot said "No hardware change"."""
    disk = example["hardware"]["storage"]["devices"][1]
    disk["reallocated_sectors"] = 0
    first = submit(example).json()
    example["submission_id"] = str(uuid.uuid4())
    disk.update(smart_health="FAILED", temperature_c=58, reallocated_sectors=120)
    second = submit(example).json()

    html = admin_client.get(
        f"/admin/inventory/device/{first['device_id']}/compare/",
        {"a": first["snapshot_id"], "b": second["snapshot_id"]},
    ).content.decode()

    label = f"{disk['name']} ({disk['serial']})"
    assert "No hardware change between these two snapshots." in html  # the hardware is the same
    health = re.search(r'<p id="health-changes">(.*?)</p>', html, re.S)[1]
    assert f"{label} SMART health PASSED→FAILED" in health
    assert f"{label} reallocated sectors 0→120" in health
    assert "°C" not in health  # the counters, not the temperature
    section = html.split(f">Disk {label}<", 1)[1].split("</tbody>", 1)[0]
    row = section.split(">Temperature<", 1)[1].split("</tr>", 1)[0]
    assert re.search(r'bt-differs">\d+ °C<.*bt-differs">.*58 °C<', row, re.S)


def test_compare_refuses_another_devices_snapshot(admin_client, upgraded):
    device, first, _ = upgraded
    other = SnapshotFactory()
    url = f"/admin/inventory/device/{device.pk}/compare/"
    assert admin_client.get(url, {"a": first["snapshot_id"], "b": other.pk}).status_code == 404
    assert admin_client.get(url, {"a": "x"}).status_code == 404
    huge = {"a": first["snapshot_id"], "b": "9" * 30}  # beyond any database integer
    assert admin_client.get(url, huge).status_code == 404
    assert admin_client.get(url, {"a": first["snapshot_id"], "b": "-1"}).status_code == 404


def test_a_device_with_one_snapshot_is_not_offered_a_comparison(admin_client, submit, example):
    """ "the newest 1 are listed. Compare any two", with one snapshot to compare."""
    device = Device.objects.get(pk=submit(example).json()["device_id"])
    help_text = page(admin_client, device).split('id="snapshots"', 1)[1].split("</p>", 1)[0]
    assert "Compare any two" not in help_text and "the newest 1 are" not in help_text
    assert "Snapshots come from bench.sh and are read-only." in help_text


def test_compare_picks_any_two_snapshots_and_starts_with_the_two_newest(admin_client, upgraded):
    device, first, second = upgraded
    url = f"/admin/inventory/device/{device.pk}/compare/"
    assert f'href="{url}">Compare any two</a>' in page(admin_client, device)

    html = admin_client.get(url).content.decode()  # no choice made: the two newest
    assert "RAM 64→128 GB" in html
    picker = re.search(r'<form method="get"[^>]*id="compare-pick">(.*?)</form>', html, re.S)[1]
    a_select, b_select = re.findall(r"<select name=\"[ab]\">(.*?)</select>", picker, re.S)
    for select in (a_select, b_select):  # every snapshot of the device, in both lists
        assert sorted(map(int, re.findall(r'value="(\d+)"', select))) == sorted(
            [first["snapshot_id"], second["snapshot_id"]]
        )
    assert f'value="{first["snapshot_id"]}" selected' in a_select
    assert f'value="{second["snapshot_id"]}" selected' in b_select

    # the picker's own request: the same snapshot twice shows no change
    same = {"a": second["snapshot_id"], "b": second["snapshot_id"]}
    assert (
        "No hardware change between these two snapshots."
        in admin_client.get(url, same).content.decode()
    )


def test_compare_offers_a_long_lifes_first_snapshot_beside_the_newest(admin_client, settings):
    """Three years of two runs a day: the picker offered the newest 1,000 snapshots, and the
    first one, "what changed since we got it", could not be picked (long-history audit)."""
    from benchsite import compare_admin as compare

    device = DeviceFactory()
    start = timezone.now() - timedelta(days=1000)
    snapshots = HardwareSnapshot.objects.bulk_create(
        SnapshotFactory.build(device=device, captured_at=start + timedelta(hours=12 * i))
        for i in range(compare.COMPARE_CHOICES + 5)
    )
    html = admin_client.get(f"/admin/inventory/device/{device.pk}/compare/").content.decode()

    a_select = re.search(r'<select name="a">(.*?)</select>', html, re.S)[1]
    offered = [int(pk) for pk in re.findall(r'value="(\d+)"', a_select)]
    assert len(offered) == compare.COMPARE_CHOICES + 1
    assert offered[0] == snapshots[-1].pk and offered[-1] == snapshots[0].pk  # newest … first


def test_compare_of_a_device_with_one_snapshot_says_there_is_nothing_to_compare(
    admin_client, submit, example
):
    device = Device.objects.get(pk=submit(example).json()["device_id"])
    response = admin_client.get(f"/admin/inventory/device/{device.pk}/compare/")
    assert response.status_code == 200
    assert "has one hardware snapshot: nothing to compare" in response.content.decode()


def test_device_page_query_count_is_flat_with_long_histories(
    admin_client, django_assert_max_num_queries
):
    device = DeviceFactory()
    now = timezone.now()
    for i in range(150):
        BenchmarkFactory(
            device=device,
            run_at=now - timezone.timedelta(hours=i),
            latest=(i == 0),
            snapshot__captured_at=now - timezone.timedelta(hours=i),
            snapshot__ram_total_mb=16384 if i >= 140 else 32768,  # upgraded 140 runs ago
            snapshot__disk_readings=[{"name": "/dev/sda", "serial": "S1", "temperature_c": 40}],
        )
    admin_client.get(f"/admin/inventory/device/{device.pk}/change/")
    with django_assert_max_num_queries(21):
        html = page(admin_client, device)
    # the chart draws 100 of the 150 runs, the table the newest 20: the fields a person edits
    # are not pushed thousands of pixels down
    said = html.split('id="history-rows">', 1)[1].split("</p>", 1)[0]
    assert said.startswith("The newest 20 runs of 150 (the chart draws the newest 100)")
    assert "all of them" in said
    table = html.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") == 1 + 20
    assert [title.split(" ", 1)[0] for title in page_titles(html, "score-chart")].count(
        "global"
    ) == 100
    # the upgrade is older than the runs shown: the hardware changes tell it (it was nowhere)
    changes = html.split('id="hardware-changes"', 1)[1].split("</fieldset>", 1)[0]
    assert changes.count("<tr>") == 1 + 1 and "RAM 16→32 GB" in changes
    # the SMART history reads every snapshot's readings (the newest 50 were read), and its
    # chart draws at most 120 points however long the history
    titles = [
        title.split(" — ", 1)[1]
        for title in page_titles(html, "smart-1-temperature")
        if title.startswith("temp. °C 40 — ")
    ]
    assert len(titles) == 75 and "(the highest of 2 readings)" in titles[0]


def test_device_page_of_a_device_never_benchmarked(admin_client):
    html = page(admin_client, DeviceFactory())
    assert "No hardware snapshot yet" in html


WD40 = {"model": "WD40EFRX", "capacity_gb": 4000}


def snap(**fields):
    return HardwareSnapshot(
        **{"ram_total_mb": 16384, "cpu_model": "A", "storage": {}, "network": {}, **fields}
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({}, {}, []),
        ({"ram_total_mb": 16384}, {"ram_total_mb": 32768}, ["RAM 16→32 GB"]),
        ({"ram_total_mb": 16000}, {"ram_total_mb": 16100}, []),  # reported total wobbles a little
        ({"cpu_model": "i5"}, {"cpu_model": "i7"}, ["CPU i5→i7"]),
        ({"gpu_model": ""}, {"gpu_model": "RTX 3060"}, ["GPU added: RTX 3060"]),
        ({"gpu_model": "RTX 3060"}, {"gpu_model": ""}, ["GPU removed: RTX 3060"]),
        ({"bios_version": "P07"}, {"bios_version": ""}, []),  # unreadable this run, not changed
        ({"kernel_version": "6.1"}, {"kernel_version": "6.5"}, ["kernel 6.1→6.5"]),
        (
            {"storage": {"devices": [{"model": "X", "capacity_gb": 500}, WD40]}},
            {"storage": {"devices": [WD40]}},
            ["disk removed: X 500 GB"],
        ),
        # no disk listed: not read (bench.sh without lsblk), not every disk removed
        ({"storage": {"devices": [WD40]}}, {"storage": {"devices": []}}, []),
        ({"storage": {"devices": [WD40]}}, {"storage": {"devices": None}}, []),
        ({"storage": {"devices": None}}, {"storage": {"devices": [WD40]}}, []),
        (
            {"network": {"interfaces": [{"name": "eth0"}]}},
            {"network": {"interfaces": [{"name": "eth0"}, {"name": "eth1"}]}},
            ["NICs eth0→eth0, eth1"],
        ),
        # no interface listed: not read, not every NIC added at the next run
        ({"network": {}}, {"network": {"interfaces": [{"name": "eth0"}]}}, []),
        # the same model and capacity: a warranty swap, told by its serials (it was no change)
        (
            {"storage": {"devices": [WD40 | {"serial": "WD-OLD"}]}},
            {"storage": {"devices": [WD40 | {"serial": "WD-NEW"}]}},
            ["disk replaced: WD40EFRX 4000 GB (WD-OLD → WD-NEW)"],
        ),
        # a dying disk swapped for a bigger one: another model where it was
        (
            {"storage": {"devices": [WD40 | {"serial": "WD-OLD", "name": "/dev/sdb"}]}},
            {
                "storage": {
                    "devices": [
                        {"model": "ST8000VN004", "capacity_gb": 8000, "name": "/dev/sdb"},
                        {"model": "X", "capacity_gb": 500, "name": "/dev/sdc"},
                    ]
                }
            },
            [
                "disk replaced: /dev/sdb WD40EFRX 4000 GB → ST8000VN004 8000 GB",
                "disk added: X 500 GB",
            ],
        ),
        # read without its model: its name is said once ("/dev/sdb /dev/sdb 4000 GB")
        (
            {"storage": {"devices": [{"name": "/dev/sdb", "capacity_gb": 4000, "serial": "A"}]}},
            {"storage": {"devices": [{"name": "/dev/sdb", "capacity_gb": 8000, "serial": "B"}]}},
            ["disk replaced: /dev/sdb 4000 GB → 8000 GB"],
        ),
        # a second disk like the first (it was no change either)
        (
            {"storage": {"devices": [WD40 | {"serial": "A"}]}},
            {"storage": {"devices": [WD40 | {"serial": "A"}, WD40 | {"serial": "B"}]}},
            ["disk added: WD40EFRX 4000 GB"],
        ),
        # a run that could not read serials (without root) changed nothing
        (
            {"storage": {"devices": [WD40 | {"serial": "A"}, WD40 | {"serial": "B"}]}},
            {"storage": {"devices": [WD40, WD40]}},
            [],
        ),
        # the same disk read another way (its name moved from sda to sdb): the same serial
        (
            {"storage": {"devices": [WD40 | {"serial": "A", "name": "/dev/sda"}]}},
            {"storage": {"devices": [WD40 | {"serial": "A", "capacity_gb": 4000.8}]}},
            [],
        ),
    ],
)
def test_snapshot_changes(old, new, expected):
    assert snapshot_changes(snap(**old), snap(**new)) == expected


def test_chart_leaves_gaps_for_skipped_categories():
    now = timezone.now()
    points = [
        (now - timezone.timedelta(days=2), {"global": 100, "gpu": 50}),
        (now - timezone.timedelta(days=1), {"global": 110, "gpu": None}),
        (now, {"global": 120, "gpu": 60}),
    ]
    svg = str(score_history_chart(points, series=("global", "gpu")).svg)
    assert svg.count("bt-series-global") == 1  # one unbroken line
    assert svg.count("bt-series-gpu") == 2  # two segments around the gap
    assert score_history_chart([]).svg == ""


def _global_points(chart: Chart) -> list[tuple[float, str, bool]]:
    """(x, hover title, hollow) of the global series' points, left to right as drawn."""
    found = [
        (re.search(r'cx="([\d.]+)"', tag)[1], title, tag)
        for tag, title in hover_titles(str(chart.svg), str(chart.table))
        if title.startswith("global ")
    ]
    return sorted((float(x), title, "suspect" in tag) for x, title, tag in found)


def test_chart_places_runs_by_their_instant_across_the_autumn_dst_change():
    """Paris, 2026-10-25: 02:30 CEST (00:30 UTC) comes before 02:15 CET (01:15 UTC), and runs
    two minutes apart across the spring change are drawn two minutes apart."""
    timezone.activate("Europe/Paris")
    try:
        autumn = [
            (datetime(2026, 10, 25, 1, 15, tzinfo=UTC), {"global": 95.0}),
            (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), {"global": 98.0}),
            (datetime(2026, 10, 25, 2, 30, tzinfo=UTC), {"global": 101.0}),
        ]
        drawn = _global_points(score_history_chart(autumn, series=("global",)))
        spring = [
            (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), {"global": 1.0}),  # 01:59 CET
            (datetime(2026, 3, 29, 1, 1, tzinfo=UTC), {"global": 2.0}),  # 03:01 CEST
            (datetime(2026, 3, 29, 2, 0, tzinfo=UTC), {"global": 3.0}),
        ]
        spring_drawn = _global_points(score_history_chart(spring, series=("global",)))
        xs = [x for x, _, _ in spring_drawn]
    finally:
        timezone.deactivate()
    assert [title for _, title, _ in drawn] == [
        "global 98.0 — 2026-10-25 02:30 CEST",
        "global 95.0 — 2026-10-25 02:15 CET",
        "global 101.0 — 2026-10-25 03:30",
    ]
    assert (xs[1] - xs[0]) / (xs[2] - xs[0]) == pytest.approx(2 / 61, abs=0.002)


def test_chart_marks_the_suspect_run_not_every_run_at_its_instant():
    at = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    points = [
        Point(at - timedelta(days=1), {"global": 90.0}),
        Point(at, {"global": 100.0}),
        Point(at, {"global": 60.0}, suspect="machine busy"),
    ]
    drawn = _global_points(score_history_chart(points, series=("global",)))
    assert [(title.split(" — ")[0], hollow) for _, title, hollow in drawn] == [
        ("global 90.0", False),
        ("global 100.0", False),
        ("global 60.0", True),
    ]


def test_chart_keeps_a_marker_after_its_last_point_inside_the_plot():
    first = datetime(2026, 10, 1, tzinfo=UTC)
    points = [(first, {"global": 90.0}), (datetime(2026, 12, 1, tzinfo=UTC), {"global": 95.0})]
    markers = [(datetime(2026, 12, 20, tzinfo=UTC), "RAM 16→32 GB")]
    svg = str(score_history_chart(points, markers=markers, series=("global",)).svg)
    marker_x = float(re.search(r'class="bt-marker"><line x1="([\d.]+)"', svg).group(1))
    assert marker_x <= WIDTH - RIGHT


def test_the_device_list_filters_name_a_blank_location_and_owner(admin_client):
    """A blank location was an empty link in the filter: invisible, read as "link"; the devices
    without a tag read "–" in the tags' filter."""
    DeviceFactory(hostname="placed", location="rack-2", owner="ops").tags.add(
        TagFactory(name="lab")
    )
    DeviceFactory(hostname="unplaced", location="", owner="")
    html = admin_client.get("/admin/inventory/device/").content.decode()
    assert re.findall(r'<a href="\?tags__isnull=True"[^>]*>([^<]*)</a>', html) == ["(none)"]

    links = re.findall(r'<a href="\?(location|owner)=([^"&]*)"[^>]*>([^<]*)</a>', html)
    assert sorted(links) == [
        ("location", "", "(none)"),
        ("location", "rack-2", "rack-2"),
        ("owner", "", "(none)"),
        ("owner", "ops", "ops"),
    ]
    listed = admin_client.get("/admin/inventory/device/?location=")
    assert [d.hostname for d in listed.context["cl"].result_list] == ["unplaced"]


def test_device_changelist_ranks_by_score_with_flat_query_count(
    admin_client, django_assert_max_num_queries
):
    for i, score in enumerate((50.0, 400.0, 120.0)):
        BenchmarkFactory(device__hostname=f"dev-{i}", cpu_score=score)
    for i in range(60):
        BenchmarkFactory(device__hostname=f"bulk-{i:02d}")
    DeviceFactory(hostname="never")
    admin_client.get("/admin/inventory/device/")
    with django_assert_max_num_queries(12):
        response = admin_client.get("/admin/inventory/device/", {"all": ""})
    html = response.content.decode()
    order = re.findall(r'/admin/inventory/device/\d+/change/[^"]*">([^<]+)<', html)
    assert order[0] == "dev-1" and order[-1] == "never"
    # the header says so: sorted by the global column (descending), not by the hostname
    sorted_by = re.findall(r'<th scope="col" class="([^"]*sorted[^"]*)"', html)
    assert sorted_by == ["sortable column-global_score sorted descending"], sorted_by


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cpu_vendor": "AMD"}, {"amd-box"}),
        ({"os": "Alpine"}, {"amd-box"}),
        ({"virtualization": "kvm"}, {"intel-box"}),
    ],
)
def test_device_changelist_filters_by_latest_hardware(admin_client, params, expected):
    BenchmarkFactory(
        device__hostname="amd-box", snapshot__cpu_vendor="AMD", snapshot__os_name="Alpine"
    )
    BenchmarkFactory(
        device__hostname="intel-box",
        snapshot__cpu_vendor="Intel",
        snapshot__virtualization_type="kvm",
    )
    html = admin_client.get("/admin/inventory/device/", params).content.decode()
    assert set(re.findall(r'/admin/inventory/device/\d+/change/[^"]*">([^<]+)<', html)) == expected
    # the filters' headings, each in the singular ("By tags" stood among "By location"…)
    TagFactory(name="lab")  # the tag filter is offered once there is a tag
    html = admin_client.get("/admin/inventory/device/", params).content.decode()
    titles = re.findall(r'data-filter-title="([^"]+)"', html)
    assert {"location", "owner", "tag"} <= set(titles) and "tags" not in titles


def test_hardware_filters_offer_what_the_machines_have_now(admin_client, submit, example):
    """The OS, CPU vendor and virtualisation filters offered every value any snapshot ever had
    (read from every snapshot: 380 ms of the list's 434 at 88,000 of them), and choosing one
    only an older snapshot had listed no device."""
    earlier = copy.deepcopy(example)
    earlier["hardware"]["os"]["name"] = "Ubuntu"
    earlier["results"]["conditions"] = {"started_at": "2024-01-01T00:00:00Z"}
    submit(earlier)
    example["submission_id"] = str(uuid.uuid4())
    submit(example)  # now: Debian

    html = admin_client.get("/admin/inventory/device/").content.decode()
    assert "?os=Debian+GNU%2FLinux" in html
    assert "?os=Ubuntu" not in html


def test_device_page_badges_suspect_runs_in_the_history_and_the_chart(admin_client):
    valid = BenchmarkFactory(run_at=timezone.now() - timezone.timedelta(days=1))
    BenchmarkFactory(device=valid.device, validity="suspect", validity_reasons=["on_battery"])

    html = admin_client.get(f"/admin/inventory/device/{valid.device_id}/change/").content.decode()

    history = html.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert history.count("suspect: on battery") == 1
    assert "bt-point-suspect" in html and "suspect run" in html  # the chart's point and legend


def test_the_page_heads_with_the_figures_that_rank_the_machine(admin_client, submit, example):
    """As the dashboard and the device list show them: a busy newer run is shown apart."""
    at = (timezone.now() - timezone.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    example["results"]["conditions"] = {"started_at": at}
    valid = submit(example).json()
    example["submission_id"] = str(uuid.uuid4())
    example["results"]["conditions"] = {"cpu_busy_percent": 70.0}
    example["results"]["cpu"]["score"] = 20.0
    busy = submit(example).json()

    html = admin_client.get(f"/admin/inventory/device/{valid['device_id']}/change/").content
    cards = html.decode().split('id="latest-scores"', 1)[1].split("</section>", 1)[0]

    headline = re.search(r'class="bt-stat-value">([\d.]+)<', cards)[1]
    assert float(headline) == round(valid["global_score"], 1)
    assert "the run that ranks it" in cards
    newer = cards.split('id="newer-not-counted"', 1)[1]
    assert f">{busy['global_score']:.1f}<" in newer and "not counted" in newer
    assert "machine busy" in newer


def test_a_network_measured_on_loopback_is_shown_not_counted_and_not_charted(admin_client):
    earlier = BenchmarkFactory(run_at=timezone.now() - timezone.timedelta(days=1), network_score=95)
    BenchmarkFactory(
        device=earlier.device,
        network_score=2165.0,
        excluded_categories=["network"],
        global_score=100.0,  # cpu, memory and disk at 100: the network is not in it
    )

    html = admin_client.get(f"/admin/inventory/device/{earlier.device_id}/change/").content
    html = html.decode()

    cards = html.split('id="latest-scores"', 1)[1].split("</section>", 1)[0]
    network_card = cards.split("2165.0", 1)[1].split("</div>", 1)[0]
    assert "not counted" in network_card
    # the chart's scale is the counted scores' (100 at most), not the loopback's 2165
    chart = html.split('class="bt-chart"', 1)[1].split("</svg>", 1)[0]
    top = re.findall(r'class="bt-axis" text-anchor="end">(\d+)<', chart)[-1]
    assert 100 <= int(top) < 200


def test_device_changelist_search_finds_machines_by_their_hardware(admin_client, submit):
    for name, cpu, disk in (
        ("a", "Intel(R) Core(TM) i7-6700", "WDC WD40EFRX-68N32N0"),
        ("b", "AMD EPYC 7302", "Samsung SSD 980 PRO 1TB"),
        ("c", "AMD Ryzen 9 5950X", "Samsung SSD 870 EVO"),
        ("d", "AMD Ryzen 7 5800X", "Samsung SSD 990 PRO 2TB"),
    ):
        storage = {"devices": [{"name": "sda", "model": disk}]}
        submit({"device_identifier": name, "hardware": {"cpu": {"model": cpu}, "storage": storage}})

    def found(query):
        html = admin_client.get("/admin/inventory/device/", {"q": query}).content.decode()
        return [name for name in ("a", "b", "c", "d") if f">{name}</a>" in html]

    assert found("i7-6700") == ["a"]
    assert found("980 pro") == ["b"]
    assert found("ryzen 9") == ["c", "d"]  # each word on its own: d's disk is a 990
    assert found('"ryzen 9"') == ["c"]  # a quoted phrase whole


def test_device_search_finds_machines_by_owner_location_and_tag(admin_client, api):
    from inventory.models import Tag

    DeviceFactory(hostname="a", owner="Élodie Martin", location="Büro 2")
    DeviceFactory(hostname="b", owner="Anna", location="rack-1")
    DeviceFactory(hostname="c", owner="Bob", location="office").tags.add(
        Tag.objects.create(name="backup-target")
    )

    def found(query):
        html = admin_client.get("/admin/inventory/device/", {"q": query}).content.decode()
        in_admin = [name for name in ("a", "b", "c") if f">{name}</a>" in html]
        in_api = [
            d["hostname"] for d in api.get("/api/devices", {"search": query}).json()["results"]
        ]
        assert sorted(in_api) == in_admin  # the API's ?search= matches alike
        return in_admin

    assert found("anna") == ["b"]
    assert found("Élodie") == ["a"]
    assert found("rack") == ["b"]
    assert found("backup-target") == ["c"]


def test_device_page_tells_its_attention_items_insights_and_smart_history(
    admin_client, submit, example
):
    example["hardware"]["storage"]["devices"][1].update(
        smart_health="FAILED", reallocated_sectors=8
    )
    device_id = submit(example).json()["device_id"]

    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()

    items = html.split('id="attention-items"', 1)[1].split("</ul>", 1)[0]
    assert "reports SMART FAILED" in items and "Acknowledge" in items
    # the page heads with it, before the device's editable metadata
    assert html.index('id="attention-items"') < html.index('name="hostname"')
    assert "SMART history" in html and ">8<" in html.split("SMART history", 1)[1]


def test_a_disks_temperature_is_charted_once_it_has_two_readings(admin_client, submit, example):
    example["hardware"]["storage"]["devices"][1]["temperature_c"] = 41
    device_id = submit(example).json()["device_id"]
    page = f"/admin/inventory/device/{device_id}/change/"
    assert "-temperature" not in admin_client.get(page).content.decode()  # one reading: no chart

    example["hardware"]["storage"]["devices"][1]["temperature_c"] = 58
    example["submission_id"] = str(uuid.uuid4())
    submit(example)

    html = admin_client.get(page).content.decode()
    chart = html.split('id="smart-2-temperature"', 1)[1].split("</svg>", 1)[0]
    titles = [title.split(" — ")[0] for title in page_titles(html, "smart-2-temperature")]
    # with its unit, in degrees as read (and as the SMART table says them: not "41.0")
    assert titles == ["temp. °C 41", "temp. °C 58"]
    # a screen reader hears which disk the chart is of, not "Score history"
    assert 'aria-label="Temperature of /dev/sda in °C over time"' in chart
    # its health the same in both: one row of the table, with the range of its temperatures
    table = html.split('id="smart-2"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<td>([^<]*) °C</td>", table) == ["41–58"]


def test_smart_history_has_a_row_where_the_health_changed_newest_first(
    admin_client, submit, example
):
    """A disk read at every run gave a row per snapshot: 50 equal rows of a sound disk, and the
    day a counter moved was one row among them."""
    disk = example["hardware"]["storage"]["devices"][1]
    readings = [(34, 8000, 0), (36, 8100, 0), (35, 8200, 0), (41, 8300, 8), (40, 8400, 8)]
    for temperature, hours, reallocated in readings:
        disk.update(temperature_c=temperature, power_on_hours=hours)
        disk["reallocated_sectors"] = reallocated
        example["submission_id"] = str(uuid.uuid4())
        device_id = submit(example).json()["device_id"]

    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()

    table = html.split('id="smart-2"', 1)[1].split("</table>", 1)[0]
    rows = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr><td>.*?</tr>", table, re.S)
    ]
    assert [row[2:5] for row in rows] == [
        ["40–41 °C", "8300–8400", "8"],
        ["34–36 °C", "8000–8200", "0"],
    ]
    assert [row[0].rsplit("· ", 1)[-1] for row in rows] == ["2 readings", "3 readings"]
    # the chart keeps every reading
    assert len(page_titles(html, "smart-2-temperature")) == 5


def test_a_disk_dying_slowly_is_told_over_its_whole_life(admin_client, submit, example):
    """A disk that went from 0 to 1,624 reallocated sectors over two years showed the newest
    50 readings only (1,514 → 1,624), its one chart a flat temperature line."""
    disk = example["hardware"]["storage"]["devices"][1]
    started = timezone.now() - timezone.timedelta(days=40)
    for day in range(40):
        disk.update(temperature_c=38 + day // 4, reallocated_sectors=max(0, day - 20) * 3)
        at = started + timezone.timedelta(days=day)
        example["results"]["conditions"] = {"started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        example["submission_id"] = str(uuid.uuid4())
        device_id = submit(example).json()["device_id"]

    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()

    table = html.split('id="smart-2"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*><td>(.*?)</tr>", table, re.S)
    assert len(rows) == 12 + 1  # the newest twelve, and one for the ones before
    earlier = [re.sub(r"<[^>]+>", "", cell).strip() for cell in rows[-1].split("<td>")]
    # its first reading (day 0) to the last of the rows before (day 27), every value's range
    assert (
        earlier[0].startswith(f"{started:%Y-%m-%d}")
        and "28 readings in 8 rows before" in (earlier[0])
    )
    assert earlier[2:5] == ["38–44 °C", "–", "0–21"]
    counters = html.split('id="smart-2-counters"', 1)[1].split("</svg>", 1)[0]
    assert 'aria-label="SMART counters of /dev/sda over time"' in counters
    drawn = page_titles(html, "smart-2-counters")
    assert [t.split(" — ")[0] for t in drawn if t.startswith("reallocated")][-1] == "reallocated 57"
    # a sound disk's counters, always 0, draw no chart
    assert 'id="smart-1-counters"' not in html


def test_a_disk_without_smart_readings_is_named_not_tabled(admin_client, submit, example):
    virtual = {"name": "/dev/vda", "type": "Virtual", "interface": "virtio", "capacity_gb": 275}
    example["hardware"]["storage"]["devices"].append(virtual)
    device_id = submit(example).json()["device_id"]

    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()

    smart = html.split("SMART history", 1)[1].split('id="partitions"', 1)[0]
    assert smart.count('class="bt-table bt-smart"') == 2  # the example's two SMART disks
    assert "<caption>/dev/vda" not in smart
    assert "No SMART readings from /dev/vda: smartctl could not read it" in smart


def test_a_machine_whose_disks_give_no_smart_readings_gets_no_word_on_their_rows(
    admin_client, submit, example
):
    """A VM's page explained how the SMART history's rows read, above no table at all."""
    example["hardware"]["storage"]["devices"] = [
        {"name": "/dev/vda", "type": "Virtual", "interface": "virtio", "capacity_gb": 275}
    ]
    device_id = submit(example).json()["device_id"]

    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()

    assert "No SMART readings from /dev/vda" in html
    assert 'id="smart-spans"' not in html and "bt-smart" not in html


def test_a_long_history_is_charted_whole_month_by_month(admin_client):
    """The score chart draws the newest 100 runs: a machine run every three days for a year
    had its first eight months, and the RAM upgrade of then, charted nowhere."""
    device = DeviceFactory()
    now = timezone.now()
    for i in range(120):
        BenchmarkFactory(
            device=device,
            run_at=now - timezone.timedelta(days=3 * i),
            latest=(i == 0),
            global_score=100.0 if i >= 100 else 130.0,
            cpu_score=100.0,
            validity="suspect" if i == 5 else "valid",
            snapshot__captured_at=now - timezone.timedelta(days=3 * i),
            snapshot__ram_total_mb=16384 if i >= 100 else 32768,  # upgraded 300 days ago
        )

    html = page(admin_client, device)

    whole = html.split('id="whole-history"', 1)[1].split("</fieldset>", 1)[0]
    assert "All 120 runs, month by month" in whole
    svg = whole.split("<svg", 1)[1].split("</svg>", 1)[0]
    months = {(r.year, r.month) for r in Benchmark.objects.values_list("run_at", flat=True)}
    assert svg.count("<circle") >= len(months) >= 12  # a point per month of the global score
    assert "RAM 16→32 GB" in svg  # the upgrade's marker


def test_a_history_the_table_holds_whole_gets_no_second_chart(admin_client):
    device = DeviceFactory()
    for i in range(3):
        BenchmarkFactory(device=device, run_at=timezone.now() - timezone.timedelta(days=40 * i))
    assert 'id="whole-history"' not in page(admin_client, device)


def test_acknowledge_from_the_device_page(admin_client, submit, example):
    example["hardware"]["storage"]["devices"][1]["smart_health"] = "FAILED"
    other = copy.deepcopy(example)
    other.update(device_identifier="other-nas", submission_id=str(uuid.uuid4()))
    other["hardware"]["system"] = {}
    submit(other)  # another machine's item: not in this one's past
    device_id = submit(example).json()["device_id"]
    from insights.models import AttentionItem

    item = AttentionItem.objects.get(device_id=device_id)
    url = f"/admin/inventory/device/{device_id}/attention/{item.pk}/acknowledge/"
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url)

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.closed_at is not None and item.closed_by == "admin"
    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()
    assert 'id="attention-items"' not in html
    # its past stays a click away: the items' list of this device, closed ones too
    past = html.split('id="past-attention"', 1)[1].split("</p>", 1)[0]
    assert "Nothing needs attention now." in past and "Its 1 closed item<" in past
    link = past.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert link == f"/admin/insights/attentionitem/?device={device_id}&state=all"
    listed = admin_client.get(link)
    assert [i.pk for i in listed.context["cl"].result_list] == [item.pk]


def test_times_the_clocks_go_through_twice_carry_their_zone(admin_client, settings):
    """Autumn's DST change in Paris: 02:45 CET, 02:15 CET and 02:30 CEST read unsorted without
    their zone (newest first: 00:30, 01:15 and 01:45 UTC)."""
    from benchsite.records_admin import local_time

    settings.TIME_ZONE = "Europe/Paris"
    device = DeviceFactory()
    for minute in (30, 75, 105):  # after midnight UTC, 2025-10-26
        BenchmarkFactory(
            device=device,
            run_at=datetime(2025, 10, 26, 0, 0, tzinfo=UTC) + timedelta(minutes=minute),
        )
    timezone.activate("Europe/Paris")
    try:
        assert local_time(datetime(2025, 10, 26, 0, 30, tzinfo=UTC)) == "2025-10-26 02:30 CEST"
        assert local_time(datetime(2025, 10, 26, 1, 15, tzinfo=UTC)) == "2025-10-26 02:15 CET"
        assert local_time(datetime(2025, 10, 26, 3, 0, tzinfo=UTC)) == "2025-10-26 04:00"
    finally:
        timezone.deactivate()
    listing = admin_client.get(f"/admin/benchmarks/benchmark/?device__id__exact={device.pk}")
    shown = re.findall(r"field-run_time[^>]*>(?:<a[^>]*>)?([^<]*)<", listing.content.decode())
    assert shown == ["2025-10-26 02:45 CET", "2025-10-26 02:15 CET", "2025-10-26 02:30 CEST"]
    # every page says which zone its times are in
    footer = listing.content.decode().split('id="time-zone">', 1)[1].split("</p>", 1)[0]
    assert footer.startswith("Times in Europe/Paris") and "the API and exports are in UTC" in footer
    assert listing.content.decode().count('id="footer"') == 1  # Django's own <footer>
    # a run's own page is titled in the same time, its zone named (it was UTC, unlabelled)
    run = Benchmark.objects.get(run_at=datetime(2025, 10, 26, 0, 30, tzinfo=UTC))
    html = admin_client.get(f"/admin/benchmarks/benchmark/{run.pk}/change/").content.decode()
    assert f"<h2>{device.hostname} @ 2025-10-26 02:30 CEST</h2>" in html
    # and so are its fields (Django wrote "2025-10-26 02:30" there, and "02:15" for the
    # next), and the snapshot's
    readonly = r'<div class="readonly">([^<]*)</div>'
    assert "2025-10-26 02:30 CEST" in re.findall(readonly, html)
    type(run.snapshot).objects.filter(pk=run.snapshot_id).update(captured_at=run.run_at)
    snapshot = admin_client.get(f"/admin/inventory/hardwaresnapshot/{run.snapshot_id}/change/")
    assert "2025-10-26 02:30 CEST" in re.findall(readonly, snapshot.content.decode())
    admin_client.logout()  # nor is the server's zone told to whoever is not logged in
    assert 'id="time-zone"' not in admin_client.get("/admin/login/").content.decode()


def test_what_is_said_outside_the_device_pages_names_the_zone_of_an_hour_gone_through_twice(
    admin_client, settings
):
    """A notification ("Opened 2026-10-25 02:25:18 .") and `restore` ("Made … 02:20:08 ", its
    newest run "02:25:23 ": it had arrived 55 minutes before the archive) said no zone for
    these times (Django's "T" is blank for them); nor did the device list's tooltip."""
    from benchsite.management.commands.restore import _when
    from insights.delivery import when

    settings.TIME_ZONE = "Europe/Paris"
    summer, winter = (datetime(2026, 10, 25, hour, 30, tzinfo=UTC) for hour in (0, 1))
    assert [when(summer), when(winter)] == ["2026-10-25 02:30:00 CEST", "2026-10-25 02:30:00 CET"]
    assert when(datetime(2026, 7, 1, 12, tzinfo=UTC)) == "2026-07-01 14:00:00 CEST"
    timezone.activate("Europe/Paris")  # as a management command runs: in TIME_ZONE
    try:
        assert [_when(summer), _when(winter)] == [when(summer), when(winter)]
    finally:
        timezone.deactivate()
    device = DeviceFactory()
    BenchmarkFactory(device=device, run_at=winter)
    Device.objects.filter(pk=device.pk).update(last_benchmark_at=winter)
    listing = admin_client.get("/admin/inventory/device/").content.decode()
    assert 'title="2026-10-25 02:30 CET"' in listing


def test_a_run_measured_by_another_test_than_the_run_before_is_marked(admin_client):
    """The memory and disk tests changed (issue 13): a machine's first run with the new
    bench.sh stepped its scores, and nothing on its page told the test from the machine."""
    device = DeviceFactory()
    now = timezone.now()
    old = {"cpu": "sysbench-1.0-cpu-v1", "memory": "sysbench-memory-v1", "disk": "fio-v1"}
    new = {**old, "memory": "sysbench-memory-v2", "disk": "fio-direct-v2"}
    for hours, methods in ((3, old), (2, old), (1, new)):
        BenchmarkFactory(device=device, run_at=now - timedelta(hours=hours), methods=methods)

    rows = page(admin_client, device).split('id="history"', 1)[1].split("</table>", 1)[0]

    marked = re.findall(r"measured another way: ([^<]+)</span>", rows)
    assert marked == ["memory, disk"]  # the newest run's, against the one before; no other


def test_a_category_measured_for_the_first_time_is_not_said_measured_another_way(admin_client):
    """A GPU skipped before (no score, no method) and measured now is a first figure, not a
    figure of another test than the run before's."""
    device = DeviceFactory()
    now = timezone.now()
    cpu = {"cpu": "sysbench-1.0-cpu-v1"}
    BenchmarkFactory(device=device, run_at=now - timedelta(hours=2), methods=cpu, gpu_score=None)
    BenchmarkFactory(
        device=device,
        run_at=now - timedelta(hours=1),
        methods={**cpu, "gpu": "glmark2-es2-offscreen-v1"},
        gpu_score=80.0,
    )

    rows = page(admin_client, device).split('id="history"', 1)[1].split("</table>", 1)[0]

    assert "measured another way" not in rows


def test_a_network_measured_on_loopback_after_one_across_the_lan_is_marked(admin_client):
    """The same iperf3 test against the machine itself: 2165 after 94 is no faster network,
    and the snapshot compare page said so where the history did not."""
    device = DeviceFactory()
    now = timezone.now()
    methods = {"network": "iperf3-tcp-1stream-up+down-10s-v1"}
    BenchmarkFactory(
        device=device, run_at=now - timedelta(hours=2), methods=methods, network_score=94.0
    )
    BenchmarkFactory(
        device=device,
        run_at=now - timedelta(hours=1),
        methods=methods,
        network_score=2165.0,
        excluded_categories=["network"],
    )

    rows = page(admin_client, device).split('id="history"', 1)[1].split("</table>", 1)[0]

    assert re.findall(r"measured another way: ([^<]+)</span>", rows) == ["network"]


def _chart_data(html: str, chart: str) -> tuple[list[str], list[list[str]]]:
    """The column heads and the rows (each cell's text) of a chart's data table."""
    table = html.split(f'id="{chart}-data"', 1)[1].split("</table>", 1)[0]
    head, body = table.split("<tbody>", 1)
    text = lambda cell: unescape(re.sub(r"<[^>]+>", "", cell))  # noqa: E731
    rows = [
        [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.split(r"<tr[^>]*>", body)[1:]
    ]
    return [text(h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', head)], rows


def _drawn(html: str, chart: str) -> tuple[list[str], list[str]]:
    """The titles of a chart's points as hovered, and of its hardware changes' markers."""
    svg = html.split(f'id="{chart}"', 1)[1].split("</svg>", 1)[0]
    markers = re.findall(r'<g class="bt-marker">.*?<title>([^<]*)</title>', svg)
    return page_titles(html, chart), [unescape(title) for title in markers]


def _assert_the_table_lists_what_is_drawn(html: str, chart: str) -> list[list[str]]:
    heads, rows = _chart_data(html, chart)
    points, markers = _drawn(html, chart)
    series = [head for head in heads[1:] if head not in ("Suspect run", "Hardware changed")]
    suspect = lambda row: row[len(series) + 1] if "Suspect run" in heads else ""  # noqa: E731
    listed = [
        f"{name} {value} — {row[0]}" + (f" — {suspect(row)}" if suspect(row) else "")
        for row in rows
        for name, value in zip(series, row[1 : len(series) + 1], strict=True)
        if value not in ("–", "")
    ]
    assert sorted(listed) == sorted(points) and len(points) > 0
    said = [row[-1] for row in rows if heads[-1] == "Hardware changed" and row[-1]]
    assert [change.split(": ", 1)[1] for change in markers] == said
    return rows


def test_each_chart_lists_the_points_it_draws_in_a_table(admin_client, submit, example):
    """A chart's values were only its points' tooltips, a mouse's; the history table shows 20
    runs of the chart's 100, the month-by-month chart had no table, and the SMART table sums
    readings up ("35–41 °C · 4 readings"): each chart's data is a table beside it, a click
    away, of exactly its points (every line's value, a suspect run, a hardware change)."""
    device = DeviceFactory()
    now = timezone.now()
    for i in range(120):
        BenchmarkFactory(
            device=device,
            run_at=now - timezone.timedelta(days=3 * i),
            latest=(i == 0),
            global_score=100.0 if i >= 99 else 130.0,
            validity="suspect" if i == 5 else "valid",
            validity_reasons=["busy"] if i == 5 else [],
            snapshot__captured_at=now - timezone.timedelta(days=3 * i),
            snapshot__ram_total_mb=16384 if i >= 99 else 32768,  # upgraded 99 runs ago
        )

    html = page(admin_client, device)

    history = html.split('id="score-history"', 1)[1].split("</fieldset>", 1)[0]
    # the runs' chart and the months'
    assert len(re.findall(r"<summary[^>]*>Chart data", history)) == 2
    rows = _assert_the_table_lists_what_is_drawn(html, "score-chart")
    heads, _ = _chart_data(html, "score-chart")
    # the factory's runs measure no network nor GPU: no column of dashes
    assert heads == ["Time", "global", "CPU", "memory", "disk", "Suspect run", "Hardware changed"]
    assert len(rows) == 100  # the chart's 100 runs, oldest first (the table above shows 20)
    runs = Benchmark.objects.order_by("-run_at")[:100]
    assert [row[0] for row in rows] == [local_time(run.run_at) for run in reversed(runs)]
    assert [row[5] for row in rows if row[5]] == ["suspect: machine busy"] and rows[94][5]
    assert [row[6] for row in rows if row[6]] == ["RAM 16→32 GB"] and rows[1][6]

    months = _assert_the_table_lists_what_is_drawn(html, "monthly-chart")
    assert len(months) >= 12 and months[0][0].endswith("(the month's mean)")
    assert [row[-1] for row in months if row[-1]] == ["RAM 16→32 GB"]


def test_a_disks_charts_list_their_points_in_a_table(admin_client, submit, example):
    disk = example["hardware"]["storage"]["devices"][1]
    started = timezone.now() - timezone.timedelta(days=3)
    for day, (temperature, reallocated) in enumerate(((35, 0), (41, 0), (39, 8))):
        disk.update(temperature_c=temperature, reallocated_sectors=reallocated)
        at = started + timezone.timedelta(days=day)
        example["results"]["conditions"] = {"started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        example["submission_id"] = str(uuid.uuid4())
        device_id = submit(example).json()["device_id"]

    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()

    # the SMART table has them as one row of "35–41 °C · 2 readings", then the one of 8 sectors
    temperatures = _assert_the_table_lists_what_is_drawn(html, "smart-2-temperature")
    assert [row[1:] for row in temperatures] == [["35"], ["41"], ["39"]]
    counters = _assert_the_table_lists_what_is_drawn(html, "smart-2-counters")
    assert _chart_data(html, "smart-2-counters")[0] == ["Time", "reallocated"]
    assert [row[1:] for row in counters] == [["0"], ["0"], ["8"]]


def test_each_line_of_a_chart_is_told_apart_without_its_colour(admin_client, upgraded):
    """Colour alone told the lines apart, and the CPU's hid under the global score's: each line
    has its dashes and its points their shape, its category's (inventory/schema.py), and the
    legend shows them, beside the chart (in it, at its right, a phone cut it off)."""
    device, _, _ = upgraded
    html = page(admin_client, device)
    svg, after = html.split('id="score-chart"', 1)[1].split("</svg>", 1)
    lines = re.findall(
        r'<polyline [^>]*?stroke-width="[^"]*"(?: stroke-dasharray="([^"]*)")? '
        r'class="bt-series bt-series-(\w+)"',
        svg,
    )
    # each series' points, by the label their hover titles begin with (their table's column)
    heads = _chart_data(html, "score-chart")[0]
    shapes = {
        heads[int(column)]: shape
        for shape, column in re.findall(
            r'<g class="bt-points bt-shape-([\w-]+)"[^>]*data-col="(\d+)"', svg
        )
    }
    labels = {"global": "global", **{c.name: c.label for c in CATEGORIES}}
    drawn = [(labels[name], dash, shapes[labels[name]]) for dash, name in lines]
    expected = [("global", "", "circle"), *((c.label, c.dash, c.marker) for c in CATEGORIES)]
    assert drawn == expected
    assert len({dash for _, dash, _ in drawn}) == len({shape for *_, shape in drawn}) == 6

    legend = after.split('<ul class="bt-chart-legend">', 1)[1].split("</ul>", 1)[0]
    keyed = [
        (
            re.sub(r"<[^>]+>", "", item).strip(),
            (re.findall(r'stroke-dasharray="([^"]*)"', item) or [""])[0],
            re.search(r"bt-shape-([\w-]+)", item)[1],
        )
        for item in re.findall(r"<li>(.*?)</li>", legend)[: len(expected)]
    ]
    assert keyed == expected


def _contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_charts_lines_and_marks_stand_out_on_light_and_dark(admin_client, submit, example):
    """Under 3:1, a line or a mark is hard to see: the hardware change's yellow marker was
    1.37:1 on white, the pending sectors' amber 2.61:1, the media errors' brown 2.86:1 on the
    dark mode's #121212."""
    disk = example["hardware"]["storage"]["devices"][0]  # an NVMe disk: it counts media errors
    for n in range(2):
        disk.update(reallocated_sectors=n, pending_sectors=n, offline_uncorrectable=n)
        disk.update(media_errors=n)
        example["submission_id"] = str(uuid.uuid4())
        device_id = submit(example).json()["device_id"]
    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()
    css = (Path(__file__).parents[1] / "static/benchsite/admin.css").read_text()

    charts = "".join(re.findall(r'<svg class="bt-chart".*?</svg>', html, re.S))
    assert "media errors" in charts and "pending" in charts
    colours = set(re.findall(r"(?:stroke|fill): (#[0-9a-f]{6})", charts))
    # the hardware changes' marker, as admin.css draws it
    stroke = re.search(r"\.bt-marker line \{ stroke: ([^;]+);", css)[1]
    if variable := re.fullmatch(r"var\((--[\w-]+)\)", stroke):
        stroke = re.search(rf"{variable[1]}: ([^;]+);", css)
        stroke = stroke and stroke[1]
    colours.add(stroke)
    assert len(colours) >= 5 + 4 + 1  # the categories', the SMART counters', the marker's
    for background in ("#ffffff", "#121212"):  # the admin's light and dark pages
        faint = {c: round(_contrast(c, background), 2) for c in colours if c and c[:1] == "#"}
        assert len(faint) == len(colours) and min(faint.values()) >= 3, (background, faint)


def test_each_box_that_scrolls_on_a_phone_is_named_and_reached_by_the_keyboard(
    admin_client, upgraded
):
    """On a narrow screen a chart and the tables without a link scroll in their own box,
    which a keyboard could not reach to scroll, nor a screen reader name (axe:
    scrollable-region-focusable)."""
    device, _, second = upgraded
    # every chart drawn: the two sound disks' too
    html = admin_client.get(f"/admin/inventory/device/{device.pk}/change/?all=charts")
    html = html.content.decode()

    charts = re.findall(r'<div class="bt-chart-wrap"[^>]*>', html)
    assert len(charts) == 3  # the scores', two disks' temperatures
    for chart in charts:
        assert 'tabindex="0" role="region" aria-label="Chart: ' in chart, chart
    tables = {
        name: re.search(rf'<table [^>]*id="{name}"[^>]*>', html)[0]
        for name in ("dimms", "disks", "smart-1", "partitions", "interfaces")
    }
    for name, table in tables.items():
        # a table still (a region it would not be), named by its aria-label or its caption
        assert 'tabindex="0"' in table and "role=" not in table, name
        caption = html.split(table, 1)[1].lstrip().startswith("<caption>")
        assert 'aria-label="' in table or caption, name

    compare = f"/admin/inventory/device/{device.pk}/compare/"
    table = re.search(r'<table [^>]*id="compare"[^>]*>', admin_client.get(compare).content.decode())
    assert 'tabindex="0"' in table[0] and 'aria-label="' in table[0]


def test_the_hostname_field_says_a_rename_here_alone_is_undone_by_the_next_run(
    admin_client, submit, example
):
    """Renamed in the admin only, a machine's next run renamed its device back, found by its
    machine-id, and nothing on the page had said so (the fleet admin's audit)."""
    device_id = submit(example).json()["device_id"]

    html = admin_client.get(f"/admin/inventory/device/{device_id}/change/").content.decode()

    assert "renamed here only, the device is renamed back by the machine" in html
    assert "--device NAME" in html

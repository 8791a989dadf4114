"""Two snapshots of a machine compared show the scores of their runs above their hardware: the
change from one to the other where both were measured alike, each run's validity and methods,
each a link to its own page; a run's page links to its comparison with the run before."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from benchmarks import validity
from benchmarks.tests.factories import BenchmarkFactory
from benchsite.templatetags.humanize_scores import NOT_COUNTED
from inventory.schema import CATEGORIES
from inventory.tests.factories import DeviceFactory, SnapshotFactory

from .accounts import staff_client
from .test_big_snapshot import QUERIES_COMPARE

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
ALIKE = {"cpu": "sysbench-1.0.20-cpu-prime20000-1t+allt-v1", "memory": "sysbench-mem-v3"}


def run(device, days_ago: int, **fields):
    """A run of the device `days_ago` days back, with a snapshot of that time."""
    at = timezone.now() - days_ago * DAY
    snapshot = SnapshotFactory(device=device, captured_at=at)
    return BenchmarkFactory(device=device, snapshot=snapshot, run_at=at, **fields)


def compared(client, before, after) -> str:
    response = client.get(
        f"/admin/inventory/device/{before.device_id}/compare/",
        {"a": before.snapshot_id, "b": after.snapshot_id},
    )
    assert response.status_code == 200
    return response.content.decode()


def text(cell: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def scores(html: str) -> dict[str, list[str]]:
    """The scores table's rows by name: the text of its cells (both runs', then the change)."""
    table = re.search(r'<table [^>]*id="compare-scores".*?</table>', html, re.S)[0]
    return {
        name: [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for name, row in re.findall(r'<tr data-row="(\w+)">(.*?)</tr>', table, re.S)
    }


def test_the_two_runs_scores_are_compared_in_percent_above_the_hardware(admin_client):
    device = DeviceFactory()
    before = run(device, 7, cpu_score=100.0, memory_score=80.0, methods=ALIKE)
    after = run(device, 0, cpu_score=88.0, memory_score=88.0, methods=ALIKE)

    html = compared(admin_client, before, after)

    assert f"<h1>{device}: two snapshots compared</h1>" in html  # their hardware and scores
    rows = scores(html)
    assert list(rows) == ["run", "global", *(c.name for c in CATEGORIES)]
    assert rows["cpu"] == [f"100.0 {ALIKE['cpu']}", f"88.0 {ALIKE['cpu']}", "−12.0 %"]
    assert rows["memory"] == [f"80.0 {ALIKE['memory']}", f"88.0 {ALIKE['memory']}", "+10.0 %"]
    assert rows["disk"] == ["100.0", "100.0", "0.0 %"]
    assert rows["network"] == ["–", "–", "–"]  # measured by neither
    change = (after.global_score - before.global_score) / before.global_score * 100
    assert rows["global"][2] == f"−{abs(round(change, 1)):g} %"
    assert html.index('id="compare-scores"') < html.index('id="compare"')
    for side in (before, after):  # each run a link to its own page, valid
        assert f'href="/admin/benchmarks/benchmark/{side.pk}/change/"' in html
    assert rows["run"][0].endswith("valid") and rows["run"][2] == ""
    # an account that may not view runs: the hardware alone
    hardware_only = staff_client("inventory.view_device", "inventory.view_hardwaresnapshot")
    html = compared(hardware_only, before, after)
    assert 'id="compare"' in html and 'id="compare-scores"' not in html
    assert "/admin/benchmarks/benchmark/" not in html


def test_a_category_measured_another_way_is_said_so_without_a_percentage(admin_client):
    device = DeviceFactory()
    before = run(device, 7, cpu_score=100.0, memory_score=80.0, methods=ALIKE)
    newer = {**ALIKE, "cpu": "sysbench-1.0.20-cpu-prime20000-1t+allt-v2"}
    after = run(device, 0, cpu_score=150.0, memory_score=88.0, methods=newer)

    rows = scores(compared(admin_client, before, after))

    assert rows["cpu"] == [f"100.0 {ALIKE['cpu']}", f"150.0 {newer['cpu']}", "measured another way"]
    assert rows["memory"][2] == "+10.0 %"  # measured alike: compared
    # the global score draws on the CPU's: not compared either, naming why
    assert rows["global"][2] == "measured another way: CPU"


def test_a_snapshot_without_a_run_and_one_with_several_say_so(admin_client):
    device = DeviceFactory()
    bare = SnapshotFactory(device=device, captured_at=timezone.now() - 7 * DAY)
    shared = SnapshotFactory(device=device)
    for days_ago, cpu in ((3, 70.0), (1, 90.0), (2, 80.0)):
        BenchmarkFactory(
            device=device,
            snapshot=shared,
            run_at=shared.captured_at - days_ago * DAY,
            cpu_score=cpu,
        )
    newest = device.benchmarks.get(cpu_score=90.0)

    html = admin_client.get(
        f"/admin/inventory/device/{device.pk}/compare/", {"a": bare.pk, "b": shared.pk}
    ).content.decode()

    rows = scores(html)
    assert rows["run"][0] == "no run with this snapshot"
    assert "the newest of 3 runs with this snapshot" in rows["run"][1]
    assert f'href="/admin/benchmarks/benchmark/{newest.pk}/change/"' in html
    assert rows["cpu"] == ["–", "90.0", "–"]  # its newest run's score, nothing to compare with


def test_a_suspect_run_carries_its_badge_and_reasons(admin_client):
    device = DeviceFactory()
    before = run(device, 7)
    after = run(device, 0, cpu_score=60.0, validity="suspect", validity_reasons=["busy", "noisy"])

    html = compared(admin_client, before, after)

    run_row = re.search(r'<tr data-row="run">(.*?)</tr>', html, re.S)[1]
    assert validity.badge("suspect", ["busy", "noisy"]) in run_row
    assert "suspect: machine busy, repeats disagree" in scores(html)["run"][1]
    assert scores(html)["cpu"][2] == "−40.0 %"


def test_a_network_on_loopback_is_not_counted_and_compares_only_with_one_on_loopback(
    admin_client,
):
    device = DeviceFactory()
    real = run(device, 14, network_score=90.0)
    loop = run(device, 7, network_score=900.0, excluded_categories=["network"])
    again = run(device, 0, network_score=990.0, excluded_categories=["network"])

    rows = scores(compared(admin_client, real, loop))
    assert rows["network"] == ["90.0", "900.0 not counted", "measured another way"]
    assert rows["global"][2] == "measured another way: network"
    html = compared(admin_client, loop, again)
    assert scores(html)["network"] == ["900.0 not counted", "990.0 not counted", "+10.0 %"]
    assert f'title="{NOT_COUNTED}">not counted</span>' in html  # as the device page says it


def test_the_compare_pages_queries_are_as_many_whatever_its_runs(
    admin_client, django_assert_num_queries
):
    device = DeviceFactory()
    before, after = run(device, 7), run(device, 0)
    for days_ago in range(1, 6):  # runs sharing the newest snapshot
        BenchmarkFactory(
            device=device, snapshot=after.snapshot, run_at=after.run_at - days_ago * DAY
        )
    compared(admin_client, before, after)
    with django_assert_num_queries(QUERIES_COMPARE):
        html = compared(admin_client, before, after)
    assert "the newest of 6 runs with this snapshot" in html


def test_a_runs_page_links_to_its_comparison_with_the_run_before(admin_client):
    device = DeviceFactory()
    first = run(device, 14)
    before = run(device, 7)
    BenchmarkFactory(device=device, snapshot=None, run_at=before.run_at + DAY)  # no snapshot
    latest = run(device, 0)

    html = admin_client.get(f"/admin/benchmarks/benchmark/{latest.pk}/change/").content.decode()

    link = re.search(r'<a href="([^"]+)" id="compare-run-before"[^>]*>([^<]+)</a>', html)
    assert unescape(link[1]) == (
        f"/admin/inventory/device/{device.pk}/compare/"
        f"?a={before.snapshot_id}&b={latest.snapshot_id}"
    )
    assert link[2] == "Compare with the run before"
    assert admin_client.get(unescape(link[1])).status_code == 200
    # the first run has none before it; an account that may not open the compare page no link
    page = admin_client.get(f"/admin/benchmarks/benchmark/{first.pk}/change/").content.decode()
    assert "compare-run-before" not in page
    runs_only = staff_client("benchmarks.view_benchmark", "inventory.view_device")
    page = runs_only.get(f"/admin/benchmarks/benchmark/{latest.pk}/change/").content.decode()
    assert "compare-run-before" not in page

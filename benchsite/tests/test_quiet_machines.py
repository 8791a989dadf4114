"""A machine gone quiet (inventory.quiet): in service, it has run bench.sh, and its latest run
is older than QUIET_AFTER_DAYS. Nothing told it: the dashboard ranked it with its old figures
forever. The dashboard's "Not heard from", the device list's "Last run" filter and the device
page's "No run for 23 days" say it, as of inventory.quiet.now (patched here to a fixed
moment); /api/devices?quiet=: inventory/tests/api/test_devices_quiet.py."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.tests.factories import BenchmarkFactory
from inventory import quiet
from inventory.models import Device
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(quiet, "now", lambda: NOW)
    return NOW


def ran(hostname: str, days_ago: float, **device) -> Device:
    """A machine whose latest run is `days_ago` days before NOW."""
    run = BenchmarkFactory(
        device__hostname=hostname, run_at=NOW - timedelta(days=days_ago), **device
    )
    return Device.objects.get(pk=run.device_id)


@pytest.fixture
def fleet():
    """Heard from 2 and 10 days ago; silent for 23 and 40 days (one of them retired), and one
    a second past 14 days; a machine never run."""
    ran("busy", 2)
    ran("weekly", 10)
    ran("gone-quiet", 23)
    ran("just-quiet", 14 + 1 / 86400)
    ran("old-nas", 40)
    Device.objects.filter(hostname="old-nas").update(retired_on=date(2026, 11, 1))
    DeviceFactory(hostname="never-run")


WEEKLY = {"conditions": {"scheduled": "weekly"}}


def panel(html: str) -> str:
    return unescape(html.split('id="quiet-machines"', 1)[1].split("</div>", 1)[0])


def test_the_dashboard_names_the_machines_in_service_not_heard_from_longest_silent_first(
    admin_client, fleet
):
    html = admin_client.get("/admin/").content.decode()

    shown = panel(html)
    assert re.findall(r'data-hostname="([^"]+)"', shown) == ["gone-quiet", "just-quiet"]
    assert "Not heard from" in shown
    gone = Device.objects.get(hostname="gone-quiet")
    url = reverse("admin:inventory_device_change", args=(gone.pk,))
    assert f'<a href="{url}">gone-quiet</a>' in shown
    assert '<span class="bt-when" title="last heard from 2026-11-12 12:00">23 days</span>' in shown
    assert ">14 days</span>" in shown  # a second past the 14 days: quiet
    # how many, and where they all are: the device list's filter
    assert '<a class="bt-h2-note" href="/admin/inventory/device/?last_run=quiet">2 machines' in (
        shown
    )
    assert "no run for over 14 days" in shown
    assert 'id="quiet-all"' not in shown  # all of them are shown


def test_a_machine_heard_from_within_the_setting_is_not_quiet(admin_client, settings):
    settings.QUIET_AFTER_DAYS = 30
    ran("monthly", 20)
    ran("gone-quiet", 23)

    html = admin_client.get("/admin/").content.decode()

    assert 'id="quiet-machines"' not in html


def test_no_panel_and_no_query_when_the_setting_is_0(
    admin_client, settings, django_assert_max_num_queries
):
    settings.QUIET_AFTER_DAYS = 0
    ran("gone-quiet", 400)
    admin_client.get("/admin/")  # warm the session

    # as before the panel existed (the hardware changes' panel, since, reads 1 more, and the
    # disks near the end of their life 1: none here)
    with django_assert_max_num_queries(12):
        html = admin_client.get("/admin/").content.decode()

    assert 'id="quiet-machines"' not in html
    # nor a "quiet" choice in the device list's filter, which would list none
    assert "quiet: over" not in admin_client.get("/admin/inventory/device/").content.decode()


def test_more_than_fit_are_counted_and_linked_in_three_queries(
    admin_client, django_assert_max_num_queries
):
    for n in range(14):
        ran(f"silent-{n:02d}", 15 + n)
    for n in range(40):
        ran(f"busy-{n:02d}", 1)
    admin_client.get("/admin/")  # warm the session

    # the dashboard's 12 queries, then the quiet machines shown, how many there are, and which
    # of those shown ran on a schedule
    with django_assert_max_num_queries(15):
        html = admin_client.get("/admin/").content.decode()

    shown = panel(html)
    hostnames = re.findall(r'data-hostname="([^"]+)"', shown)
    assert hostnames == [f"silent-{n:02d}" for n in range(13, 3, -1)]  # the 10 longest silent
    assert ">28 days</span>" in shown
    assert '<a href="/admin/inventory/device/?last_run=quiet" id="quiet-all">All 14' in shown
    assert ">14 machines in service with no run for over 14 days</a>" in shown


def test_the_device_list_filters_by_last_run(admin_client, fleet):
    def listed(query: str) -> list[str]:
        html = admin_client.get(f"/admin/inventory/device/?{query}").content.decode()
        return sorted(re.findall(r'class="field-hostname_marked[^"]*"><a [^>]*>([^<]+)<', html))

    assert listed("last_run=7d") == ["busy"]
    assert listed("last_run=30d") == ["busy", "gone-quiet", "just-quiet", "weekly"]
    # in service only: the retired machine's silence is its retirement
    assert listed("last_run=quiet") == ["gone-quiet", "just-quiet"]
    assert listed("last_run=never") == ["never-run"]
    filters = admin_client.get("/admin/inventory/device/").content.decode()
    assert "By last run" in filters
    assert "quiet: over 14 days, in service" in filters


def test_the_quiet_filter_costs_the_device_list_no_query(
    admin_client, django_assert_max_num_queries
):
    for n in range(30):
        ran(f"silent-{n:02d}", 15 + n)
        ran(f"heard-{n:02d}", 1)
    admin_client.get("/admin/inventory/device/")  # warm the session
    with CaptureQueriesContext(connection) as unfiltered:
        admin_client.get("/admin/inventory/device/")

    with django_assert_max_num_queries(len(unfiltered)):
        html = admin_client.get("/admin/inventory/device/?last_run=quiet").content.decode()

    assert "30 results" in html


def test_the_device_page_says_how_long_the_machine_has_not_run(admin_client, fleet):
    def page(hostname: str) -> str:
        device = Device.objects.get(hostname=hostname)
        url = reverse("admin:inventory_device_change", args=(device.pk,))
        return unescape(admin_client.get(url).content.decode())

    said = page("gone-quiet").split('id="quiet-since">', 1)[1].split("</p>", 1)[0]
    assert "No run for 23 days: its last bench.sh run was on 2026-11-12." in said
    for hostname in ("busy", "weekly", "old-nas", "never-run"):
        assert 'id="quiet-since"' not in page(hostname), hostname


def test_silence_is_counted_in_whole_days_to_now():
    last_run = NOW - timedelta(days=23, hours=23)
    assert quiet.days_silent(last_run, at=NOW) == 23
    assert quiet.days_silent(NOW + timedelta(hours=2), at=NOW) == 0  # a clock ahead
    assert quiet.days_said(1) == "1 day"


def test_the_panel_reads_the_arrivals_index_and_stops_at_what_it_shows():
    """The machines shown are the arrivals' index walked in its own order: with the whole fleet
    quiet (perf/reads.py), PostgreSQL sorted every device for "last_benchmark_at, id" (5 ms at
    10,000), and SQLite sorted each second's ties. Sorting is made as costly as it can be on
    PostgreSQL, which then sorts only where no index gives the order."""
    for n in range(12):
        ran(f"silent-{n:02d}", 15 + n)
    with CaptureQueriesContext(connection) as queries:
        shown, total = quiet.device_quiet_longest(limit=10, at=NOW)
    assert [d.hostname for d in shown] == [f"silent-{n:02d}" for n in range(11, 1, -1)]
    assert total == 12
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {queries[0]['sql']}")
        else:
            cursor.execute("ANALYZE")
            cursor.execute(f"EXPLAIN QUERY PLAN {queries[0]['sql']}")
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert "inventory_device_last_heard" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_panel_puts_a_machine_whose_clock_is_behind_where_its_silence_is():
    """A run dated 2024 by a clock behind, arrived 20 days ago, came first as the oldest run,
    before machines silent for 40 days, and its "20 days" beside it; with more quiet
    machines than the panel shows, the longest silent were left out."""
    behind = ran("clock-behind", 20)
    Device.objects.filter(pk=behind.pk).update(last_benchmark_at=datetime(2024, 1, 1, tzinfo=UTC))
    for n in range(3):
        ran(f"silent-{n}", 40 + n)

    shown, total = quiet.device_quiet_longest(limit=3, at=NOW)

    assert [d.hostname for d in shown] == ["silent-2", "silent-1", "silent-0"]
    assert total == 4
    assert [quiet.silence(d, at=NOW) for d in shown] == ["42 days", "41 days", "40 days"]


def test_a_machine_whose_clock_is_years_behind_is_heard_from_when_its_run_arrives(
    admin_client, api, example, monkeypatch
):
    """Its run is dated by its clock (conditions.started_at, CONTRACT Part 2, "Run time"):
    2024-01-01 on a machine whose RTC battery died. The dashboard listed it under "Recent
    submissions" and, on the same page, "Not heard from: last run 1069 days ago"; its page
    told to look at its cron line. What it is heard from by is its run's arrival."""
    arrived = NOW - timedelta(hours=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: arrived)
    example["results"].setdefault("conditions", {})["started_at"] = "2024-01-01T09:00:00Z"
    example["device_identifier"] = "old-clock"
    assert api.post("/api/benchmark", example, format="json").status_code == 201
    ran("gone-quiet", 23)
    monkeypatch.undo()
    monkeypatch.setattr(quiet, "now", lambda: NOW)
    device = Device.objects.get(hostname="old-clock")
    assert device.last_benchmark_at == datetime(2024, 1, 1, 9, 0, tzinfo=UTC)  # as the contract
    listed = api.get("/api/devices?quiet=true").json()["results"]

    html = admin_client.get("/admin/").content.decode()
    page = admin_client.get(reverse("admin:inventory_device_change", args=(device.pk,)))
    by_list = admin_client.get("/admin/inventory/device/?last_run=7d").content.decode()

    assert re.findall(r'data-hostname="([^"]+)"', panel(html)) == ["gone-quiet"]
    assert [d["hostname"] for d in listed] == ["gone-quiet"]
    assert 'id="quiet-since"' not in page.content.decode()
    assert ">old-clock<" in by_list  # heard from within 7 days


def test_a_machine_heard_from_last_by_a_run_dated_back_is_silent_since_its_arrival(
    admin_client,
):
    """Gone quiet after that run: its silence is counted from the run's arrival, 20 days ago,
    not from the date its clock wrote, 1,069 days."""
    run = BenchmarkFactory(
        device__hostname="old-clock",
        run_at=datetime(2024, 1, 1, 9, 0, tzinfo=UTC),
        received_at=NOW - timedelta(days=20),
    )
    device = Device.objects.get(pk=run.device_id)

    html = admin_client.get("/admin/").content.decode()
    page = unescape(
        admin_client.get(
            reverse("admin:inventory_device_change", args=(device.pk,))
        ).content.decode()
    )

    # its run's own date would say 1,069 days
    assert '<span class="bt-when" title="last heard from 2026-11-15 12:00">20 days</span>' in (
        panel(html)
    )
    assert "No run for 20 days: its last bench.sh run was on 2026-11-15." in page


def test_a_deletion_keeps_the_arrival_of_the_machines_latest_run_left():
    from benchmarks.models import Benchmark
    from benchmarks.services import benchmark_delete

    older = BenchmarkFactory(device__hostname="nas", run_at=NOW - timedelta(days=30))
    newer = BenchmarkFactory(device=older.device, run_at=NOW - timedelta(days=2))
    assert Device.objects.get(hostname="nas").last_received_at == newer.received_at

    benchmark_delete(benchmarks=Benchmark.objects.filter(pk=newer.pk))

    assert Device.objects.get(hostname="nas").last_received_at == older.received_at
    assert [d.hostname for d in quiet.devices_quiet(Device.objects.all(), at=NOW)] == ["nas"]


def test_a_machine_on_a_schedule_says_so_and_its_silence_points_at_the_schedule(admin_client):
    """bench.sh --schedule (1.3.0) sends conditions.scheduled with each run of its timer or cron
    job: the device page says the machine runs weekly on its own, also after a run by hand,
    and a silence asks after the timer rather than a cron line someone wrote."""
    weekly = {"conditions": {"scheduled": "weekly"}}
    device = BenchmarkFactory(
        device__hostname="lab-01", run_at=NOW - timedelta(days=30), results=weekly
    ).device
    BenchmarkFactory(device=device, run_at=NOW - timedelta(days=23))  # by hand since; silent
    ran("by-hand", 23)
    ran("odd", 23, results={"conditions": {"scheduled": "hourly"}})  # not a schedule bench.sh makes

    def page(hostname: str) -> str:
        pk = Device.objects.get(hostname=hostname).pk
        url = reverse("admin:inventory_device_change", args=(pk,))
        return unescape(admin_client.get(url).content.decode())

    html = page("lab-01")
    assert ">runs weekly</span>" in html
    said = html.split('id="quiet-since">', 1)[1].split("</p>", 1)[0]
    assert "It ran weekly on its own (bench.sh --schedule): is the machine up" in said
    for hostname in ("by-hand", "odd"):
        html = page(hostname)
        assert 'id="scheduled"' not in html, hostname
        assert "Is its cron line still there" in html.split('id="quiet-since">', 1)[1], hostname


def test_the_dashboard_says_which_quiet_machines_ran_on_a_schedule(
    admin_client, django_assert_num_queries
):
    """A quiet machine that ran on bench.sh --schedule is a timer or a cron job stopped (or its
    token revoked, the machine down), not one nobody set to run again: the dashboard's "Not
    heard from" said them alike. Its newest schedule is said, in one query for the panel."""
    device = ran("lab-01", 40, results={"conditions": {"scheduled": "daily"}})
    BenchmarkFactory(device=device, run_at=NOW - timedelta(days=30), results=WEEKLY)
    BenchmarkFactory(device=device, run_at=NOW - timedelta(days=23))  # by hand, the newest
    ran("by-hand", 25)
    ran("odd", 26, results={"conditions": {"scheduled": "hourly"}})
    admin_client.get("/admin/")  # the session warmed

    with CaptureQueriesContext(connection) as read:
        shown = panel(admin_client.get("/admin/").content.decode())

    assert sum("scheduled" in query["sql"] for query in read.captured_queries) == 1
    items = re.findall(r'data-hostname="([^"]+)">(.*?)</li>', shown, re.S)
    said = [(host, " ".join(re.findall(r"ran \w+ on its own", item))) for host, item in items]
    assert said == [("odd", ""), ("by-hand", ""), ("lab-01", "ran weekly on its own")]
    assert "its runs came from bench.sh --schedule weekly: has its timer or cron job stopped" in (
        shown
    )
    # as many queries for six more of them, scheduled (nine in all: fewer than the ten shown,
    # which are counted besides)
    for n in range(6):
        ran(f"rack-{n}", 30 + n, results=WEEKLY)
    with django_assert_num_queries(len(read.captured_queries)):
        shown = panel(admin_client.get("/admin/").content.decode())
    assert shown.count("ran weekly on its own") == 7


def test_an_account_that_may_not_view_runs_is_not_told_a_schedule(django_user_model, client):
    from django.contrib.auth.models import Permission

    ran("lab-01", 23, results=WEEKLY)
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_device"))
    client.force_login(user)

    shown = panel(client.get("/admin/").content.decode())

    assert 'data-hostname="lab-01"' in shown and "on its own" not in shown

"""The admin's lists cost what they show: a page reads of each row the columns it shows, not a
snapshot's JSON (6 MB at 4,096 disks) nor a run as sent, in as many queries whatever its rows
(perf/list_pages.py measures them with machines of 500 and 4,096 disks)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.tests.factories import BenchmarkFactory
from insights.models import Notification
from inventory.selectors import SNAPSHOT_SIZED_FIELDS

pytestmark = pytest.mark.django_db

DISKS = [{"name": f"/dev/sd{i}", "serial": f"S{i}", "model": "HUH721212AL5200"} for i in range(3)]
SNAPSHOT_JSON = {
    "storage": {"devices": DISKS},
    "network": {"interfaces": [{"name": "eno1", "mac": "3c:52:82:0a:1b:2c"}]},
    "raw": {"storage": {"devices": DISKS}},
    "disk_readings": DISKS,
    "disk_models": "HUH721212AL5200",
    "disk_serials": "S0\nS1\nS2",
    "addresses": "3c:52:82:0a:1b:2c",
}


def runs(count: int) -> None:
    """`count` machines, each a run and its snapshot with disks, the latest of its device."""
    for _ in range(count):
        BenchmarkFactory(
            results={"cpu": {"score": 100.0}},
            extra={"note": "x" * 100},
            methods={"cpu": "sysbench"},
            **{f"snapshot__{name}": value for name, value in SNAPSHOT_JSON.items()},
        )


def notifications(count: int) -> None:
    for i in range(count):
        Notification.objects.create(
            title=f"disk S{i} failing", body="x" * 100, type="warning", target="0" * 64
        )


SNAPSHOT = "inventory_hardwaresnapshot"
# each list, what makes its rows, the columns of a row it does not read, its queries: the
# session, the account, the count, the filters' choices, the page (the device list: and its
# rows' tags; the notifications: none but the page)
LISTS = {
    "snapshots": (
        "/admin/inventory/hardwaresnapshot/",
        runs,
        [(SNAPSHOT, name) for name in SNAPSHOT_SIZED_FIELDS],
        9,
    ),
    "devices": (
        "/admin/inventory/device/",
        runs,
        [(SNAPSHOT, name) for name in SNAPSHOT_SIZED_FIELDS],
        11,
    ),
    "benchmarks": (
        "/admin/benchmarks/benchmark/",
        runs,
        [("benchmarks_benchmark", name) for name in ("results", "extra", "methods", "weights")],
        7,
    ),
    "notifications": (
        "/admin/insights/notification/",
        notifications,
        [("insights_notification", "body")],
        5,
    ),
}


def columns_read(queries) -> set[tuple[str, str]]:
    """The (table, column) pairs the SELECTs name, as Django writes them ("table"."column")."""
    named = set()
    for query in queries:
        sql = query["sql"]
        if sql.lstrip().upper().startswith("SELECT"):
            named.update(re.findall(r'"(\w+)"\."(\w+)"', sql))
    return named


@pytest.mark.parametrize("name", LISTS)
def test_a_list_reads_what_it_shows_in_as_many_queries_whatever_its_rows(admin_client, name):
    url, make, unread, queries = LISTS[name]
    for count in (2, 5):
        make(count if count == 2 else count - 2)
        admin_client.get(url)  # the session's first reads
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(url)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == count
        assert len(captured) == queries, [q["sql"] for q in captured]
        assert not columns_read(captured) & set(unread)
    # what the list shows is there, read from the columns it reads
    assert str(response.context["cl"].result_list[0]) in response.content.decode()


# the lists' filters by a snapshot's columns stored after its JSON, and the index of each
INDEXES = {
    "os_name": "inventory_snap_os_release",
    "virtualization_type": "inventory_snap_virt",
    "architecture": "inventory_snap_arch",
}
FILTERED = {
    "/admin/inventory/hardwaresnapshot/": ("os_name", "virtualization_type", "architecture"),
    "/admin/inventory/device/": ("os_name", "virtualization_type"),
}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans")
@pytest.mark.parametrize("url", FILTERED)
def test_the_filters_by_os_virtualisation_and_architecture_read_their_choices_off_an_index(
    admin_client, url
):
    """On SQLite a column stored after a snapshot's JSON is reached through its JSON's pages:
    read off the rows, each filter's choices walked through every snapshot's 4.4 MB at 4,096
    disks (perf/list_pages.py), whatever the page showed."""
    runs(2)
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(url).status_code == 200
    for column in FILTERED[url]:
        (sql,) = (
            q["sql"] for q in captured if "DISTINCT" in q["sql"] and f'."{column}"' in q["sql"]
        )
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " / ".join(row[-1] for row in cursor.fetchall())
        assert f"USING COVERING INDEX {INDEXES[column]}" in plan, plan

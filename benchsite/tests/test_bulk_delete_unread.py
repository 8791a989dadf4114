"""*Delete selected* of snapshots and of devices reads none of their JSON (benchsite.bulk_delete:
unread, light, LightObjects): its page named and counted 20 machines' 600 snapshots of 500
disks by reading them whole, 0.8 GB of memory, and its deletion read them again, 28 s and
1.5 GB (perf/admin_actions.py --disks)."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Device, HardwareSnapshot
from inventory.selectors import SNAPSHOT_SIZED_FIELDS

from .test_bulk_delete import DEVICES, NOW, fleet, hidden_form, select_all

pytestmark = pytest.mark.django_db

SNAPSHOTS = "/admin/inventory/hardwaresnapshot/"
# a snapshot's JSON and texts that grow with its disks, a run's results as sent
LARGE = re.compile(
    r'"inventory_hardwaresnapshot"\."({})"|"benchmarks_benchmark"\."(results|extra)"'.format(
        "|".join(SNAPSHOT_SIZED_FIELDS)
    )
)


def history(devices: int, snapshots_each: int) -> None:
    """The fleet, each machine with `snapshots_each` weekly snapshots whose JSON tells a disk."""
    fleet(devices)
    disk = {"name": "/dev/sda", "serial": "WD-1", "model": "WD40EFRX", "capacity_gb": 4000}
    HardwareSnapshot.objects.update(storage={"devices": [disk]}, raw={"storage": [disk]})
    HardwareSnapshot.objects.bulk_create(
        HardwareSnapshot(
            device_id=pk,
            captured_at=NOW - timedelta(weeks=week),
            storage={"devices": [disk]},
            raw={"storage": [disk]},
        )
        for pk in Device.objects.values_list("pk", flat=True)
        for week in range(1, snapshots_each)
    )


def confirmed(client, url: str) -> tuple[str, list[str], list[str]]:
    """The page of "Select all N" with Delete selected, then its "Yes, I'm sure": the page's
    text, and the queries of each."""
    shown = HardwareSnapshot.objects.values_list("pk", flat=True)[:100]
    if url == DEVICES:
        shown = Device.objects.values_list("pk", flat=True)[:100]
    with CaptureQueriesContext(connection) as page_read:
        page = select_all(client, url, shown)
    assert page.status_code == 200
    with CaptureQueriesContext(connection) as deletion_read:
        response = client.post(url, hidden_form(page))
    assert response.status_code == 302

    def said(captured) -> list[str]:
        return [query["sql"] for query in captured]

    return page.content.decode(), said(page_read), said(deletion_read)


# the page: the session, the user, the list's count and selection, the collector's reads (a
# snapshot's device read with it; the device list's filters too); the deletion those again, its
# History lines, the deletes, the devices' latest snapshots found again (devices: their items
# told resolved). The same at 2 and 12 snapshots a machine.
@pytest.mark.parametrize("snapshots_each", [2, 12])
@pytest.mark.parametrize(("url", "most"), [(SNAPSHOTS, (6, 24)), (DEVICES, (21, 42))])
def test_the_page_and_the_deletion_read_no_snapshot_json_nor_run_results(
    admin_client,
    url,
    most,
    snapshots_each,
):
    history(3, snapshots_each)

    text, page, deletion = confirmed(admin_client, url)

    assert f"Hardware snapshots: {3 * snapshots_each}" in text  # counted, all of them
    assert "host-00001 @ " in text  # named, by their device
    assert [sql for sql in page + deletion if LARGE.search(sql)] == []
    assert len(page) <= most[0] and len(deletion) <= most[1]
    assert not HardwareSnapshot.objects.exists()
    if url == SNAPSHOTS:  # each snapshot's History line, named by its device
        lines = LogEntry.objects.filter(
            action_flag=DELETION, content_type__model="hardwaresnapshot"
        )
        assert lines.count() == 3 * snapshots_each
        assert all(
            line.startswith("host-0000") for line in lines.values_list("object_repr", flat=True)
        )

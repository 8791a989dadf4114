"""*Delete selected* of devices on "Select all N": devices_delete locked and deleted one device
at a time (8.65 s for 1,200 machines, its queries growing with each); now 500 at a time, their
rows locked first in the order of their pks, their open items notified "resolved" and their
history lines written as before."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import User
from django.test import Client

from benchmarks.models import Benchmark
from insights.models import AttentionItem, Kind, Notification, Severity
from insights.receivers import judge_again
from inventory.models import Device, HardwareSnapshot

from .test_bulk_delete import DEVICES, fleet, hidden_form

pytestmark = pytest.mark.django_db

URLS = ["json://127.0.0.1:8779/a", "json://127.0.0.1:8779/b"]


@pytest.fixture
def admin():
    client = Client()
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    return client


def with_items(devices: int) -> None:
    """The fleet, every other machine with an open disk_hot item, all of one CPU model."""
    fleet(devices)
    Device.objects.update(cpu_model_key="intel(r) core(tm) i7-6700 cpu @ 3.40ghz")
    AttentionItem.objects.bulk_create(
        AttentionItem(
            device_id=pk,
            kind=Kind.DISK_HOT,
            severity=Severity.WARNING,
            disk=f"WD-{pk}",
            message=f"disk /dev/sda (WD-{pk}) is at 61 °C",
        )
        for pk in Device.objects.values_list("pk", flat=True)[::2]
    )


def confirmed(client):
    shown = [str(pk) for pk in Device.objects.values_list("pk", flat=True)[:100]]
    page = client.post(
        DEVICES,
        {
            "action": "delete_selected",
            "select_across": "1",
            "index": "0",
            "_selected_action": shown,
        },
    )
    return hidden_form(page)


def test_every_device_goes_with_its_history_and_its_items_told_resolved(
    admin, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_URLS = URLS
    with_items(12)
    posted = confirmed(admin)

    with django_capture_on_commit_callbacks() as after:
        response = admin.post(DEVICES, posted)

    assert response.status_code == 302
    assert not Device.objects.exists() and not Benchmark.objects.exists()
    assert not HardwareSnapshot.objects.exists() and not AttentionItem.objects.exists()
    lines = LogEntry.objects.filter(action_flag=DELETION, content_type__model="device")
    assert sorted(lines.values_list("object_repr", flat=True)) == [
        f"host-{d:05d}" for d in range(1, 13)
    ]
    told = list(Notification.objects.values_list("title", flat=True))
    assert len(told) == 6 * len(URLS)  # each open item, once per URL
    assert all(title.endswith(": disk_hot resolved") for title in told)
    # the machines left with their CPU model judged again, once, after the commit
    (judge,) = [f for f in after if getattr(f, "func", None) is judge_again]
    assert judge.keywords == {"cpu_keys": {"intel(r) core(tm) i7-6700 cpu @ 3.40ghz"}}


# "Yes, I'm sure": the session, the user, the selection counted and read, its history lines;
# per 500 machines their lock, their open items read and notified (under the names their
# openings were sent under: insights.notify_names), the collector's reads and
# deletes of each kind of row that goes with them. It locked, read and deleted per machine.
@pytest.mark.parametrize("devices", [10, 60])
def test_deleting_devices_costs_no_query_more_per_device(
    admin,
    settings,
    devices,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
    warm_content_types,
):
    settings.NOTIFY_URLS = URLS
    with_items(devices)
    posted = confirmed(admin)
    with django_capture_on_commit_callbacks(), django_assert_max_num_queries(46):
        response = admin.post(DEVICES, posted)
    assert response.status_code == 302 and not Device.objects.exists()

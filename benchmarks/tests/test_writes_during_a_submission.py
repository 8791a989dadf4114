"""A person's write (a deletion, a rescore) while a submission of the same machine is being
stored, on real connections (one thread each): it waits for the submission and then sees it.

PostgreSQL only: there two transactions write at once; SQLite's writers take turns."""

import copy
import threading
import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

import benchmarks.services
from benchmarks.models import Benchmark
from benchmarks.services import benchmark_ingest, device_ranking_refresh
from benchmarks.validation import submission_validate
from benchsite.tests.markers import postgresql_only
from benchsite.tests.threads import in_thread
from insights.delivery import DEVICE_RETIRED
from insights.models import AttentionItem, Notification
from inventory.models import Device, HardwareSnapshot

pytestmark = [
    pytest.mark.django_db(transaction=True),
    postgresql_only("two transactions writing at once"),
]


def ingest(example, *, cpu: float = 100.0, host: str = "nas", system: dict | None = None):
    sent = copy.deepcopy(example)
    sent.update(device_identifier=host, submission_id=str(uuid.uuid4()))
    sent["hardware"]["system"] = system or {}
    for name in ("cpu", "memory", "disk", "network", "gpu"):
        sent["results"][name]["score"] = cpu if name == "cpu" else 100.0
    sent["results"].pop("global_score")
    return benchmark_ingest(submission=submission_validate(sent), document=sent)


@pytest.fixture
def held(monkeypatch):
    """Once armed (by `_while_held`), holds the next submission's transaction open once its run
    is recorded on the device, until `go_on` is set. A test's own submissions before it (the
    machine's first run) are stored at once: they waited the whole timeout, and the submission
    meant to be held was then not waited for."""
    armed, recorded, go_on = threading.Event(), threading.Event(), threading.Event()
    real = benchmarks.services.device_run_record

    def record_then_wait(**kwargs):
        changes = real(**kwargs)
        if armed.is_set():
            recorded.set()
            go_on.wait(timeout=10)
        return changes

    monkeypatch.setattr(benchmarks.services, "device_run_record", record_then_wait)
    return armed, recorded, go_on


def _while_held(held, storing, writing):
    """`storing` on one thread, held once its run is recorded; `writing` on another meanwhile,
    which waits for the submission's lock on the device; then both finish."""
    armed, recorded, go_on = held
    armed.set()
    submission, submission_failures = in_thread(storing)
    assert recorded.wait(timeout=10)
    write, write_failures = in_thread(writing)
    write.join(timeout=0.5)
    assert write.is_alive(), "the write did not wait for the submission's lock on the device"
    go_on.set()
    submission.join(timeout=10)
    write.join(timeout=10)
    assert submission_failures == write_failures == []


def test_deleting_a_machine_while_its_submission_is_stored_deletes_both(
    example, token_client, held
):
    device = ingest(example, cpu=100.0).device
    client = token_client("write")
    answers = []

    _while_held(
        held,
        lambda: ingest(example, cpu=90.0),
        lambda: answers.append(client.delete(f"/api/devices/{device.pk}").status_code),
    )

    assert answers == [204]  # it was a 500: the new run's snapshot still pointed at the device
    assert not Device.objects.exists()
    assert not Benchmark.objects.exists() and not HardwareSnapshot.objects.exists()


def test_a_rescore_during_a_submission_keeps_the_new_runs_figures(example, held):
    device = ingest(example, cpu=100.0).device

    _while_held(held, lambda: ingest(example, cpu=10.0), device_ranking_refresh)

    device.refresh_from_db()
    newest = Benchmark.objects.order_by("-run_at").first()
    assert device.cpu_score == 10.0 and device.global_score == newest.global_score
    assert device.last_benchmark_at == newest.run_at


def test_a_rename_submitted_twice_at_once_is_told_once(example, held):
    """Two submissions of a renamed machine at once (bench.sh retried, two servers): the second
    found the device renamed by the first once it could read its row, and told a rename of
    the new name to itself."""
    system = {"machine_id": "3f2a9c1e8b7d4e6fa1b2c3d4e5f60718"}
    ingest(example, host="old-name", system=system)

    _while_held(
        held,
        lambda: ingest(example, host="new-name", system=system),
        lambda: ingest(example, host="new-name", system=system),
    )

    device = Device.objects.get()
    assert device.hostname == "new-name" and device.benchmarks.count() == 3
    renames = LogEntry.objects.filter(change_message__startswith="Renamed by a submission")
    assert [entry.change_message for entry in renames] == [
        'Renamed by a submission (same machine_id): hostname "old-name" → "new-name"'
    ]


def test_a_retired_machine_submitted_twice_at_once_comes_back_once(example, held, settings):
    """Two runs of a retired machine at once (bench.sh retried, two servers): the second waits
    for the first's row, then finds the machine in service: one history line, the items its
    retirement closed reopened once, told once per URL."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]
    device = ingest(example).device
    item = AttentionItem.objects.create(
        device=device,
        kind="smart_failing",
        severity="critical",
        disk="WD-1",
        message="disk /dev/sda (WD-1) reports SMART FAILED",
        closed_at=timezone.now(),
        closed_by=DEVICE_RETIRED,
    )
    Device.objects.filter(pk=device.pk).update(retired_on=timezone.localdate() - timedelta(1))

    _while_held(held, lambda: ingest(example), lambda: ingest(example))

    assert Device.objects.get().retired_on is None
    back = LogEntry.objects.filter(change_message__startswith="Back in service")
    assert back.count() == 1
    item.refresh_from_db()
    assert (item.closed_at, item.closed_by) == (None, "")
    assert Notification.objects.filter(item=item).count() == 1

"""`manage.py rescore` on a whole fleet: its machines judged a batch at a time, in queries that
do not grow with their number (16 a machine made an upgrade of 100,000 runs wait minutes),
each machine judged as its own evaluation judges it."""

import io
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.tests.factories import BenchmarkFactory
from insights.models import AttentionItem, Notification
from inventory.columns import disk_readings
from inventory.models import Device
from inventory.services import devices_latest_snapshot_refresh
from inventory.tests.factories import DeviceFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

CPU = "Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz"
LOOPBACK = {"score": 2000.0, "target": "127.0.0.1", "method": "iperf3-tcp-1stream-v1"}
# each machine one of these, in turn: what its runs say, its last run's CPU score, its disk
MACHINES = (
    ("valid", {}, 100.0, "PASSED"),
    ("suspect", {"conditions": {"cpu_busy_percent": 80}}, 100.0, "PASSED"),
    ("loopback", {"network": LOOPBACK}, 100.0, "PASSED"),
    ("failing disk", {}, 100.0, "FAILED"),
    ("below its own and its peers", {}, 60.0, "PASSED"),
    ("below its peers, acknowledged", {}, 50.0, "PASSED"),
    ("below its own and its peers, below_peers muted", {}, 60.0, "PASSED"),
)


def fleet(size: int, models: int = 1) -> list[Device]:
    """`size` machines of one CPU model (CPU), or of `models` in turn, each as MACHINES says in
    turn, with 4 runs scored by an older version (every one
    rescored); some with items of before: one over, one worded otherwise, one acknowledged
    since the machine's newest run."""
    now = timezone.now()
    devices = []
    for i in range(size):
        what, results, last, health = MACHINES[i % len(MACHINES)]
        muted = {"below_peers": {"by": "alice", "at": "2026-12-06T10:00:00+00:00"}}
        device = DeviceFactory(attention_muted=muted if "muted" in what else {})
        disk = {"name": "/dev/sda", "serial": f"WD-{i:04d}", "model": "WD40EFRX"}
        storage = {"devices": [{**disk, "smart_health": health, "temperature_c": 35}]}
        snapshot = SnapshotFactory(
            device=device,
            cpu_model=CPU.replace("8500", str(8500 + i % models)),
            captured_at=now - timedelta(hours=4),
            storage=storage,
            disk_readings=disk_readings(storage),
        )
        for k, score in enumerate((100.0, 101.0, 99.0, last)):
            BenchmarkFactory(
                device=device,
                snapshot=snapshot,
                run_at=now - timedelta(hours=4 - k),
                cpu_score=score,
                network_score=LOOPBACK["score"] if "network" in results else None,
                results=results,
                scoring_version="0",
            )
        if what == "valid":  # below its peers once: over now
            AttentionItem.objects.create(
                device=device, kind="below_peers", severity="warning", category="global",
                message="global score 40 % below 4 other machines",
            )  # fmt: skip
        elif what == "failing disk":  # worded by an earlier version
            AttentionItem.objects.create(
                device=device, kind="smart_failing", severity="critical", disk=f"WD-{i:04d}",
                message="disk failing",
            )  # fmt: skip
        elif what == "below its peers, acknowledged":
            AttentionItem.objects.create(
                device=device, kind="below_peers", severity="warning", category="global",
                message="global score 50 % below", closed_at=now, closed_by="alice",
            )  # fmt: skip
        devices.append(device)
    devices_latest_snapshot_refresh(device_ids=[device.pk for device in devices])
    return devices


def outcome() -> tuple[list, list]:
    """The items and their notifications, as a person reads them (when aside)."""
    items = sorted(
        (item.device.hostname, item.kind, item.category, item.disk, item.message,
         item.severity, item.closed_at is None, item.closed_by)
        for item in AttentionItem.objects.select_related("device")
    )  # fmt: skip
    notifications = sorted(
        Notification.objects.values_list("item__device__hostname", "title", "type", "target")
    )
    return items, notifications


def judged_alone(devices: list[Device]) -> tuple[list, list]:
    """The outcome() of each of these machines judged alone, as attention_evaluate judges it
    after a rescore's runs (rolled back after)."""
    from insights.services import attention_evaluate

    before = transaction.savepoint()
    for device in devices:
        attention_evaluate(device=Device.objects.get(pk=device.pk), reevaluating=True)
    alone = outcome()
    transaction.savepoint_rollback(before)
    return alone


@pytest.mark.parametrize("size", [3, 30])
def test_rescore_judges_a_fleet_in_queries_that_do_not_grow_with_it(
    size, settings, django_assert_max_num_queries
):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/a", "json://127.0.0.1:9/b"]
    fleet(size)

    out = io.StringIO()
    with django_assert_max_num_queries(60):
        call_command("rescore", stdout=out)

    assert f"Attention re-evaluated on {size} device(s)" in out.getvalue()


def test_rescore_judges_a_fleet_of_many_cpu_models_in_the_queries_of_one(settings):
    """21 machines of one CPU model, then of 3: the rescore reads their peers, and on PostgreSQL
    takes their models' locks, in as many queries (2 a model and a batch, twice, and a lock
    statement a model before: hundreds for a fleet of hundreds of models), and judges each
    machine as its own evaluation does."""
    from benchmarks.rescoring import benchmark_rescore

    settings.NOTIFY_URLS = ["json://127.0.0.1:9/a"]
    queries = {}
    for models in (1, 3):
        empty = transaction.savepoint()
        devices = fleet(21, models)
        before = transaction.savepoint()
        benchmark_rescore()
        alone = judged_alone(devices)
        transaction.savepoint_rollback(before)

        with CaptureQueriesContext(connection) as rescore:
            call_command("rescore", stdout=io.StringIO())

        assert outcome() == alone
        queries[models] = len(rescore)
        transaction.savepoint_rollback(empty)
    assert queries[3] == queries[1] <= 60


def test_rescore_judges_each_machine_of_a_mixed_fleet_as_its_own_evaluation_does(settings):
    """What every machine opens, rewrites, keeps and closes, and what is notified, is what
    attention_evaluate gives each one judged alone after a rescore's runs."""
    from benchmarks.rescoring import benchmark_rescore
    from insights.reevaluation import attention_evaluate_all

    settings.NOTIFY_URLS = ["json://127.0.0.1:9/a"]
    devices = fleet(12)
    benchmark_rescore()  # the runs and the machines' figures, as rescore puts them first
    alone = judged_alone(devices)

    evaluated = attention_evaluate_all()

    assert outcome() == alone
    items, notifications = alone
    kinds = {(kind, is_open) for _, kind, _, _, _, _, is_open, _ in items}
    assert kinds == {
        ("below_peers", True), ("below_peers", False), ("score_regression", True),
        ("smart_failing", True),
    }  # fmt: skip
    # twice: one below its peers and its own baseline (3 items), one below its peers no more
    # (resolved), one failing disk (its item worded anew); once: one below its own (2, its
    # below_peers acknowledged since its newest run), one below its own with below_peers
    # muted (2), a peer of the others all the same
    assert (evaluated.devices, evaluated.opened, evaluated.resolved) == (12, 10, 2)
    opened = {(item[0], item[1]) for item in items if item[6]}
    muted = {host for host, kind in opened if kind == "score_regression"} - {
        host for host, kind in opened if kind == "below_peers"
    }
    assert muted == {devices[5].hostname, devices[6].hostname}
    assert len(notifications) == evaluated.opened + evaluated.resolved


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="concurrent writers: the suite's PostgreSQL run",
)
def test_a_rescore_locks_open_items_in_the_order_an_acknowledgement_locks_them():
    """Two machines cooled down: rescore closes their disk_hot items while a person
    acknowledges both, whose transaction locks them in the order of their ids (as a
    retirement does). The batch locked them as the table gave them, b (its machine's id
    first) then a: each waited for the other, and PostgreSQL rolled the rescore back."""
    from benchsite.tests.threads import in_thread_between_locks
    from insights.reevaluation import attention_evaluate_all

    cool = {"devices": [{"name": "/dev/sda", "serial": "S-1", "temperature_c": 30}]}
    devices = []
    for _ in range(2):
        device = DeviceFactory()
        snapshot = SnapshotFactory(device=device, storage=cool, disk_readings=disk_readings(cool))
        BenchmarkFactory(device=device, snapshot=snapshot)
        devices.append(device)
    item = {"kind": "disk_hot", "severity": "warning", "disk": "S-1", "message": "hot"}
    a = AttentionItem.objects.create(device=devices[1], **item)
    b = AttentionItem.objects.create(device=devices[0], **item)
    AttentionItem.objects.filter(pk=a.pk).update(message="hot!")  # its row rewritten after b's

    # an acknowledgement of both, its transaction about to lock b
    failures = in_thread_between_locks(
        attention_evaluate_all,
        AttentionItem.objects.filter(pk=a.pk),
        AttentionItem.objects.filter(pk=b.pk),
    )

    assert failures == []
    assert not AttentionItem.objects.filter(closed_at__isnull=True).exists()


def test_a_batch_judges_each_changing_machine_under_its_cpu_models_lock(monkeypatch):
    """A machine whose items change is judged again under its CPU model's lock, whatever
    changes: a batch locked only the models whose below_peers its first, unlocked reads
    opened or closed, so a peer's run moving the median between its two reads had
    below_peers opened or closed without the lock, half-written for the next judgment."""
    from benchmarks.rescoring import benchmark_rescore
    from insights import peer_selectors
    from insights.reevaluation import attention_evaluate_all
    from inventory.columns import model_key

    failing = fleet(4)[3]  # a failing disk, worded by an earlier version: its item changes
    Device.objects.exclude(pk=failing.pk).delete()
    benchmark_rescore()
    locked = []
    monkeypatch.setattr(peer_selectors, "peer_group_lock", locked.append)

    attention_evaluate_all()

    assert locked == [model_key(CPU)]
    item = AttentionItem.objects.get(device=failing, closed_at=None)
    assert (item.kind, item.message) != ("smart_failing", "disk failing")


@pytest.mark.parametrize(
    "meanwhile",
    [
        {"retired_on": "2026-01-05"},
        {"attention_muted": {"disk_hot": {"by": "alice", "at": "2026-01-05T09:00:00+00:00"}}},
    ],
    ids=["retired", "its disk_hot muted"],
)
def test_a_machine_retired_or_muted_while_a_rescore_judges_it_opens_nothing(
    run, monkeypatch, meanwhile
):
    """A rescore reads its batch, then writes under the locks what it still holds: a machine
    retired or muted between the two opened the item its first read wanted."""
    from insights import reevaluation

    run("nas", disks=[{"name": "/dev/sda", "serial": "WD-1", "temperature_c": 70}])
    AttentionItem.objects.all().delete()  # the rescore's first read would open it again
    written = reevaluation._written

    def changed_meanwhile(changing, locked):
        Device.objects.filter(hostname="nas").update(**meanwhile)
        return written(changing, locked)

    monkeypatch.setattr(reevaluation, "_written", changed_meanwhile)
    reevaluation.attention_evaluate_all()
    assert not AttentionItem.objects.exists()


def test_an_item_a_rescore_closes_says_it_changed_when_it_closed():
    """A machine whose disk cooled down: the rescore's batch closes its disk_hot item, and the
    item's updated_at (the API's, the admin's "updated") is the time it closed, as when a run
    closes it, not the day it was last seen to hold."""
    from insights.reevaluation import attention_evaluate_all

    cool = {"devices": [{"name": "/dev/sda", "serial": "S-1", "temperature_c": 30}]}
    device = DeviceFactory()
    snapshot = SnapshotFactory(device=device, storage=cool, disk_readings=disk_readings(cool))
    BenchmarkFactory(device=device, snapshot=snapshot)
    item = AttentionItem.objects.create(
        device=device, kind="disk_hot", severity="warning", disk="S-1", message="hot"
    )
    last_seen = timezone.now() - timedelta(days=3)
    AttentionItem.objects.filter(pk=item.pk).update(updated_at=last_seen)
    started = timezone.now()

    attention_evaluate_all()

    item.refresh_from_db()
    assert item.closed_at is not None and item.closed_at >= started
    assert item.updated_at == item.closed_at

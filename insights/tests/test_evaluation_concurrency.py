"""Two submissions of one machine whose evaluations overlap, on real connections (one thread
each): the items left open are those of the machine's latest run.

PostgreSQL only: there two transactions write at once, and the device's row is what orders a
submission after an evaluation. SQLite lets one transaction write at a time (the embedded
server's own order), and the suite's in-memory SQLite database cannot hold two at all."""

import copy
import os
import threading
import uuid
from datetime import UTC, datetime

import pytest

from benchmarks.services import benchmark_ingest
from benchmarks.validation import submission_validate
from benchsite.device_services import device_delete
from benchsite.submission_api import evaluate_attention
from benchsite.tests.threads import in_thread, in_thread_between_locks
from insights import notify
from insights.models import AttentionItem, Notification
from insights.services import attention_evaluate
from inventory.models import Device

from .machines import disk

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="concurrent writers: the suite's PostgreSQL run",
    ),
]


def document(example, *, hour, celsius):
    sent = copy.deepcopy(example)
    sent.update(device_identifier="nas", submission_id=str(uuid.uuid4()))
    sent["hardware"]["system"] = {}
    sent["hardware"]["storage"]["devices"] = [disk(smart_health="PASSED", temperature_c=celsius)]
    started = datetime(2026, 12, 3, hour, tzinfo=UTC)
    sent["results"]["conditions"] = {"started_at": started.isoformat()}
    return sent


def ingest(sent, **kwargs):
    return benchmark_ingest(submission=submission_validate(sent), document=sent, **kwargs)


def announce_paused(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """The first evaluation that announces a change waits there, inside its transaction (its
    items written), until `go_on`; `reached` says it got there."""
    reached, go_on = threading.Event(), threading.Event()
    real_announce = notify.announce

    def announce_slowly(changes):
        changes = list(changes)
        if changes and not reached.is_set():
            reached.set()
            go_on.wait(timeout=10)
        real_announce(changes)

    monkeypatch.setattr(notify, "announce", announce_slowly)
    return reached, go_on


def test_a_newer_run_stored_while_an_older_ones_item_is_being_written_closes_it(
    example, monkeypatch
):
    ingest(document(example, hour=8, celsius=40))
    hot = ingest(document(example, hour=9, celsius=65))  # stored; its evaluation comes late
    writing, go_on = announce_paused(monkeypatch)  # its item written, not yet committed
    late, late_failures = in_thread(
        lambda: attention_evaluate(
            device=hot.device, snapshot=hot.snapshot, newest_run_id=hot.benchmark_id
        )
    )
    assert writing.wait(timeout=10)
    # meanwhile the machine submits again, cooled down: its run is stored and evaluated
    cool, cool_failures = in_thread(
        lambda: ingest(document(example, hour=10, celsius=41), after_store=evaluate_attention)
    )
    cool.join(timeout=0.5)  # waits for the device's row, locked by the late evaluation
    go_on.set()
    late.join(timeout=10)
    cool.join(timeout=10)

    assert late_failures == cool_failures == []
    opened = AttentionItem.objects.get(kind="disk_hot")
    assert opened.closed_at is not None  # the latest run says 41 °C: not left open
    assert not AttentionItem.objects.filter(closed_at__isnull=True).exists()


def peer(example, host, *, cpu, model="Same CPU 1", disks=None):
    sent = copy.deepcopy(example)
    sent.update(device_identifier=host, submission_id=str(uuid.uuid4()))
    sent["hardware"]["system"] = {}
    sent["hardware"]["cpu"]["model"] = model
    if disks is not None:
        sent["hardware"]["storage"]["devices"] = disks
    for name in ("memory", "disk", "network", "gpu"):
        sent["results"][name] = None
    sent["results"]["cpu"] = {"score": cpu, "method": "sysbench-1.0-cpu-v1"}
    sent["results"].pop("global_score", None)
    return sent


def test_a_peers_run_while_a_machines_item_is_written_is_judged_after_it(example, monkeypatch):
    """p's below_peers item is being written when a1 runs at 50, which brings the others'
    median to p: a1's judgment of its peers waits for p's and closes the item (it read before
    the item was committed, saw no item to close, and the false alert stayed)."""
    for host, cpu in (("a1", 100.0), ("a2", 100.0), ("a3", 50.0)):
        ingest(peer(example, host, cpu=cpu), after_store=evaluate_attention)
    writing, go_on = threading.Event(), threading.Event()
    real_announce = notify.announce

    def announce_slowly(changes):  # inside p's evaluation's transaction, its item written
        changes = list(changes)
        if any(item.device.hostname == "p" for item, _ in changes) and not writing.is_set():
            writing.set()
            go_on.wait(timeout=10)
        real_announce(changes)

    monkeypatch.setattr(notify, "announce", announce_slowly)
    judged, judged_failures = in_thread(
        lambda: ingest(peer(example, "p", cpu=50.0), after_store=evaluate_attention)
    )
    assert writing.wait(timeout=10)
    faster, faster_failures = in_thread(
        lambda: ingest(peer(example, "a1", cpu=50.0), after_store=evaluate_attention)
    )
    faster.join(timeout=0.5)  # its judgment of the peers waits for p's
    go_on.set()
    judged.join(timeout=10)
    faster.join(timeout=10)

    assert judged_failures == faster_failures == []
    item = AttentionItem.objects.get(kind="below_peers", device__hostname="p")
    assert item.closed_at is not None  # others 50, 100, 50: median 50, p within it


def paused_at(monkeypatch, module, name, when):
    """Pause the first call of module.name for which when(*args) holds, until `go_on`."""
    reached, go_on = threading.Event(), threading.Event()
    real = getattr(module, name)

    def pausing(*args, **kwargs):
        if not reached.is_set() and when(*args, **kwargs):
            reached.set()
            go_on.wait(timeout=10)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, pausing)
    return reached, go_on


def test_a_rescore_while_a_machines_peers_are_judged_waits_for_no_one(example, monkeypatch):
    """a1's evaluation wrote its own items (its row locked), then judges p again, while a
    rescore locks every device row in order: p's, then a1's. The evaluation held a1's row to
    its end and waited for p's: a deadlock, and one of them was rolled back (a1's disk_hot
    item lost, or the rescore's ranking refresh failed)."""
    from benchmarks.services import device_ranking_refresh
    from insights import selectors

    for host, cpu in (("p", 50.0), ("a1", 100.0), ("a2", 100.0), ("a3", 50.0)):
        ingest(peer(example, host, cpu=cpu), after_store=evaluate_attention)
    p = AttentionItem.objects.get(device__hostname="p", closed_at__isnull=True).device
    reached, go_on = paused_at(monkeypatch, selectors, "device_lock", lambda pk: pk == p.pk)

    hot = [disk(smart_health="PASSED", temperature_c=65)]
    judging, judging_failures = in_thread(
        lambda: ingest(peer(example, "a1", cpu=50.0, disks=hot), after_store=evaluate_attention)
    )
    assert reached.wait(timeout=10)  # a1's items written, p about to be judged again
    refresh, refresh_failures = in_thread(device_ranking_refresh)
    refresh.join(timeout=5)  # it locks p's row and a1's: neither is held now
    go_on.set()
    judging.join(timeout=10)
    refresh.join(timeout=10)

    assert judging_failures == refresh_failures == [] and not refresh.is_alive()
    assert AttentionItem.objects.filter(kind="disk_hot", device__hostname="a1").exists()
    assert not AttentionItem.objects.filter(
        kind="below_peers", device=p, closed_at__isnull=True
    ).exists()  # others 50, 100, 50: p within their median


def test_two_machines_swapping_cpu_models_at_once_are_judged_one_after_the_other(
    example, monkeypatch, caplog
):
    """x moves from model A to B while y moves from B to A: each judges its new model's
    machines and its old one's. Taken as met, their locks deadlocked (x held B, waiting for A;
    y held A, waiting for B) and an evaluation was rolled back."""
    from insights import peer_selectors

    ingest(peer(example, "x", cpu=100.0, model="Model A"), after_store=evaluate_attention)
    ingest(peer(example, "y", cpu=100.0, model="Model B"), after_store=evaluate_attention)
    reached, go_on = paused_at(monkeypatch, peer_selectors, "peer_group", lambda *a, **k: True)

    x, x_failures = in_thread(
        lambda: ingest(
            peer(example, "x", cpu=100.0, model="Model B"), after_store=evaluate_attention
        )
    )
    assert reached.wait(timeout=10)  # x's evaluation is reading its new model's machines
    y, y_failures = in_thread(
        lambda: ingest(
            peer(example, "y", cpu=100.0, model="Model A"), after_store=evaluate_attention
        )
    )
    y.join(timeout=1)
    go_on.set()
    x.join(timeout=15)
    y.join(timeout=15)

    assert x_failures == y_failures == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # "evaluate_attention failed"


def test_a_lock_wait_that_times_out_gives_back_the_locks_it_had_taken(example):
    """x's CPU changed: its evaluation judges its new model's machines and its old one's, each
    under the model's lock. A wait that timed out (a lock_timeout set for the role) must leave
    no lock held by the kept connection: every evaluation of that model on every server would
    wait for it (a version that took both locks at once kept the first)."""
    from django.db import connection

    from insights import peer_selectors

    ingest(peer(example, "x", cpu=100.0, model="Model A"), after_store=evaluate_attention)
    second = max(("model a", "model b"), key=peer_selectors._lock_id)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with peer_selectors.peer_group_judged(second):
            holding.set()
            release.wait(timeout=10)

    holder, holder_failures = in_thread(hold)
    assert holding.wait(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    try:
        ingest(peer(example, "x", cpu=100.0, model="Model B"), after_store=evaluate_attention)
    finally:
        release.set()
        holder.join(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
            cursor.execute(
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            (held,) = cursor.fetchone()

    assert holder_failures == [] and held == 0


def test_a_models_lock_left_held_is_an_error_said_not_a_wait_for_ever(monkeypatch):
    """Behind PgBouncer in transaction mode the model's lock was taken on one server connection
    and let go on another: it stayed held, and every evaluation of that CPU model then waited
    for it, silently, until the pooler was restarted."""
    from django.db import OperationalError, connection

    from insights import peer_selectors
    from insights.services import attention_rejudge_peers

    monkeypatch.setattr(peer_selectors, "LOCK_WAIT", "300ms")
    holding, release = threading.Event(), threading.Event()

    def hold():  # another connection that keeps the lock
        with peer_selectors.peer_group_judged("model a"):
            holding.set()
            release.wait(timeout=10)

    holder, holder_failures = in_thread(hold)
    assert holding.wait(timeout=10)
    try:
        with pytest.raises(OperationalError, match="pool_mode = transaction"):
            attention_rejudge_peers(key="model a")
    finally:
        release.set()
        holder.join(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")  # the bound was the transaction's alone
        assert cursor.fetchone() == ("0",)
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        assert cursor.fetchone() == (0,)
    assert holder_failures == []


@pytest.fixture
def lock_held_elsewhere():
    """The CPU model "model a"'s lock, held by another connection until the test ends."""
    from insights import peer_selectors

    holding, release = threading.Event(), threading.Event()

    def hold():
        with peer_selectors.peer_group_judged("model a"):
            holding.set()
            release.wait(timeout=10)

    holder, holder_failures = in_thread(hold)
    assert holding.wait(timeout=10)
    yield
    release.set()
    holder.join(timeout=10)
    assert holder_failures == []


def test_the_lock_a_submissions_writes_take_is_bounded_too(monkeypatch, lock_held_elsewhere):
    """_settle opens or closes a below_peers item under the transaction's lock of its model:
    that wait had no end either."""
    from django.db import OperationalError, connection, transaction

    from insights import peer_selectors

    monkeypatch.setattr(peer_selectors, "LOCK_WAIT", "300ms")
    with pytest.raises(OperationalError, match="pool_mode = transaction"), transaction.atomic():
        peer_selectors.peer_group_lock("model a")
    with transaction.atomic(), connection.cursor() as cursor:
        peer_selectors.peer_group_lock("model b")  # free: granted at once
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("300ms",)  # bounded to the transaction's end
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("0",)  # and no further


def test_a_batchs_models_are_locked_in_one_statement_bounded_as_one_is(
    monkeypatch, lock_held_elsewhere, django_assert_num_queries
):
    """A rescore's batch locks the CPU models of its changing machines in one statement
    (one a model before: hundreds a batch of a fleet of as many models), each of them held to
    the transaction's end, and a wait for one held elsewhere is bounded and said."""
    from django.db import OperationalError, connection, transaction

    from insights import peer_selectors

    monkeypatch.setattr(peer_selectors, "LOCK_WAIT", "300ms")
    held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    with transaction.atomic(), connection.cursor() as cursor:
        with django_assert_num_queries(1):
            peer_selectors.peer_group_lock("model c", "model b", "", "model c")
        cursor.execute(held)
        assert cursor.fetchone() == (2,)
    with (
        pytest.raises(OperationalError, match=r"CPU models \['model a', 'model b'\]"),
        transaction.atomic(),
    ):
        peer_selectors.peer_group_lock("model b", "model a")
    with connection.cursor() as cursor:
        cursor.execute(held)
        assert cursor.fetchone() == (0,)


def test_a_cancelled_wait_is_said_as_it_is_not_as_a_lock_left_held(lock_held_elsewhere):
    from django.db import OperationalError, connection, transaction

    from insights import peer_selectors

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '300ms'")
    try:
        with pytest.raises(OperationalError) as raised, transaction.atomic():
            peer_selectors.peer_group_lock("model a")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    assert "statement timeout" in str(raised.value) and "pool_mode" not in str(raised.value)


def test_inside_a_transaction_the_locks_go_with_it_and_an_error_is_its_own():
    from django.db import DataError, connection, transaction

    from insights import peer_selectors

    with pytest.raises(DataError), transaction.atomic():  # not "current transaction is aborted"
        with peer_selectors.peer_group_judged("model a"), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        assert cursor.fetchone() == (0,)


def test_a_device_deleted_while_its_item_is_being_closed_is_told_resolved_once(
    example, settings, monkeypatch
):
    """The machine cools down and its evaluation is closing its disk_hot item when an admin
    deletes the machine: the deletion waits for the evaluation and finds the item closed (it
    read the item still open, and the receiver was told "resolved" twice)."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]  # the rows are what is counted
    ingest(document(example, hour=8, celsius=65), after_store=evaluate_attention)
    reached, go_on = announce_paused(monkeypatch)  # the cooled run's item closed, uncommitted
    cooled, cooled_failures = in_thread(
        lambda: ingest(document(example, hour=9, celsius=40), after_store=evaluate_attention)
    )
    assert reached.wait(timeout=10)
    deleted, deleted_failures = in_thread(
        lambda: device_delete(device=Device.objects.get(hostname="nas"))
    )
    deleted.join(timeout=0.5)  # waits for the device's row
    go_on.set()
    cooled.join(timeout=10)
    deleted.join(timeout=10)

    assert cooled_failures == deleted_failures == []
    assert not Device.objects.exists()
    titles = sorted(Notification.objects.values_list("title", flat=True))
    assert titles == ["nas: disk_hot", "nas: disk_hot resolved"]


def test_an_evaluation_locks_open_items_in_the_order_an_acknowledgement_locks_them(example):
    """The machine's two disks cooled down: its evaluation closes their disk_hot items while a
    person acknowledges both, whose transaction locks them in the order of their ids (as a
    rescore does). The evaluation locked them newest first (the items' default order): each
    waited for the other, and PostgreSQL rolled the evaluation back (both items left open)."""

    def two_disks(hour, celsius):
        sent = document(example, hour=hour, celsius=celsius)
        sent["hardware"]["storage"]["devices"] = [
            disk(serial=serial, smart_health="PASSED", temperature_c=celsius)
            for serial in ("S-1", "S-2")
        ]
        return sent

    ingest(two_disks(8, 65), after_store=evaluate_attention)
    a, b = AttentionItem.objects.order_by("pk")
    cooled = ingest(two_disks(9, 40))  # its evaluation comes below

    # an acknowledgement of both, its transaction about to lock b
    failures = in_thread_between_locks(
        lambda: attention_evaluate(
            device=cooled.device, snapshot=cooled.snapshot, newest_run_id=cooled.benchmark_id
        ),
        AttentionItem.objects.filter(pk=a.pk),
        AttentionItem.objects.filter(pk=b.pk),
    )

    assert failures == []
    assert not AttentionItem.objects.filter(closed_at__isnull=True).exists()

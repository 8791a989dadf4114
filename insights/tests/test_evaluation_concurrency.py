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
from benchsite.submission_api import evaluate_attention
from benchsite.tests.threads import in_thread
from insights import notify
from insights.models import AttentionItem
from insights.services import attention_evaluate

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


def test_a_newer_run_stored_while_an_older_ones_item_is_being_written_closes_it(
    example, monkeypatch
):
    ingest(document(example, hour=8, celsius=40))
    hot = ingest(document(example, hour=9, celsius=65))  # stored; its evaluation comes late
    writing, go_on = threading.Event(), threading.Event()
    real_announce = notify.announce

    def announce_slowly(changes):  # inside the evaluation's transaction, its item written
        changes = list(changes)
        if changes and not writing.is_set():
            writing.set()
            go_on.wait(timeout=10)
        real_announce(changes)

    monkeypatch.setattr(notify, "announce", announce_slowly)
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


def peer(example, host, *, cpu):
    sent = copy.deepcopy(example)
    sent.update(device_identifier=host, submission_id=str(uuid.uuid4()))
    sent["hardware"]["system"] = {}
    sent["hardware"]["cpu"]["model"] = "Same CPU 1"
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

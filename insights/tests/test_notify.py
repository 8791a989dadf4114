"""Notifications of attention items, delivered by Apprise to a real HTTP receiver on loopback.

Transactional tests: notifications leave after the commit, which a test wrapped in a rolled-back
transaction never reaches.
"""

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from insights import checks, notify
from insights.management.commands.notify_test import TITLE
from insights.models import AttentionItem
from insights.services import attention_evaluate
from inventory.columns import disk_readings
from inventory.models import Device

from .machines import disk

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SITE = "http://bench.test:8007"
FAILED = [disk(smart_health="FAILED", temperature_c=58)]
PASSED = [disk(smart_health="PASSED", temperature_c=34)]
DRAIN_S = 20  # far above a delivery to loopback; only a broken sender waits this long


@dataclass
class Receiver:
    url: str
    messages: list[dict] = field(default_factory=list)

    def titles(self) -> list[str]:
        return [message["title"] for message in self.messages]


@pytest.fixture
def receiver():
    """An HTTP server on 127.0.0.1 that keeps what Apprise's json:// posts to it."""
    messages = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            messages.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Receiver(f"json://127.0.0.1:{server.server_port}/hook", messages)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hanging():
    """A receiver that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"json://127.0.0.1:{sock.getsockname()[1]}/hook"


@pytest.fixture
def notify_to(settings):
    def configure(*urls, timeout=5.0):
        settings.NOTIFY_URLS = list(urls)
        settings.NOTIFY_TIMEOUT_S = timeout
        settings.SITE_URL = SITE

    yield configure
    assert notify.outbox.drain(DRAIN_S), "notifications still waiting after the test"


def sent() -> None:
    assert notify.outbox.drain(DRAIN_S)


def test_a_failing_disk_notifies_once_when_it_opens_and_once_when_it_resolves(
    notify_to, receiver, run
):
    notify_to(receiver.url)
    run(hours_ago=4, disks=PASSED)
    body = run(hours_ago=3, disks=FAILED)
    sent()

    (opened,) = receiver.messages
    item = AttentionItem.objects.get()
    assert opened["title"] == "nas: smart_failing"
    assert opened["type"] == "failure"
    assert opened["message"] == (
        "disk /dev/sda (WD-WCC7K1234567) reports SMART FAILED\n"
        # when, so that notifications arriving out of turn can be told apart
        f"Opened {item.opened_at:%Y-%m-%d %H:%M:%S} UTC.\n"
        f"{SITE}/admin/inventory/device/{body['device_id']}/change/"
    )

    run(hours_ago=2, disks=FAILED)  # still failing: the open item is updated, nobody is told
    run(hours_ago=1, disks=FAILED)
    sent()
    assert receiver.titles() == ["nas: smart_failing"]

    run(hours_ago=0, disks=PASSED)
    sent()
    assert receiver.titles() == ["nas: smart_failing", "nas: smart_failing resolved"]
    resolved = receiver.messages[1]
    assert resolved["type"] == "success"
    item.refresh_from_db()
    assert resolved["message"].splitlines() == [
        "disk /dev/sda (WD-WCC7K1234567) reports SMART FAILED",
        f"Resolved {item.closed_at:%Y-%m-%d %H:%M:%S} UTC.",
        f"{SITE}/admin/inventory/device/{body['device_id']}/change/",
    ]


def test_acknowledging_an_item_notifies_it_resolved_by_whom(notify_to, receiver, run, api):
    notify_to(receiver.url)
    run(hours_ago=1, disks=[disk(smart_health="PASSED", reallocated_sectors=1)])
    run(hours_ago=0, disks=[disk(smart_health="PASSED", reallocated_sectors=5)])
    item = AttentionItem.objects.get()

    assert api.post(f"/api/attention/{item.pk}/acknowledge").status_code == 200
    assert api.post(f"/api/attention/{item.pk}/acknowledge").status_code == 200  # closed already
    sent()

    assert receiver.titles() == ["nas: smart_degrading", "nas: smart_degrading resolved"]
    item.refresh_from_db()
    acknowledged = f"Acknowledged by API_TOKEN {item.closed_at:%Y-%m-%d %H:%M:%S} UTC."
    assert acknowledged in receiver.messages[1]["message"]


def test_a_receiver_that_never_answers_slows_no_submission_and_the_failure_is_logged(
    notify_to, hanging, run, caplog
):
    notify_to(hanging, timeout=3.0)
    run(hours_ago=1, disks=PASSED)

    started = time.monotonic()
    run(hours_ago=0, disks=FAILED)
    took = time.monotonic() - started
    assert AttentionItem.objects.filter(closed_at__isnull=True).count() == 1

    # the delivery waits its 3 s timeout in the background; the submission did not
    assert took < 1.0
    with caplog.at_level(logging.WARNING, logger="insights.notify"):
        sent()
    assert time.monotonic() - started >= 3.0
    port = hanging.rsplit(":", 1)[1].split("/")[0]
    failures = [r.getMessage() for r in caplog.records if r.name == "insights.notify"]
    assert failures == [f"notification 'nas: smart_failing' to json://127.0.0.1:{port}/hook failed"]


def test_nothing_is_sent_when_the_transaction_rolls_back(notify_to, receiver, run):
    notify_to(receiver.url)
    run(hours_ago=1, disks=PASSED)
    device = Device.objects.select_related("latest_snapshot").get()
    # the snapshot as if it had said FAILED, without the evaluation a submission makes
    device.latest_snapshot.storage = {"devices": FAILED}
    device.latest_snapshot.disk_readings = disk_readings(device.latest_snapshot.storage)
    device.latest_snapshot.save()

    with pytest.raises(RuntimeError), transaction.atomic():
        assert [event.kind for event in attention_evaluate(device=device)] == ["opened"]
        raise RuntimeError("the caller failed after the evaluation")
    sent()

    assert receiver.messages == []
    assert not AttentionItem.objects.exists()


def test_notify_test_reports_each_url_and_fails_when_one_fails(notify_to, receiver, hanging):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    refused = f"json://127.0.0.1:{closed.getsockname()[1]}/hook"
    notify_to(receiver.url, timeout=1.0)
    out = io.StringIO()

    call_command("notify_test", stdout=out)
    assert out.getvalue().splitlines() == [f"{receiver.url}: ok"]
    assert receiver.titles() == [TITLE]

    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3 URL"):
        call_command("notify_test", receiver.url, refused, "nope://x", stdout=out)
    closed.close()
    assert out.getvalue().splitlines() == [
        f"{receiver.url}: ok",
        f"{refused}: FAILED",
        "nope://…: FAILED",
    ]


def test_notify_test_without_urls_says_what_to_set(notify_to):
    notify_to()
    with pytest.raises(CommandError, match="NOTIFY_URLS is empty"):
        call_command("notify_test", stdout=io.StringIO())


def test_a_url_apprise_cannot_read_fails_the_checks(settings):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/ok", "nope://secret@host"]
    (error,) = checks.check_notify_urls(None)
    assert error.id == "insights.E001" and "secret" not in error.msg


@pytest.mark.django_db(transaction=False)
def test_a_burst_waits_in_one_thread_and_past_the_bound_is_dropped_and_logged(caplog):
    release, started = threading.Event(), threading.Event()
    delivered = []

    def slow_sender(job):
        started.set()
        release.wait(DRAIN_S)
        delivered.append(job.notification.title)

    box = notify.Outbox(limit=3, sender=slow_sender)
    job = notify.Job(notify.Notification("first", "", "info"), ("json://x",), 1.0)
    box.put([job])
    assert started.wait(DRAIN_S)  # the sender holds "first"; the queue is empty again
    threads = threading.active_count()

    burst = [
        notify.Job(notify.Notification(f"n{i}", "", "info"), ("json://x",), 1.0) for i in range(6)
    ]
    with caplog.at_level(logging.ERROR, logger="insights.notify"):
        box.put(burst)
    assert threading.active_count() == threads  # no thread per notification
    release.set()
    assert box.drain(DRAIN_S)

    assert delivered == ["first", "n0", "n1", "n2"]
    assert [r.getMessage() for r in caplog.records] == [
        f"notification 'n{i}' dropped: 3 already waiting" for i in (3, 4, 5)
    ]


@pytest.mark.django_db(transaction=False)
def test_what_an_exit_leaves_unsent_is_counted_and_named_the_one_in_flight_too(caplog):
    release, started = threading.Event(), threading.Event()

    def hanging_sender(job):
        started.set()
        release.wait(DRAIN_S)

    box = notify.Outbox(limit=10, sender=hanging_sender)
    jobs = [
        notify.Job(notify.Notification(title, "", "info"), ("json://x",), 1.0)
        for title in ("nas-01: smart_failing", "nas-01: disk_hot", "ws-2: below_peers")
    ]
    box.put(jobs)
    assert started.wait(DRAIN_S)  # the first is being sent, two wait

    with caplog.at_level(logging.ERROR, logger="insights.notify"):
        box.log_unsent()
    release.set()
    assert box.drain(DRAIN_S)

    assert [r.getMessage() for r in caplog.records] == [
        "3 notification(s) not sent before exit: 'nas-01: smart_failing'; "
        "'nas-01: disk_hot'; 'ws-2: below_peers'"
    ]


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "ENV_FILE": "/nonexistent/.env", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=False)
def test_notify_urls_are_read_space_or_comma_separated_and_need_site_url():
    urls = "json://127.0.0.1:9/a, ntfy://ntfy.example/topic\n json://127.0.0.1:9/b"
    show = "from django.conf import settings; print(settings.NOTIFY_URLS)"
    done = manage("shell", "-v", "0", "-c", show, NOTIFY_URLS=urls, SITE_URL="http://bench.lan/")
    assert done.stdout.strip() == str(
        ["json://127.0.0.1:9/a", "ntfy://ntfy.example/topic", "json://127.0.0.1:9/b"]
    ), done.stderr

    refused = manage("check", NOTIFY_URLS=urls, SITE_URL="")
    assert refused.returncode != 0 and "NOTIFY_URLS needs SITE_URL" in refused.stderr

    checked = manage("check", NOTIFY_URLS="nope://host/x", SITE_URL="http://bench.lan")
    assert checked.returncode != 0 and "insights.E001" in checked.stderr

"""Notifications of attention items, delivered by Apprise to a real HTTP receiver on loopback.

Transactional tests: notifications leave after the commit, which a test wrapped in a rolled-back
transaction never reaches.
"""

import datetime
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
from django.contrib.admin import AdminSite
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from benchsite.tests.markers import engine_independent, postgresql_only
from insights import checks, delivery, notify
from insights.admin import NotificationAdmin
from insights.management.commands.notify_test import TITLE
from insights.models import AttentionItem, Notification, condition_key
from insights.services import attention_evaluate
from inventory.columns import disk_readings
from inventory.models import Device

from .machines import disk

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SITE = "http://bench.test:8007"
FAILED = [disk(smart_health="FAILED", temperature_c=58)]
PASSED = [disk(smart_health="PASSED", temperature_c=34)]
# Apprise's words for a receiver that refuses the connection or does not answer in time
CONNECTION_ERROR = "not taken: A Connection error occurred sending JSON notification to 127.0.0.1."
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
    # polled every 0.05 s: shutdown() waits for the loop's next poll (0.5 s by default, each test)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
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
    assert notify.sender.drain(DRAIN_S), "notifications still due after the test"


def sent() -> None:
    assert notify.sender.drain(DRAIN_S)


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
        "disk /dev/sda WD40EFRX (WD-WCC7K1234567) reports SMART FAILED\n"
        # when: a retried notification arrives long after it was made
        f"Opened {item.opened_at:%Y-%m-%d %H:%M:%S} UTC.\n"
        # what to do, for a person who reads only this
        "To do: back up what is on this disk now, and replace it.\n"
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
        "disk /dev/sda WD40EFRX (WD-WCC7K1234567) reports SMART FAILED",
        f"Resolved {item.closed_at:%Y-%m-%d %H:%M:%S} UTC: this no longer holds "
        f"(open since {item.opened_at:%Y-%m-%d %H:%M:%S} UTC).",
        f"{SITE}/admin/inventory/device/{body['device_id']}/change/",
    ]


def test_a_machine_renamed_while_its_item_is_open_is_told_resolved_under_its_former_name(
    notify_to, receiver, run
):
    """A receiver pairs "opened" and "resolved" by their title: "nas: smart_failing", then
    "nas-2: smart_failing resolved", paired with nothing, left the first open for ever."""
    notify_to(receiver.url)
    body = run(hours_ago=2, disks=FAILED)
    sent()
    Device.objects.filter(pk=body["device_id"]).update(hostname="nas-2")  # the admin's rename
    run("nas-2", hours_ago=1, disks=PASSED)
    sent()

    assert receiver.titles() == ["nas: smart_failing", "nas: smart_failing resolved"]
    lines = receiver.messages[1]["message"].splitlines()
    assert lines[2] == "The machine is now named nas-2."
    # an item opened under the new name is told under it
    run("nas-2", hours_ago=0, disks=FAILED)
    sent()
    assert receiver.titles()[-1] == "nas-2: smart_failing"


def test_a_notification_tells_its_times_in_the_servers_time_zone_whoever_caused_it(
    notify_to, receiver, run, settings
):
    """An item opened by a submission (the API runs in UTC) was told "Opened 09:41:36 UTC",
    acknowledged in the admin "… 10:41:51 CET (open since 10:41:36 CET)": two clocks."""
    notify_to(receiver.url)
    settings.TIME_ZONE = "Europe/Paris"
    run(hours_ago=1, disks=FAILED)
    sent()
    item = AttentionItem.objects.get()
    opened = timezone.localtime(item.opened_at, timezone.get_default_timezone())
    assert f"Opened {opened:%Y-%m-%d %H:%M:%S} CET." in receiver.messages[0]["message"]


def test_without_site_url_a_notification_gives_the_device_page_s_path(
    notify_to, receiver, run, settings
):
    """NOTIFY_URLS alone, as the contract configures notifications: the server refused to
    start without SITE_URL (contract audit); it sends, with the page's path (check: a
    warning)."""
    notify_to(receiver.url)
    settings.SITE_URL = ""
    body = run(hours_ago=1, disks=FAILED)
    sent()

    (opened,) = receiver.messages
    assert opened["title"] == "nas: smart_failing"
    assert opened["message"].splitlines()[-1] == (
        f"/admin/inventory/device/{body['device_id']}/change/ on this server (no SITE_URL set)"
    )


def test_a_hot_disk_pulled_out_is_notified_resolved_as_gone_not_as_cooler(notify_to, receiver, run):
    """Its item closed "Resolved …: this no longer holds", read as a disk that cooled down."""
    notify_to(receiver.url)
    system = {"name": "/dev/nvme0n1", "serial": "S4EW-1", "smart_health": "PASSED"}
    run(hours_ago=1, disks=[system, disk(smart_health="PASSED", temperature_c=64)])
    sent()  # before the next write: the test database locks a table the sender reads
    run(hours_ago=0, disks=[system])
    sent()

    assert receiver.titles() == ["nas: disk_hot", "nas: disk_hot resolved"]
    first, second = receiver.messages[1]["message"].splitlines()[:2]
    assert first.endswith("is at 64 °C (limit 60 °C) (no longer in the machine)")
    assert second.startswith("Resolved ") and ": the disk is no longer in the machine (" in second


def test_an_item_a_rescore_closes_is_said_closed_by_the_rescore_not_as_over(
    notify_to, receiver, run, settings
):
    """DISK_HOT_C raised to 80, then `manage.py rescore`: the disk still at 70 °C was
    "Resolved …: this no longer holds"."""
    notify_to(receiver.url)
    run(hours_ago=1, disks=[disk(smart_health="PASSED", temperature_c=70)])
    sent()
    settings.DISK_HOT_C = 80

    call_command("rescore", stdout=io.StringIO())
    sent()

    assert receiver.titles() == ["nas: disk_hot", "nas: disk_hot resolved"]
    said = receiver.messages[1]["message"].splitlines()[1]
    assert said.startswith("Resolved ") and " by a rescore: judged again, with the " in said
    assert "on the same runs, it no longer holds" in said


def test_acknowledging_an_item_notifies_it_resolved_by_whom(notify_to, receiver, run, api):
    notify_to(receiver.url)
    run(hours_ago=1, disks=[disk(smart_health="PASSED", reallocated_sectors=1)])
    run(hours_ago=0, disks=[disk(smart_health="PASSED", reallocated_sectors=5)])
    item = AttentionItem.objects.get()
    # its "opened" sent first: the test database (SQLite in memory, shared cache) locks a table
    # a thread reads (the sender's due query joins the items) against another's write
    sent()

    assert api.post(f"/api/attention/{item.pk}/acknowledge").status_code == 200
    assert api.post(f"/api/attention/{item.pk}/acknowledge").status_code == 200  # closed already
    sent()

    assert receiver.titles() == ["nas: smart_degrading", "nas: smart_degrading resolved"]
    item.refresh_from_db()
    acknowledged = (
        f"Acknowledged by API_TOKEN {item.closed_at:%Y-%m-%d %H:%M:%S} UTC: closed by hand"
        " (an account or a token), not because it no longer holds"
    )
    assert acknowledged in receiver.messages[1]["message"]


def test_a_receiver_that_never_answers_slows_no_submission_and_the_failure_is_retried(
    notify_to, hanging, run, caplog
):
    notify_to(hanging, timeout=3.0)
    run(hours_ago=1, disks=PASSED)
    # Apprise loaded first, as a server's master loads it before forking its workers: its
    # import in the sender thread (~0.4 s of CPU) is not what this measures
    delivery.preload()

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
    (row,) = Notification.objects.all()
    assert (row.attempts, row.sent_at, row.failed_at) == (1, None, None)
    assert row.last_error == CONNECTION_ERROR
    # tried again 30 s later
    assert 25 <= (row.next_attempt_at - timezone.now()).total_seconds() <= 30
    failures = [r.getMessage() for r in caplog.records if r.name == "insights.notify"]
    # one line, a WARNING: ERROR is for a notification given up
    assert failures == [
        f"notification 'nas: smart_failing' to json://127.0.0.1:{port}/h...k: attempt 1 failed "
        f"({CONNECTION_ERROR}), "
        f"next at {row.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC",
    ]
    assert {r.levelname for r in caplog.records if r.name == "insights.notify"} == {"WARNING"}


def test_a_receiver_that_was_down_gets_the_notification_when_it_is_back(
    notify_to, receiver, run, settings, caplog
):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    down = f"json://127.0.0.1:{closed.getsockname()[1]}/hook"
    notify_to(receiver.url, down, timeout=1.0)
    run(hours_ago=1, disks=PASSED)
    run(hours_ago=0, disks=FAILED)
    sent()
    closed.close()
    assert receiver.titles() == ["nas: smart_failing"]  # one URL took it, the other was down
    waiting = Notification.objects.get(sent_at__isnull=True)
    # the hook's path as Apprise shows a token: whoever knows it may post to the hook
    assert (waiting.target_label, waiting.attempts) == (down.replace("/hook", "/h...k"), 1)

    # the receiver is back at the same address when the retry is due
    settings.NOTIFY_URLS = [down.replace(down.split("/")[2], receiver.url.split("/")[2])]
    Notification.objects.filter(pk=waiting.pk).update(
        target=notify.target_of(settings.NOTIFY_URLS[0]), next_attempt_at=timezone.now()
    )
    with caplog.at_level(logging.INFO, logger="insights.notify"):
        sent()

    assert receiver.titles() == ["nas: smart_failing", "nas: smart_failing"]
    waiting.refresh_from_db()
    assert (waiting.attempts, waiting.last_error) == (2, "")
    # its failure was logged: so is its end (the log said nothing of it)
    assert (
        f"notification 'nas: smart_failing' to {waiting.target_label} delivered at attempt 2"
        in caplog.messages
    )
    assert waiting.sent_at is not None and waiting.next_attempt_at is None


def test_nothing_is_sent_when_the_transaction_rolls_back(notify_to, receiver, run):
    notify_to(receiver.url)
    run(hours_ago=1, disks=PASSED)
    device = Device.objects.select_related("latest_snapshot").get()
    # the snapshot as if it had said FAILED, without the evaluation a submission makes
    device.latest_snapshot.storage = {"devices": FAILED}
    device.latest_snapshot.disk_readings = disk_readings(device.latest_snapshot.storage)
    device.latest_snapshot.save()

    with pytest.raises(RuntimeError, match="the caller failed"), transaction.atomic():
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
    said = receiver.url.replace("/hook", "/h...k")
    assert out.getvalue().splitlines() == [f"{said}: ok"]
    assert receiver.titles() == [TITLE]

    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3 URL"):
        call_command("notify_test", receiver.url, refused, "nope://x", stdout=out)
    closed.close()
    assert out.getvalue().splitlines() == [
        f"{said}: ok",
        f"{refused.replace('/hook', '/h...k')}: FAILED ({CONNECTION_ERROR})",
        "nope://…: FAILED (not an Apprise URL)",
    ]


def test_a_web_hooks_own_address_is_told_how_apprise_writes_it(notify_to):
    """A web hook's http:// address, what a person tries first, failed with "not an Apprise
    URL" and no word of json://; a URL without a scheme was named "ntfy.sh/topic://…"."""
    notify_to()
    out = io.StringIO()
    urls = ["http://127.0.0.1:9/hook", "https://hooks.lan/h?token=s3cret", "ntfy.sh/topic"]
    with pytest.raises(CommandError, match="3 of 3 URL"):
        call_command("notify_test", *urls, stdout=out)
    assert out.getvalue().splitlines() == [
        "http://…: FAILED (not an Apprise URL: a web hook's http:// address is written json://…"
        " for Apprise, which posts it JSON)",
        "https://…: FAILED (not an Apprise URL: a web hook's https:// address is written"
        " jsons://… for Apprise, which posts it JSON)",
        "(a URL without ://): FAILED (not an Apprise URL: it begins with its service, as"
        " ntfy://, mailto:// or json://)",
    ]


class Broken(BaseHTTPRequestHandler):
    """A receiver that answers every notification 500."""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("path", ["hook", "err"])
def test_a_receivers_error_answer_is_the_reason_given(notify_to, path):
    """Every failure read "not taken (refused, timed out, or an error answered)": which one
    it was, an admin could not tell. A path is masked where it stands as a word, not inside
    Apprise's words: "/err" made "error=500" "****or=500"."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"json://127.0.0.1:{server.server_port}/{path}"
    notify_to(url, timeout=2.0)
    out = io.StringIO()
    try:
        with pytest.raises(CommandError):
            call_command("notify_test", stdout=out)
    finally:
        server.shutdown()
        server.server_close()
    label = url.replace("/hook", "/h...k").replace("/err", "/e...r")
    assert out.getvalue().splitlines() == [
        f"{label}: FAILED (not taken: Failed to send JSON POST "
        "notification: Internal server error., error=500.)"
    ]


def test_an_ntfy_topic_is_in_no_reason_no_log_line_and_no_label(caplog):
    """A topic is an ntfy server's password (who knows it reads the notifications), which
    Apprise's warning names ("Failed to send ntfy notification to topic '…'"): the reason the
    admin shows and the log line gave it whole."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    topic = "fleet-alerts-Xq81zK"
    url = f"ntfy://127.0.0.1:{server.server_port}/{topic}"
    try:
        with caplog.at_level(logging.DEBUG):
            why = delivery.attempt(delivery.Notification("t", "b", "info"), url, timeout=2.0)
    finally:
        server.shutdown()
        server.server_close()
    assert why == (
        "not taken: Failed to send ntfy notification to topic '****': Internal server error., "
        "error=500."
    )
    assert "error=500" in caplog.text
    assert topic not in caplog.text
    # nor in its label, which the log and the notifications' page name it by
    assert delivery.redacted(url) == f"ntfy://127.0.0.1:{server.server_port}/f...K"


def test_a_threads_apprise_line_is_kept_while_another_threads_capture_ends(caplog):
    """Each capture of Apprise's lines added a filter to its logger and removed it at its
    end: a line passing through the filters while another thread's capture ended skipped the
    next filter, its own thread's, and went to the log, not kept (the line of a mail URL not
    loaded gives the password's first and last letters)."""
    log = logging.getLogger("apprise")
    entered, leave = threading.Event(), threading.Event()
    line = "Could not load E-Mail URL: mailto://bench:s...w@lan"

    def other() -> None:
        with delivery.apprise_says(shown=logging.CRITICAL + 1):
            entered.set()
            leave.wait(10)

    other_thread = threading.Thread(target=other)
    other_thread.start()
    entered.wait(10)

    def meanwhile(record: logging.LogRecord) -> bool:  # the other capture ends now
        if record.thread == threading.get_ident():
            leave.set()
            other_thread.join(10)
        return True

    log.addFilter(meanwhile)
    try:
        with (
            caplog.at_level(logging.DEBUG),
            delivery.apprise_says(shown=logging.CRITICAL + 1) as said,
        ):
            log.warning(line)
    finally:
        leave.set()
        other_thread.join(10)
        log.removeFilter(meanwhile)
    assert said == [(logging.WARNING, line)]
    assert line not in caplog.text


def test_notify_test_without_urls_says_what_to_set(notify_to):
    notify_to()
    with pytest.raises(CommandError, match="NOTIFY_URLS is empty"):
        call_command("notify_test", stdout=io.StringIO())


def test_a_url_apprise_cannot_read_fails_the_checks(settings):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/ok", "nope://secret@host"]
    (error,) = checks.check_notify_urls(None)
    assert error.id == "insights.E001" and "secret" not in error.msg
    settings.NOTIFY_URLS = ["http://hooks.lan/secret"]
    (error,) = checks.check_notify_urls(None)
    assert "http://… is not an Apprise URL: a web hook's http:// address is written json://…" in (
        error.msg
    )


def _due(n: int, url: str, *, created_ago_h: float = 0.0) -> list[Notification]:
    made = timezone.now() - datetime.timedelta(hours=created_ago_h)
    rows = Notification.objects.bulk_create(
        Notification(
            title=f"n{i}",
            body=f"body {i}",
            type="info",
            target=notify.target_of(url),
            target_label=url,
            next_attempt_at=made,
        )
        for i in range(n)
    )
    Notification.objects.update(created_at=made)
    return rows


def test_text_a_machine_sent_is_shown_not_rendered_by_the_receiver(notify_to, receiver, run):
    """A disk named with markup or with line breaks went raw into the body: an HTML receiver
    (mail) rendered its link and image, and plain receivers showed forged lines beside the
    device's link."""
    notify_to(receiver.url.replace("/hook", "/hook?format=html"))  # a receiver of HTML
    hostile = '/dev/sdb\n<a href="http://evil.example/">fix</a>'
    run(disks=[disk(name=hostile, serial=None, smart_health="FAILED")])
    sent()

    (message,) = receiver.messages
    body = message["message"].replace("&nbsp;", " ")
    assert "<a href" not in body
    assert "&lt;a href=&quot;http://evil.example/&quot;&gt;fix&lt;/a&gt;" in body
    # one line for the item: the machine's line break is a space
    assert body.startswith("disk /dev/sdb &lt;a href")


def test_controls_and_direction_overrides_a_machine_sent_are_not_passed_on(
    notify_to, receiver, run
):
    """A serial with a right-to-left override and an ANSI escape reached the receiver as sent:
    a chat showed it backwards, a terminal reading the log ran the escape."""
    notify_to(receiver.url)
    run(disks=[disk(serial="WD\u202eK12\x1b[31m\u2066", smart_health="FAILED")])
    sent()

    (message,) = receiver.messages
    assert message["message"].startswith("disk /dev/sda WD40EFRX (WDK12[31m) reports SMART FAILED")


def test_a_link_or_a_mention_a_machine_sent_is_shown_not_acted_on_by_a_chat(
    notify_to, receiver, run
):
    """Discord and Mattermost render a text message's Markdown and mentions, which Apprise
    passes on as they are: a submit token's machine named its disk "[URGENT: click to
    re-enable SMART](https://evil.example/phish)", a link in the alert, and itself
    "web-01 @everyone", which pinged the whole channel."""
    notify_to(receiver.url)
    link = "[URGENT: click to re-enable SMART](https://evil.example/phish)"
    failing = "FAILED <@&123456789012345678> <!here> <#42> <@!7>"  # a role, all, a channel
    run("web-01 @everyone", disks=[disk(model=link, serial="<@123456>", smart_health=failing)])
    sent()

    (message,) = receiver.messages
    said = message["title"] + "\n" + message["message"]
    assert (
        "](" not in said
        and "[URGENT: click to re-enable SMART] (https://evil.example/phish)" in said
    )
    assert "@everyone" not in said and "web-01 @\u200beveryone: smart_failing" == message["title"]
    assert "<@\u200b123456>" in said
    for mention in ("<@&", "<!here", "<#42", "<@!7"):  # each parted, so no chat acts on it
        assert mention not in said, said
    assert "<@\u200b&123456789012345678> <\u200b!here> <\u200b#42> <@\u200b!7>" in said
    # as stored, and as the admin shows it: what was sent, not what a chat would make of it
    assert Notification.objects.get().title == "web-01 @everyone: smart_failing"


def test_a_burst_is_sent_in_turn_by_one_thread(notify_to, receiver):
    notify_to(receiver.url)
    _due(6, receiver.url)  # left due by a process that stopped, or made by a rescore

    def senders() -> int:
        # the process's threads but the receiver's own (a thread per request it answers, one
        # of which may not have ended yet when the count is taken: a CI run counted it)
        return sum("process_request_thread" not in thread.name for thread in threading.enumerate())

    threads = senders()

    sent()

    assert senders() <= threads + 1  # the sender, not a thread per notification
    assert receiver.titles() == [f"n{i}" for i in range(6)]
    assert Notification.objects.filter(sent_at__isnull=False, attempts=1).count() == 6


def test_two_senders_on_one_database_send_each_notification_once(notify_to, receiver):
    """As two worker processes or two servers do: each notification is claimed by one."""
    notify_to(receiver.url)
    _due(12, receiver.url)
    other = notify.Sender()

    assert other.drain(DRAIN_S)
    other.stop()
    sent()

    assert sorted(receiver.titles()) == sorted(f"n{i}" for i in range(12))
    assert Notification.objects.filter(attempts=1, sent_at__isnull=False).count() == 12


@postgresql_only("a claim waiting on another's row lock, which SQLite's writers never do")
def test_two_senders_that_read_a_notification_due_at_once_claim_it_once(notify_to, receiver):
    """Two senders read the row due, the first claims it (its row lock held until it commits),
    the second's claim waits for that lock: it claimed the row too, as the first had left it
    unread, and the receiver got the notification twice."""
    notify_to(receiver.url)
    [row] = _due(1, receiver.url)
    row.next_attempt_at = timezone.now() + datetime.timedelta(hours=1)  # not the sender's
    row.save(update_fields=["next_attempt_at"])
    read_at = row.next_attempt_at + datetime.timedelta(seconds=1)  # when both read it due
    lease = read_at + datetime.timedelta(minutes=5)
    claimed, holding, release = {}, threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                claimed["first"] = notify.claim_row(row, read_at, lease)
                holding.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    def second():
        try:
            claimed["second"] = notify.claim_row(row, read_at, lease)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert holding.wait(timeout=10)
    threads[1].start()
    try:
        _until_waiting_on_a_lock()
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=10)

    assert claimed == {"first": True, "second": False}


def _until_waiting_on_a_lock(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # read afresh: within a transaction, the first read's snapshot is kept
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the second claim never waited on the first's lock")


def test_a_notification_is_given_up_after_notify_retry_hours(notify_to, caplog, settings):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    down = f"json://127.0.0.1:{closed.getsockname()[1]}/hook"
    notify_to(down, timeout=1.0)
    settings.NOTIFY_RETRY_HOURS = 24
    # made 23 h 59 min 56 s ago: a retry 30 s after this attempt would come after 24 h
    (row,) = _due(1, down, created_ago_h=24 - 4 / 3600)

    with caplog.at_level(logging.ERROR, logger="insights.notify"):
        sent()
    closed.close()

    row.refresh_from_db()
    assert row.state == "given up" and row.next_attempt_at is None and row.attempts == 1
    assert (
        f"notification 'n0' to {down} given up after 1 attempts ({CONNECTION_ERROR})"
    ) in caplog.messages


def test_a_process_ending_while_its_sender_sends_waits_for_that_notification(notify_to, receiver):
    """A process ending (a manage.py rescore) while its thread was sending: the row it had
    claimed is no longer due, so the exit waited for nothing and cut the send short; a server
    sent it once the claim ran out, about 50 s later (twice, had the receiver got it)."""
    notify_to(receiver.url)
    _due(1, receiver.url)
    sending = threading.Event()

    def slow(notification, url, *, timeout):
        sending.set()
        time.sleep(0.5)  # the receiver is slow to answer
        return notify.attempt(notification, url, timeout=timeout)

    sender = notify.Sender(deliver=slow)
    sender.wake()
    assert sending.wait(10)

    sender._exit()  # what atexit runs
    sender.stop()

    assert Notification.objects.get().sent_at is not None
    assert receiver.titles() == ["n0"]


def test_a_process_ending_just_as_its_sender_claims_a_row_waits_for_it(
    notify_to, receiver, monkeypatch
):
    """Between the claim and the "sending" flag the row is neither due nor said sent: a
    rescore ending then did not wait, its thread's post was cut short or made unrecorded, and
    a server sent it again once the claim ran out (a receiver got it twice)."""
    notify_to(receiver.url)
    _due(1, receiver.url)
    claimed, go_on = threading.Event(), threading.Event()
    claim = notify.claim_row

    def claim_then_pause(*args):
        got = claim(*args)
        claimed.set()
        go_on.wait(10)  # the exit looks now: claimed, not yet sending
        return got

    monkeypatch.setattr(notify, "claim_row", claim_then_pause)
    sender = notify.Sender()
    sender.wake()
    assert claimed.wait(10)
    threading.Timer(0.3, go_on.set).start()

    sender._exit()  # what atexit runs: the process ends as it returns
    sent_by_then = Notification.objects.get().sent_at
    sender.stop()

    assert sent_by_then is not None
    assert receiver.titles() == ["n0"]


def test_an_exit_waits_for_a_delivery_under_way_up_to_its_deadline(
    notify_to, receiver, monkeypatch
):
    """A delivery may take three timeouts in all (a slow relay): an exit that waited 10 s gave
    one of 15 s up, its receiver got it, and another server sent it again."""
    notify_to(receiver.url, timeout=1.0)  # a deadline of 3 s
    monkeypatch.setattr(notify, "EXIT_WAIT_S", 0.2)
    _due(1, receiver.url)
    sending = threading.Event()

    def slow(notification, url, *, timeout):
        sending.set()
        time.sleep(1.0)  # longer than EXIT_WAIT_S, within the deadline
        return notify.attempt(notification, url, timeout=timeout)

    sender = notify.Sender(deliver=slow)
    sender.wake()
    assert sending.wait(10)
    sender._exit()
    sent_by_then = Notification.objects.get().sent_at
    sender.stop()

    assert sent_by_then is not None and receiver.titles() == ["n0"]


def test_an_exit_begins_no_delivery_it_could_not_finish(notify_to, receiver, monkeypatch):
    """The exit's wait went on claiming what was due: one begun near its end was cut short
    with the process, its receiver perhaps had it, and another server sent it again."""
    notify_to(receiver.url, timeout=1.0)  # a deadline of 3 s: the exit waits 4 s at most
    monkeypatch.setattr(notify, "EXIT_WAIT_S", 0.2)
    _due(3, receiver.url)
    sending = threading.Event()

    def slow(notification, url, *, timeout):
        sending.set()
        time.sleep(1.5)
        return notify.attempt(notification, url, timeout=timeout)

    sender = notify.Sender(deliver=slow)
    sender.wake()
    assert sending.wait(10)
    sender._exit()
    rows = list(Notification.objects.order_by("id").values_list("sent_at", "lease_until"))
    still_sending = sender._sending
    sender.stop()

    assert rows[0][0] is not None and not still_sending  # the one under way, finished
    assert [row for row in rows[1:] if row != (None, None)] == []  # the others not begun


def test_an_exit_ends_its_wait_when_a_pass_fails_meanwhile(notify_to, monkeypatch):
    """A pass that failed (the database slow to refuse) never ended as one that found nothing
    due: the exit waited its whole 16 s, past gunicorn's grace of a stopping worker."""
    notify_to("json://127.0.0.1:9/hook")
    started = threading.Event()

    def slow_then_down():
        started.set()
        time.sleep(0.5)
        raise OperationalError("connection timed out")

    monkeypatch.setattr(notify, "due_now", slow_then_down)
    sender = notify.Sender()
    sender.wake()
    assert started.wait(10)

    begun = time.monotonic()
    sender._exit()  # during the pass that is failing
    took = time.monotonic() - begun
    sender.stop()
    monkeypatch.undo()

    assert took < 3.0


def test_an_exit_does_not_wait_on_a_pass_that_failed(notify_to, monkeypatch):
    """The database away: a failed pass never ended as one that found nothing due, and every
    process that had woken its sender waited 10 s more at its exit, for nothing."""
    notify_to("json://127.0.0.1:9/hook")
    failed = threading.Event()

    def down():
        failed.set()
        raise OperationalError("connection refused")

    monkeypatch.setattr(notify, "due_now", down)
    sender = notify.Sender()
    sender.wake()
    assert failed.wait(10)
    waited = time.monotonic() + 5
    while sender._passing and time.monotonic() < waited:  # the pass over: its retry 1 s away
        time.sleep(0.01)

    started = time.monotonic()
    sender._exit()
    took = time.monotonic() - started
    sender.stop()
    monkeypatch.undo()

    assert took < 2.0


def test_what_a_stopping_process_leaves_due_is_counted_and_named(caplog, settings):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]  # a server's own URL
    _due(2, "json://127.0.0.1:9/hook")
    with caplog.at_level(logging.WARNING, logger="insights.notify"):
        notify.Sender().log_waiting()  # a sender whose thread never ran: nothing was sent
    assert caplog.messages == [
        "2 notification(s) not delivered at exit, left to the next server process: 'n0'; 'n1'"
    ]
    assert Notification.objects.filter(sent_at__isnull=True, attempts=0).count() == 2


def test_a_stopping_process_names_what_it_was_sending_and_what_waits_for_its_retry(
    notify_to, monkeypatch, caplog
):
    """A receiver that never answers, then SIGTERM: the notification being sent (claimed, so
    not "due") and those waiting for their retry were left unsaid."""
    url = "json://127.0.0.1:9/hook"
    notify_to(url, timeout=0.1)  # the exit waits for a delivery its deadline and 1 s
    monkeypatch.setattr(notify, "EXIT_WAIT_S", 0.3)
    sending, retrying = _due(2, url)
    Notification.objects.filter(pk=retrying.pk).update(
        attempts=1, next_attempt_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    started = threading.Event()

    def hangs(notification, url, *, timeout):
        started.set()
        time.sleep(2.5)
        return "timed out"

    sender = notify.Sender(deliver=hangs)
    sender.wake()
    assert started.wait(10)
    with caplog.at_level(logging.WARNING, logger="insights.notify"):
        sender._exit()  # what atexit runs: the drain gives up after the delivery's deadline
    said = list(caplog.messages)
    sender.stop()

    assert said == [
        "2 notification(s) not delivered at exit, left to the next server process: 'n0'; 'n1'"
    ]


def test_a_stopping_process_names_twenty_and_counts_the_rest(caplog, settings):
    """An upgrade's rescore left 13,596 titles on one log line (hundreds of kB)."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]
    _due(25, "json://127.0.0.1:9/hook")
    with caplog.at_level(logging.WARNING, logger="insights.notify"):
        notify.Sender().log_waiting()
    (line,) = caplog.messages
    assert line.startswith("25 notification(s) not delivered at exit")
    assert line.count("'n") == 20 and line.endswith("… and 5 more (the notifications list)")


def test_a_notification_to_another_servers_url_is_left_to_it_then_given_up(
    notify_to, receiver, caplog
):
    """Servers whose NOTIFY_URLS differ (a rolling change of it): each sends to its own URLs
    only, and a notification whose URL no server has is given up after NOTIFY_RETRY_HOURS."""
    notify_to(receiver.url)
    other = "json://127.0.0.1:9/another-servers"
    (fresh,) = _due(1, other)

    sent()

    fresh.refresh_from_db()
    assert fresh.state == "waiting" and fresh.attempts == 0  # left to the server that has it
    assert receiver.messages == []

    Notification.objects.filter(pk=fresh.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    with caplog.at_level(logging.ERROR, logger="insights.notify"):
        sent()

    fresh.refresh_from_db()
    assert fresh.state == "given up" and fresh.next_attempt_at is None
    assert fresh.last_error == notify.MSG_NO_SENDER
    assert f"notification 'n0' to {other} given up: {notify.MSG_NO_SENDER}" in caplog.messages
    assert receiver.messages == []


def test_the_url_and_its_secrets_are_not_stored(notify_to, receiver, run):
    url = receiver.url.replace("json://", "json://user:s3cret@")
    notify_to(url)
    run(hours_ago=1, disks=PASSED)
    run(hours_ago=0, disks=FAILED)
    sent()

    (row,) = Notification.objects.values()
    assert "s3cret" not in json.dumps(row, default=str)
    assert row["target"] == notify.target_of(url)
    assert row["sent_at"] is not None


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "ENV_FILE": "/nonexistent/.env", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@engine_independent  # settings read by manage.py shell and check: no database is opened
@pytest.mark.django_db(transaction=False)
def test_notify_urls_are_read_space_or_comma_separated_and_want_site_url():
    urls = "json://127.0.0.1:9/a, ntfy://ntfy.example/topic\n json://127.0.0.1:9/b"
    show = "from django.conf import settings; print(settings.NOTIFY_URLS)"
    done = manage("shell", "-v", "0", "-c", show, NOTIFY_URLS=urls, SITE_URL="http://bench.lan/")
    assert done.stdout.strip() == str(
        ["json://127.0.0.1:9/a", "ntfy://ntfy.example/topic", "json://127.0.0.1:9/b"]
    ), done.stderr

    # without SITE_URL the server starts, warned that notifications carry no link
    warned = manage("check", NOTIFY_URLS=urls, SITE_URL="")
    assert warned.returncode == 0 and "insights.W001" in warned.stderr, warned.stderr
    assert "insights.W001" not in manage("check", NOTIFY_URLS=urls, SITE_URL=SITE).stderr

    checked = manage("check", NOTIFY_URLS="nope://host/x", SITE_URL="http://bench.lan")
    assert checked.returncode != 0 and "insights.E001" in checked.stderr


def test_an_items_resolved_notification_waits_while_its_opened_one_is_retried(
    notify_to, monkeypatch
):
    """One item's notifications to one URL arrive in turn, across retries and senders."""
    url = "json://127.0.0.1:9/hook"
    notify_to(url)
    device = Device.objects.create(hostname="nas")
    item = AttentionItem.objects.create(
        device=device, kind="smart_failing", severity="critical", disk="sda", message="failing"
    )
    opened, resolved = _due(2, url)
    Notification.objects.update(item=item, condition=condition_key(item))
    other = Notification.objects.create(  # another item's: not held up
        title="other", body="", type="info", target=opened.target, next_attempt_at=timezone.now()
    )
    tried = []

    def deliver(notification, url, *, timeout):
        tried.append(notification.title)
        return "refused" if notification.title == "n0" and tried.count("n0") == 1 else None

    monkeypatch.setattr(notify.sender, "deliver", deliver)
    sent()
    assert tried == ["n0", "other"]  # n0 failed: n1 waits behind it, the other item goes
    opened.refresh_from_db()
    assert opened.next_attempt_at > timezone.now()
    assert Notification.objects.get(pk=other.pk).sent_at is not None

    request = RequestFactory().get("/")
    admin = NotificationAdmin(Notification, AdminSite())
    states = {row.title: admin.state(row) for row in admin.get_queryset(request)}
    assert states["n1"] == "after the earlier one"

    Notification.objects.filter(pk=opened.pk).update(next_attempt_at=timezone.now())
    sent()
    assert tried == ["n0", "other", "n0", "n1"]
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_a_conditions_new_item_is_told_after_the_old_items_retried_resolution(
    notify_to, monkeypatch
):
    """A disk FAILED, PASSED, FAILED again while the receiver failed: the old item's "opened"
    and "resolved" were retried after the new item's "opened", so the receiver's last word on
    a failing disk was "resolved"."""
    url = "json://127.0.0.1:9/hook"
    notify_to(url)
    device = Device.objects.create(hostname="nas")
    old, new = (
        AttentionItem.objects.create(
            device=device,
            kind="smart_failing",
            severity="critical",
            disk="sda",
            message="x",
            closed_at=closed,
        )
        for closed in (timezone.now(), None)
    )
    opened, resolved, reopened = _due(3, url)
    Notification.objects.filter(pk__in=(opened.pk, resolved.pk)).update(
        item=old, condition=condition_key(old)
    )
    Notification.objects.filter(pk=reopened.pk).update(item=new, condition=condition_key(new))
    tried = []

    def deliver(notification, url, *, timeout):
        tried.append(notification.title)
        return "refused" if tried == ["n0"] else None

    monkeypatch.setattr(notify.sender, "deliver", deliver)
    sent()
    assert tried == ["n0"]  # the old item's "opened" failed: the rest of the disk's wait
    Notification.objects.filter(pk=opened.pk).update(next_attempt_at=timezone.now())
    sent()
    assert tried == ["n0", "n0", "n1", "n2"]


def test_a_deleted_machines_resolution_waits_while_its_opening_is_retried(
    notify_to, receiver, run, api, monkeypatch
):
    """A disk failed while the receiver was down, then the machine was deleted: its "opened"
    was retried after its "resolved" had gone (the order was read through the item, deleted
    with the device), and the receiver's last word on that disk was that it was failing."""
    notify_to(receiver.url)
    refused = []

    def deliver(notification, url, *, timeout):
        if not refused:
            refused.append(notification.title)
            return "refused"
        return real_deliver(notification, url, timeout=timeout)

    real_deliver = notify.sender.deliver
    # before the run: its commit wakes the sender, which may send at once
    monkeypatch.setattr(notify.sender, "deliver", deliver)
    body = run("nas", disks=FAILED)
    sent()
    assert refused and receiver.messages == []  # "opened" failed: due again in 30 s
    assert api.delete(f"/api/devices/{body['device_id']}").status_code == 204
    sent()
    assert receiver.messages == []  # "resolved" waits behind it, the device gone or not

    Notification.objects.filter(sent_at__isnull=True, attempts=1).update(
        next_attempt_at=timezone.now()
    )
    sent()
    titles = receiver.titles()
    assert len(titles) == 2 and titles[1].endswith("resolved"), titles
    assert not titles[0].endswith("resolved"), titles


def test_a_database_error_after_the_delivery_does_not_send_it_twice(notify_to, monkeypatch):
    """The outcome of a delivery is saved again when the database fails for a moment (a
    restart, a lock held too long): a row left claimed would be delivered again later."""
    url = "json://127.0.0.1:9/hook"
    notify_to(url)
    (row,) = _due(1, url)
    delivered = []
    monkeypatch.setattr(
        notify.sender, "deliver", lambda n, u, *, timeout: delivered.append(n.title)
    )
    save, failures = Notification.save, [OperationalError("database is locked")]

    def flaky_save(self, *args, **kwargs):
        if failures:
            raise failures.pop()
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Notification, "save", flaky_save)
    sent()

    row.refresh_from_db()
    assert delivered == ["n0"] and row.state == "sent" and row.lease_until is None


def test_a_failed_pass_is_tried_again_within_seconds_not_at_the_next_poll(
    notify_to, receiver, monkeypatch, caplog
):
    notify_to(receiver.url)
    _due(1, receiver.url)
    claim, failures = notify.Sender.send_one, [OperationalError("server closed the connection")]

    def flaky_claim(self):
        if failures:
            raise failures.pop()
        return claim(self)

    monkeypatch.setattr(notify.Sender, "send_one", flaky_claim)
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="insights.notify"):
        sent()  # waits for a pass that found nothing due: the one after the failure

    assert receiver.titles() == ["n0"]
    assert time.monotonic() - started < notify.POLL_S / 2  # again after 1 s, not 30
    assert "sending notifications failed; trying again in 1 s" in caplog.messages


def test_a_stopped_sender_ends_its_thread_and_the_next_wake_starts_another(notify_to, receiver):
    notify_to(receiver.url)
    notify.sender.wake()
    thread = notify.sender._thread
    assert thread.is_alive()

    notify.sender.stop()

    assert not thread.is_alive()
    _due(1, receiver.url)
    sent()  # woken again: a new thread sends it
    assert receiver.titles() == ["n0"]


def test_a_row_read_due_then_sent_by_another_sender_is_not_claimed_again(notify_to, receiver):
    """A sender that read the row due before another sent it (sent, its lease let go) claimed
    it, its conditions those of a row never sent: the receiver got it twice."""
    notify_to(receiver.url)
    [row] = _due(1, receiver.url)
    read_at = timezone.now()
    Notification.objects.filter(pk=row.pk).update(
        sent_at=read_at, next_attempt_at=None, lease_until=None, attempts=1
    )

    assert not notify.claim_row(row, read_at, read_at + datetime.timedelta(minutes=5))


def test_retries_wait_30_s_doubling_up_to_an_hour():
    """A receiver down for hours gets what waited within the hour it is back."""
    assert [notify.retry_delay(n) for n in (1, 2, 3, 7, 8, 9, 30)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
        3600,
    ]


@pytest.mark.parametrize("reopened", [False, True])
@pytest.mark.parametrize(("severity", "kind"), [("critical", "failure"), ("warning", "warning")])
def test_an_item_is_told_at_its_severity_opened_or_reopened(reopened, severity, kind):
    """A failing disk's item, reopened as its machine came back into service, went out as a
    warning (yellow) where it had opened as a failure (red)."""
    item = AttentionItem.objects.create(
        device=Device.objects.create(hostname="nas"),
        kind="smart_failing",
        severity=severity,
        disk="/dev/sda",
        message="Disk /dev/sda reports SMART FAILED.",
    )

    notification = delivery.item_notification(item, resolved=False, reopened=reopened)

    assert notification.type == kind

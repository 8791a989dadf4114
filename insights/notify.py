"""Notifications through Apprise (NOTIFY_URLS): one when an attention item opens, one when it
closes (resolved by the rules or acknowledged).

Delivery never delays or fails what caused it: the notifications are built while the item is at
hand, queued once the transaction commits (nothing is sent for a rollback), and sent by one
background thread per process, each URL with NOTIFY_TIMEOUT_S. One thread and a bounded queue,
not a thread per notification: a burst of items (a rescore after a threshold change) waits its
turn in memory of a known size instead of opening a connection per item at once; past the bound
notifications are dropped and logged, never blocking a request. A hanging receiver holds up only
this thread, by the timeout per notification.
"""

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from .models import AttentionItem, Severity

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 1000  # notifications waiting in one process
EXIT_WAIT_S = 10.0  # a stopping process (gunicorn's graceful stop, a command) sends what waits


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    type: str  # Apprise's NotifyType: info, success, warning, failure


@dataclass(frozen=True)
class Job:
    """A notification and where it goes, fixed when it was queued."""

    notification: Notification
    urls: tuple[str, ...]
    timeout: float


def device_admin_url(device_id: int) -> str:
    return settings.SITE_URL + reverse("admin:inventory_device_change", args=(device_id,))


def item_notification(item: AttentionItem, *, resolved: bool) -> Notification:
    """`<hostname>: <kind>` with the item's message and the device's page; `… resolved` when
    it closed."""
    title = f"{item.device.hostname}: {item.kind}"
    lines = [item.message]
    # when, to the second: notifications of one item sent by two processes may arrive out of turn
    if resolved:
        title += " resolved"
        how = f"Acknowledged by {item.closed_by}" if item.closed_by else "Resolved"
        lines.append(f"{how} {_when(item.closed_at)}.")
        kind = "success"
    else:
        lines.append(f"Opened {_when(item.opened_at)}.")
        kind = "failure" if item.severity == Severity.CRITICAL else "warning"
    lines.append(device_admin_url(item.device_id))
    return Notification(title=title, body="\n".join(lines), type=kind)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s T") if moment else "now"


def announce(changes: Iterable[tuple[AttentionItem, bool]]) -> None:
    """Queue a notification per (item, resolved) once the current transaction commits."""
    if not settings.NOTIFY_URLS:
        return
    jobs = [
        Job(
            item_notification(item, resolved=resolved),
            tuple(settings.NOTIFY_URLS),
            settings.NOTIFY_TIMEOUT_S,
        )
        for item, resolved in changes
    ]
    if jobs:
        transaction.on_commit(lambda: outbox.put(jobs))


def redacted(url: str) -> str:
    """A URL fit for a log: Apprise's privacy form (secrets masked), without the query."""
    plugin = instantiate(url)
    if plugin is None:
        return url.split("://", 1)[0] + "://…"
    return plugin.url(privacy=True).split("?", 1)[0]


def preload() -> None:
    """Load Apprise and the plugins of NOTIFY_URLS now (~0.4 s): the server's master does,
    before it forks its workers, rather than each worker's first notification, which a later
    one sent by another worker could overtake."""
    for url in settings.NOTIFY_URLS:
        instantiate(url)


def instantiate(url: str):
    import apprise  # ~0.4 s with its plugins: loaded by the sender, not at every start

    return apprise.Apprise.instantiate(url)


def send(notification: Notification, url: str, *, timeout: float) -> bool:
    """Deliver to one URL; False (and a log line) when it fails. Never raises."""
    try:
        plugin = instantiate(url)
        if plugin is None:
            logger.error(
                "notification %r not sent: %s is not an Apprise URL",
                notification.title,
                redacted(url),
            )
            return False
        # Apprise's request timeout is (connect, read); both bound a receiver that hangs
        plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
        if plugin.notify(
            body=notification.body, title=notification.title, notify_type=notification.type
        ):
            return True
        logger.error("notification %r to %s failed", notification.title, redacted(url))
    except Exception:
        logger.exception("notification %r to %s failed", notification.title, redacted(url))
    return False


def deliver(job: Job) -> None:
    for url in job.urls:
        send(job.notification, url, timeout=job.timeout)


class Outbox:
    """The notifications waiting in this process and the one thread that sends them."""

    def __init__(self, *, limit: int = QUEUE_LIMIT, sender: Callable[[Job], None] = deliver):
        self.limit, self.sender = limit, sender
        self._lock = threading.Lock()
        self._pid = None
        self._exit_registered = False
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=limit)
        self._sending: Job | None = None  # the one the thread is sending now

    def put(self, jobs: Sequence[Job]) -> None:
        self._start()
        for job in jobs:
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                logger.error(
                    "notification %r dropped: %d already waiting",
                    job.notification.title,
                    self.limit,
                )

    def drain(self, timeout: float) -> bool:
        """Wait until everything queued so far was sent or failed; False on timeout."""
        done = self._queue.all_tasks_done
        with done:
            return done.wait_for(lambda: self._queue.unfinished_tasks == 0, timeout)

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # first use in this process (a forked worker inherits no thread, only the object)
            self._pid = os.getpid()
            self._queue = queue.Queue(maxsize=self.limit)
            threading.Thread(target=self._run, name="notify", daemon=True).start()
            if not self._exit_registered:  # a forked child inherits the parent's registration
                atexit.register(self._exit)
                self._exit_registered = True

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            self._sending = job
            try:
                self.sender(job)
            except Exception:
                logger.exception("notification %r failed", job.notification.title)
            finally:
                self._sending = None
                self._queue.task_done()

    def _exit(self) -> None:
        if not self.drain(EXIT_WAIT_S):
            self.log_unsent()

    def log_unsent(self) -> None:
        """Name what a process leaves unsent: the one being sent, then the queued ones."""
        sending = self._sending
        unsent = [*([sending] if sending else []), *list(self._queue.queue)]
        logger.error(
            "%d notification(s) not sent before exit: %s",
            len(unsent),
            "; ".join(repr(job.notification.title) for job in unsent),
        )


outbox = Outbox()

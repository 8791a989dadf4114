"""Notifications through Apprise (NOTIFY_URLS): one when an attention item opens, one when it
closes (resolved by the rules or acknowledged); a run's reopening waits for its judgment
(notify_hold).

Delivery never delays or fails what caused it, and is not lost with a process or a receiver that
is down: each notification to each URL is a row (models.Notification) written in the transaction
that opened or closed its item, so a rollback leaves none. Once that transaction commits, this
process's sender thread is woken; it claims the due rows one by one (a conditional UPDATE: of
several processes and servers on one database exactly one sends each), sends each with
NOTIFY_TIMEOUT_S, and marks it sent, or due again later: 30 s, doubling up to an hour, until
NOTIFY_RETRY_HOURS after it was made, when it is given up (logged each time). The thread also
looks for due rows every POLL_S: what a stopped process or a failed attempt left is sent by
whichever server process runs. One thread per process, not per notification: a burst waits its
turn in the table; a hanging receiver holds up only this thread, by the timeout per notification.
"""

import atexit
import datetime
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import OperationalError, close_old_connections, connections, transaction
from django.utils import timezone

from . import delivery, notify_hold
from .delivery import Notification, attempt, item_notification, redacted, target_of, when
from .models import AttentionItem, condition_key
from .models import Notification as Row
from .notify_names import announced_names
from .notify_queue import claim_row, due_now, our_targets, unclaimed

logger = logging.getLogger(__name__)

EXIT_NAMED = 20  # named in that line; the rest counted (a rescore can leave thousands)
EXIT_WAIT_S = 10.0  # a stopping process (gunicorn's graceful stop, a command) sends what is due
POLL_S = 30.0  # the sender looks for due notifications this often, woken or not
FIRST_RETRY_S, LAST_RETRY_S = 30.0, 3600.0  # the delay after a failure: doubling, up to this
KEEP_DAYS = 90  # sent and given-up notifications are deleted after this long
MSG_NO_SENDER = "no server sends to its URL (in no NOTIFY_URLS) within NOTIFY_RETRY_HOURS"


def announce(
    changes: Iterable[tuple[AttentionItem, bool]],
    *,
    reopened: bool = False,
    held: bool = False,
    rescored: bool = False,
) -> None:
    """Store a notification per (item, resolved) and per URL in the current transaction; the
    sender is woken once it commits. `reopened`: items opened again, as they were (their
    device back in service), said to be reopened and when, not only when they first opened.
    `held`: not due until the judgment that follows, or notify_hold.HOLD_S (release); an item
    closing whose held notifications are still unsent is told neither way (notify_hold)."""
    if not settings.NOTIFY_URLS:
        return
    changes = list(changes)
    now = timezone.now()
    closing = [item.pk for item, resolved in changes if resolved]
    unsaid = notify_hold.unsaid(closing, now) if closing else set()
    labels = [(target_of(url), redacted(url)[:255]) for url in settings.NOTIFY_URLS]
    names = announced_names(closing) if closing else {}
    rows = []
    for item, resolved in changes:
        notification = item_notification(
            item, resolved=resolved, reopened=reopened, rescored=rescored, named=names.get(item.pk)
        )
        condition = condition_key(item)  # once per item, whatever the number of URLs
        rows += [
            Row(
                item=item,
                condition=condition,
                title=notification.title[:255],
                body=notification.body,
                type=notification.type,
                target=target,
                target_label=label,
                next_attempt_at=notify_hold.held_until(now) if held else now,
            )
            for target, label in labels
            if (item.pk, target) not in unsaid
        ]
    if rows:
        Row.objects.bulk_create(rows)
    if rows and not held:
        transaction.on_commit(sender.wake)


def release(device_id: int) -> None:
    """The held notifications of the device's items due now: the judgment they waited for is
    made (services.attention_evaluate)."""
    if settings.NOTIFY_URLS:
        now = timezone.now()
        if Row.objects.filter(notify_hold.held(now), item__device_id=device_id).update(
            next_attempt_at=now
        ):
            transaction.on_commit(sender.wake)


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 30 s, doubling, up to an hour."""
    return min(FIRST_RETRY_S * 2 ** (attempts - 1), LAST_RETRY_S)


class Sender:
    """The thread of this process that sends due notifications (see the module's docstring)."""

    def __init__(self, *, poll_s: float = POLL_S, deliver: Callable = attempt):
        self.poll_s, self.deliver = poll_s, deliver
        self._lock = threading.Lock()
        self._pid = None
        self._exit_registered = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()  # the running thread's
        self._cycles = threading.Condition()
        self._started = self._done = 0  # passes begun, and the last one that ended (nothing due)
        self._passing = False  # a pass is under way (failed, it is over all the same)
        self._failed = 0  # the last pass that failed (the database away)
        self._claim_by: float | None = None  # exiting: no claim it could not finish by then
        self._sending = False  # a claimed notification is being sent
        self._pruned = 0.0

    def wake(self) -> None:
        """Send what is due now (after a commit; at a server's start)."""
        self._start()
        self._wake.set()

    def drain(self, timeout: float, *, failed_ends: bool = False) -> bool:
        """Wait until a pass that began after this call found nothing due (what failed waits
        for its retry; `failed_ends`: a pass that failed ends the wait too); False on timeout."""
        with self._cycles:
            wanted = self._started + 1
        self.wake()
        with self._cycles:
            return self._cycles.wait_for(
                lambda: self._done >= wanted or (failed_ends and self._failed >= wanted), timeout
            )

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # first use in this process (a forked worker inherits no thread, only the object)
            self._pid = os.getpid()
            self._wake, self._stop = threading.Event(), threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="notify", daemon=True
            )
            self._thread.start()
            if not self._exit_registered:  # a forked child inherits the parent's registration
                atexit.register(self._exit)
                self._exit_registered = True

    def stop(self, timeout: float = 10.0) -> None:
        """End this process's thread once its pass is over, what is due left in the table (a
        test's end: a thread that outlived it would poll a database the next test changes);
        the next wake() starts another."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None or self._pid != os.getpid():
                return
            self._pid = None
            self._stop.set()
            self._wake.set()
        thread.join(timeout)

    def _run(self, stop: threading.Event) -> None:
        failures, delay = 0, self.poll_s
        while True:
            self._wake.wait(delay)
            if stop.is_set():
                return
            self._wake.clear()
            with self._cycles:
                self._started += 1
                cycle = self._started
                self._passing = True
            try:
                while self.send_one():
                    pass
                self._give_up_unsendable()
                self._prune()
            except Exception as error:  # the database restarting, or locked: 1 s, doubling
                failures += 1
                delay = min(2.0 ** (failures - 1), self.poll_s)
                if failures == 1:
                    logger.exception("sending notifications failed; trying again in %g s", delay)
                else:  # the traceback once, not every few seconds while the database is away
                    message = "sending notifications still fails (%d times): %s; again in %g s"
                    logger.warning(message, failures, error, delay)
                with self._cycles:  # not a pass that found nothing due: drain() waits on
                    self._failed = cycle
                    self._cycles.notify_all()
                continue
            finally:
                connections.close_all()  # this thread's own; a new one on the next pass
                self._passing = False
            failures, delay = 0, self.poll_s
            with self._cycles:
                self._done = cycle
                self._cycles.notify_all()

    def send_one(self) -> bool:
        """Claim the first due notification and send it; False when none is due (or none
        could be sent whole before the process exits)."""
        if self._claim_by is not None and time.monotonic() + delivery.deadline_seconds() > (
            self._claim_by
        ):
            return False  # cut short at the exit, one its receiver had would be sent again
        close_old_connections()
        now, due = due_now()
        lease = now + datetime.timedelta(seconds=delivery.lease_seconds())
        for row in due[:20]:
            # another process may claim it first; one that did has sent it or set its retry,
            # so a claimed row is still as read
            if claim_row(row, now, lease):
                self._sending = True  # until its outcome is saved: _exit waits for it
                try:
                    self._deliver(row)
                finally:
                    self._sending = False
                return True
        return False

    def _deliver(self, row: Row) -> None:
        urls = {target_of(url): url for url in settings.NOTIFY_URLS}
        url = urls.get(row.target)
        if url is None:  # NOTIFY_URLS changed since the claim: left to a server that has it
            Row.objects.filter(pk=row.pk).update(lease_until=None)
            return
        notification = Notification(title=row.title, body=row.body, type=row.type)
        error = self.deliver(notification, url, timeout=settings.NOTIFY_TIMEOUT_S)
        now = timezone.now()
        row.attempts += 1
        row.lease_until = None
        if error is None:
            row.sent_at, row.next_attempt_at, row.last_error = now, None, ""
            if row.attempts > 1:  # its failures were logged: so is its end (it was not)
                logger.info(
                    "notification %r to %s delivered at attempt %d",
                    row.title,
                    row.target_label,
                    row.attempts,
                )
        else:
            row.last_error = error
            retry = now + datetime.timedelta(seconds=retry_delay(row.attempts))
            give_up = row.created_at + datetime.timedelta(hours=settings.NOTIFY_RETRY_HOURS)
            if retry > give_up:
                row.failed_at, row.next_attempt_at = now, None
                logger.error(
                    "notification %r to %s given up after %d attempts (%s)",
                    row.title,
                    row.target_label,
                    row.attempts,
                    error,
                )
            else:
                row.next_attempt_at = retry
                logger.warning(
                    "notification %r to %s: attempt %d failed (%s), next at %s",
                    row.title,
                    row.target_label,
                    row.attempts,
                    error,
                    when(retry),
                )
        _save_outcome(row)

    def _give_up_unsendable(self) -> None:
        """Give up the notifications still due for a URL none of this server's NOTIFY_URLS is,
        once NOTIFY_RETRY_HOURS have passed since they were made. Until then another server
        that has the URL sends them (servers whose NOTIFY_URLS differ, as during a rolling
        change of it); after, nobody will."""
        now = timezone.now()
        horizon = now - datetime.timedelta(hours=settings.NOTIFY_RETRY_HOURS)
        stale = (
            Row.objects.filter(next_attempt_at__isnull=False, created_at__lt=horizon)
            .filter(unclaimed(now))
            .exclude(target__in=our_targets())
        )
        found = list(stale.values_list("pk", "title", "target_label")[:100])  # a read first
        if not found:
            return
        stale.filter(pk__in=[pk for pk, *_ in found]).update(
            failed_at=now, next_attempt_at=None, lease_until=None, last_error=MSG_NO_SENDER
        )
        for _, title, label in found:
            logger.error("notification %r to %s given up: %s", title, label, MSG_NO_SENDER)

    def _prune(self) -> None:
        if time.monotonic() - self._pruned < 3600 and self._pruned:
            return
        self._pruned = time.monotonic()
        old = timezone.now() - datetime.timedelta(days=KEEP_DAYS)
        Row.objects.filter(created_at__lt=old, next_attempt_at__isnull=True).delete()

    def _exit(self) -> None:
        # not in a child that never sent: a pass begun (its claimed row not due; cut short, it
        # was sent again once the claim ran out) and what is due first; then what is left
        if self._pid != os.getpid():
            return
        with self._cycles:
            busy = self._sending or self._passing or self._wake.is_set()
        if busy or self._undelivered(due=True):
            # a delivery under way may take its whole deadline: cut short, its receiver may
            # have it all the same, and another server sends it again once the claim lapses;
            # none is begun that could not end in the wait, nor is a failing pass waited on
            wait = max(EXIT_WAIT_S, delivery.deadline_seconds() + 1)
            self._claim_by = time.monotonic() + wait
            self.drain(wait, failed_ends=True)
        self.log_waiting()

    @staticmethod
    def _undelivered(*, due: bool = False) -> list[str]:
        """Titles of this server's undelivered notifications: due now, or all (retries too)."""
        try:
            close_old_connections()
            rows = (
                due_now()[1]
                if due
                else Row.objects.filter(
                    next_attempt_at__isnull=False, target__in=our_targets()
                ).order_by("next_attempt_at", "id")
            )
            return list(rows.values_list("title", flat=True))
        except Exception:  # the database may be gone at exit: the rows, if any, are kept
            return []

    def log_waiting(self) -> None:
        """Say what a stopping process leaves undelivered: sent by the next process that runs
        (a retry when it is due)."""
        if waiting := self._undelivered():
            named = "; ".join(repr(title) for title in waiting[:EXIT_NAMED])
            if len(waiting) > EXIT_NAMED:
                named += f"; … and {len(waiting) - EXIT_NAMED} more (the notifications list)"
            logger.warning(
                "%d notification(s) not delivered at exit, left to the next server process: %s",
                len(waiting),
                named,
            )


OUTCOME_FIELDS = (
    "attempts",
    "lease_until",
    "sent_at",
    "failed_at",
    "next_attempt_at",
    "last_error",
)


def _save_outcome(row: Row, tries: int = 5) -> None:
    """Record what an attempt did. It was made: a database error now is tried again shortly
    (0.05 s, doubling), since a row left claimed would be sent a second time once its lease
    ran out."""
    for n in range(tries):
        try:
            row.save(update_fields=OUTCOME_FIELDS)
            return
        except OperationalError:
            if n == tries - 1:
                raise
            time.sleep(0.05 * 2**n)
            close_old_connections()  # a connection the error left unusable is replaced


sender = Sender()

"""A test's work on a thread of its own, with its own database connection (the concurrency
tests of the suite's PostgreSQL pass)."""

import threading
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection


def in_thread(
    target: Callable[[], object], *, name: str | None = None
) -> tuple[threading.Thread, list[BaseException]]:
    """Start `target` on a new thread (named `name`); the list receives what it raised."""
    failures: list[BaseException] = []

    def run():
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            failures.append(exc)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, failures


def in_thread_between_locks(target: Callable[[], object], first, then) -> list[BaseException]:
    """Run `target` on a thread of its own while another transaction holds the rows of
    queryset `first`, and takes those of `then` once `target` waits for a lock (PostgreSQL:
    10 s at most), as a transaction that locks rows in that order meets it; what `target`
    raised, once it ended."""
    from django.db import transaction

    with transaction.atomic():
        list(first.select_for_update())
        thread, failures = in_thread(target)
        with connection.cursor() as cursor:
            for _ in range(200):
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
                thread.join(timeout=0.05)
        list(then.select_for_update())
    thread.join(timeout=10)
    return failures


HOLD_S = 0.5  # how long first_held's transaction stays open once the block has started


@contextmanager
def first_held(work: Callable[[], object]):
    """Run `work` in a transaction on a thread of its own and keep it open, uncommitted, while
    the block runs (HOLD_S after the block starts it commits, so that a block waiting on its
    locks gets them); yields a list holding `work`'s result."""
    from django.db import transaction

    done, go_on, result = threading.Event(), threading.Event(), []

    def first():
        with transaction.atomic():
            result.append(work())
            done.set()
            go_on.wait(10)

    thread, failures = in_thread(first)
    try:
        assert done.wait(10), failures
        threading.Timer(HOLD_S, go_on.set).start()
        yield result
    finally:
        go_on.set()
        thread.join(10)
    assert not failures, failures

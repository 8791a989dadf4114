"""A test's work on a thread of its own, with its own database connection (the concurrency
tests of the suite's PostgreSQL pass)."""

import threading
from collections.abc import Callable

from django.db import connection


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    """Start `target` on a new thread; the list receives what it raised."""
    failures: list[BaseException] = []

    def run():
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            failures.append(exc)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failures

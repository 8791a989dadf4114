"""Django's SQLite backend with writers queued on a file lock before `BEGIN IMMEDIATE`.

A writer that finds SQLite's write lock taken sleeps in SQLite's busy handler (1, 2, 5, 10 …
up to 100 ms) whether or not the lock is freed meanwhile, so under concurrent submissions from
several worker processes most of the time goes to sleeping. Here each transaction first takes
`<database>.lock`: threads of one process queue on a threading.Lock (woken at once), and the
one waiting thread per process polls an flock with a short backoff. The wait is bounded by the
busy timeout; past it the transaction proceeds without the lock and SQLite's own busy handling
applies, exactly as without this backend. Measured: perf/ingest.py.
"""

import fcntl
import os
import threading
import time

from django.db.backends.sqlite3 import base

_POLL_START_S, _POLL_MAX_S = 0.0001, 0.001
# SQLite checkpoints the WAL inside the COMMIT that crosses 1000 pages, i.e. while this lock is
# held, and a checkpoint waits on fsync. Automatic checkpoints are off on these connections;
# every CHECKPOINT_EVERY commits of a process one runs after the lock is released (PASSIVE:
# concurrent writers go on).
CHECKPOINT_EVERY = 100


class WriteLock:
    """One per database file and process."""

    _registry: dict[str, "WriteLock"] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: str):
        self.path = path
        self.thread_lock = threading.Lock()
        self.fd: int | None = None
        self.pid = os.getpid()
        self.commits = 0

    @classmethod
    def for_database(cls, name: str) -> "WriteLock":
        path = os.path.abspath(str(name)) + ".lock"
        with cls._registry_lock:
            lock = cls._registry.get(path)
            if lock is None or lock.pid != os.getpid():  # a forked child gets its own
                lock = cls._registry[path] = cls(path)
            return lock

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self.thread_lock.acquire(timeout=max(timeout, 0)):
            return False
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            delay = _POLL_START_S
            while True:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    time.sleep(min(delay, remaining))
                    delay = min(delay * 2, _POLL_MAX_S)
        except OSError:
            pass  # no lock file (read-only directory…): SQLite's busy handler still applies
        self.thread_lock.release()
        return False

    def count_commit(self) -> int:
        with self._registry_lock:
            self.commits += 1
            return self.commits

    def release(self) -> None:
        try:
            if self.fd is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.thread_lock.release()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._write_lock: WriteLock | None = None
        self._write_lock_held = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if self._lock() is not None:
            conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def _lock(self) -> WriteLock | None:
        if self._write_lock is None and not self.is_in_memory_db():
            self._write_lock = WriteLock.for_database(self.settings_dict["NAME"])
        return self._write_lock

    def _start_transaction_under_autocommit(self):
        lock = self._lock()
        if lock is not None and not self._write_lock_held:
            timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
            self._write_lock_held = lock.acquire(timeout)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._write_lock_held:
            self._write_lock_held = False
            self._write_lock.release()

    def _commit(self):
        held = self._write_lock_held
        try:
            return super()._commit()
        finally:
            self._release_write_lock()
            if held and self._write_lock.count_commit() % CHECKPOINT_EVERY == 0:
                with self.wrap_database_errors:
                    self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()

"""benchsite.dbbackend: SQLite writers queue on a file lock before BEGIN IMMEDIATE.

The wrappers here are built by hand on a temp file, so these tests run on the PostgreSQL pass of
the suite too. The live concurrency test drives the same backend through the real server.
"""

import os
import subprocess
import sys
import threading
import time

import pytest

from benchsite.dbbackend.base import CHECKPOINT_EVERY, DatabaseWrapper, WriteLock


def wrapper(path, timeout=5):
    return DatabaseWrapper(
        {
            "ENGINE": "benchsite.dbbackend",
            "NAME": str(path),
            "OPTIONS": {"timeout": timeout, "transaction_mode": "IMMEDIATE"},
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "TIME_ZONE": None,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        },
        alias="dbbackend-test",
    )


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker):
    # hand-made wrappers on their own files, outside the test database
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "locks.db"
    db = wrapper(path)
    with db.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE item (n INTEGER)")
    db.close()
    return path


def insert(db, n):
    db.ensure_connection()  # as atomic() does first
    db._start_transaction_under_autocommit()
    with db.cursor() as cursor:
        cursor.execute("INSERT INTO item (n) VALUES (%s)", [n])
    db.commit()


def test_a_transaction_holds_the_lock_file_until_commit_or_rollback(database):
    db = wrapper(database)
    db.ensure_connection()
    db._start_transaction_under_autocommit()
    assert db._write_lock_held
    assert not WriteLock(str(database) + ".lock").acquire(timeout=0.05)  # another holder waits
    db.commit()
    assert not db._write_lock_held

    db._start_transaction_under_autocommit()
    db.rollback()
    assert not db._write_lock_held
    assert (database.parent / "locks.db.lock").exists()
    db.close()


def test_closing_a_connection_mid_transaction_releases_the_lock(database):
    db = wrapper(database)
    db.ensure_connection()
    db._start_transaction_under_autocommit()
    db.close()
    assert not db._write_lock_held
    assert WriteLock.for_database(database).acquire(timeout=1)
    WriteLock.for_database(database).release()


def test_threads_writing_at_once_all_commit(database):
    errors = []

    def writer(start):
        db = wrapper(database)
        try:
            for n in range(start, start + 40):
                insert(db, n)
        except Exception as exc:  # noqa: BLE001 (collected and asserted on)
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    db = wrapper(database)
    with db.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM item")
        assert cursor.fetchone() == (160,)
    db.close()


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_lock_held_by_another_process_is_awaited_then_bypassed_at_the_busy_timeout(database):
    lock_path = str(database) + ".lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, lock_path, "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        lock = WriteLock(lock_path)
        started = time.monotonic()
        assert not lock.acquire(timeout=0.3)  # bounded: then SQLite's own busy handling
        assert 0.25 < time.monotonic() - started < 1.2
        assert lock.acquire(timeout=10)  # the holder exits: the lock is free at once
        lock.release()
    finally:
        holder.kill()
        holder.wait()


def test_in_memory_databases_take_no_lock():
    db = wrapper(":memory:")
    db.ensure_connection()
    db._start_transaction_under_autocommit()
    assert db._lock() is None and not db._write_lock_held
    db.rollback()
    db.close()


def test_checkpoints_run_outside_the_lock_every_few_commits(database):
    db = wrapper(database)
    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone() == (0,)  # SQLite's in-commit checkpoint is off
    for n in range(CHECKPOINT_EVERY + 1):
        insert(db, n)
    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, wal_pages, done = cursor.fetchone()
    assert busy == 0 and wal_pages - done == 0
    assert os.path.getsize(str(database) + "-wal") < 4 * 1024 * 1024
    db.close()


def test_the_lock_file_is_private(database):
    db = wrapper(database)
    insert(db, 1)
    db.close()
    assert os.stat(str(database) + ".lock").st_mode & 0o077 == 0

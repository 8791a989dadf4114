"""A SQLite database copied and put back with SQLite's online backup API.

Submissions keep being accepted while a copy is made: the backup reads one snapshot while WAL
lets writers commit. A restore writes into the live file through SQLite's own locking, so open
connections see either the old or the new database.
"""

import os
import sqlite3
from pathlib import Path

from django.db import connections

from .common import BackupError, RestoreError, count_rows, snapshot_rows


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dump(alias: str, target_path: Path, read) -> tuple[dict[str, int], list[tuple]]:
    """Copy the database of `alias` to `target_path`; returns its rows per model and the rows
    of the queryset `read`, both from the copy."""
    wrapper = connections[alias]
    if wrapper.is_in_memory_db():
        wrapper.ensure_connection()  # only its own connection can see an in-memory database
        source, own_source = wrapper.connection, False
    else:
        timeout = wrapper.settings_dict.get("OPTIONS", {}).get("timeout", 30)
        # mode=rw: a wrong path is an error, not a new empty database
        uri = Path(wrapper.settings_dict["NAME"]).absolute().as_uri() + "?mode=rw"
        source, own_source = sqlite3.connect(uri, uri=True, timeout=timeout), True
    target = sqlite3.connect(target_path)
    try:
        # One step (pages=-1): a single read transaction, so one consistent snapshot; in WAL
        # mode writers keep committing meanwhile.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        status = target.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"The database copy failed its integrity check: {status}")
        cursor = target.cursor()
        existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master")}
        counts = count_rows(cursor, _quote, existing)
        return counts, snapshot_rows(cursor, read, wrapper, existing)
    finally:
        target.close()
        if own_source:
            source.close()


def restore(alias: str, staged: Path) -> None:
    """Replace the database of `alias` by the copy at `staged`."""
    source = sqlite3.connect(staged)
    try:
        status = source.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise RestoreError(f"The archived database failed its integrity check: {status}")
        wrapper = connections[alias]
        if wrapper.is_in_memory_db():
            wrapper.ensure_connection()
            source.backup(wrapper.connection, pages=-1)
            return
        timeout = wrapper.settings_dict.get("OPTIONS", {}).get("timeout", 30)
        target = sqlite3.connect(wrapper.settings_dict["NAME"], timeout=timeout)
        try:
            # Through SQLite's own locking, in one step: a server that still has the file open
            # sees the old database or the new one, never a mix (a file swap could not promise
            # that with WAL).
            source.backup(target, pages=-1)
        finally:
            target.close()
        _owner_only(wrapper.settings_dict["NAME"])
    except sqlite3.Error as exc:
        # one step under SQLite's locks: a failure rolls it back (a full disk, as the others
        # refusals say it: the failure-injection audit checked the database was intact)
        raise RestoreError(
            f"Restoring the SQLite database failed: {exc}. The database was not changed."
        ) from exc
    finally:
        source.close()


def _owner_only(name) -> None:
    """The restored database (its password and token hashes) readable by this account only.

    The restore command reads the database it replaces before its umask 077 applies (what it
    holds now, what came after the archive), so restoring into a new data directory from a
    shell (umask 022) created the file, and its -wal and -shm, readable by every account: as
    scripts/serve does at a start, only what this account owns is changed."""
    for path in (Path(f"{name}{suffix}") for suffix in ("", "-wal", "-shm")):
        try:
            status = path.stat()
            if status.st_uid == os.geteuid() and status.st_mode & 0o077:
                path.chmod(status.st_mode & 0o700)
        except FileNotFoundError:
            continue

"""What every part of a backup shares: its errors and the row counts of the manifest."""

import functools
import os
from pathlib import Path

from django.apps import apps


class BackupError(Exception):
    """A backup that could not be made; nothing was left behind."""


class RestoreError(Exception):
    """An archive that is refused, or a restore that failed."""


def not_a_directory(directory: Path) -> str | None:
    """What is wrong with `directory` as a place to write archives when it is a file (a
    setting pointed at the wrong path said only "File exists"); None otherwise."""
    if directory.exists() and not directory.is_dir():
        return (
            f"{directory} is a file, not a directory: set BACKUP_DIR (or --output-dir) to a "
            "directory."
        )
    return None


def describe(exc: BaseException) -> str:
    """An error as one phrase for people: the OS's wording and the file, when there is one."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


def model_tables() -> dict[str, str]:
    """label → table of every model whose rows live in the database (m2m tables included)."""
    return {
        model._meta.label_lower: model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def snapshot_rows(cursor, queryset, connection, existing: set[str]) -> list[tuple]:
    """The rows of `queryset` (a values_list without parameters), compiled for `connection`
    and read through `cursor`: the dump's own snapshot, so that they are what the archive
    holds. Empty when its table is not in `existing` (a database not migrated yet)."""
    if queryset.model._meta.db_table not in existing:
        return []
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    if params:  # a raw sqlite3 cursor takes "?", the compiled SQL "%s": none may be needed
        raise ValueError("snapshot_rows reads querysets without parameters")
    cursor.execute(sql)
    return cursor.fetchall()


def count_rows(cursor, quote, existing: set[str]) -> dict[str, int]:
    """Rows per model label, through `cursor`, for the tables in `existing`."""
    counts = {}
    for label, table in sorted(model_tables().items()):
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (model tables)
            counts[label] = cursor.fetchone()[0]
    return counts


def owner_only(function):
    """What `function` writes (archives, the directory they go in, a restored database and its
    documents) is readable by the account that runs it only, as the server's own writes are
    (scripts/serve's umask 077): a backup or restore run by hand under the usual umask 022
    left the backups' directory and a restored SQLite database, its password and token
    hashes, readable by every account until the server's next start."""

    @functools.wraps(function)
    def private(*args, **kwargs):
        before = os.umask(0o077)
        try:
            return function(*args, **kwargs)
        finally:
            os.umask(before)

    return private

"""A PostgreSQL database copied with pg_dump and put back with pg_restore.

pg_dump reads one MVCC snapshot, exported from the transaction that counted the rows, so the
counts of the manifest and the dump agree while submissions keep being accepted. A restore is
`pg_restore --clean --single-transaction`: all or nothing.
"""

import os
import subprocess
from pathlib import Path

from django.db import connections

from .common import BackupError, RestoreError, count_rows

# PostgreSQL connection settings → libpq environment (the password never on a command line)
_PG_ENV = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
_PG_OPTIONS_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def _environment(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, variable in _PG_ENV.items():
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    for key, variable in _PG_OPTIONS_ENV.items():
        if settings_dict.get("OPTIONS", {}).get(key):
            env[variable] = str(settings_dict["OPTIONS"][key])
    env["PGDATABASE"] = settings_dict["NAME"]
    return env


def _conninfo_dbname(name: str) -> str:
    return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run(command: list[str], env: dict[str, str], error: type[Exception]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise error(
            f"{command[0]} is not installed: install the PostgreSQL client "
            f"(Debian: apt-get install postgresql-client)."
        ) from None
    if done.returncode != 0:
        detail = done.stderr.strip() or f"exit status {done.returncode}"
        raise error(f"{command[0]} failed: {detail}")


def dump(alias: str, target_path: Path) -> dict[str, int]:
    """Dump the database of `alias` to `target_path`; returns its rows per model."""
    live = connections[alias]
    # A connection of its own, outside Django's: its transaction stays open while pg_dump runs.
    wrapper = type(live)(dict(live.settings_dict), alias=f"{alias}-backup")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            existing = set(wrapper.introspection.table_names(cursor))
            counts = count_rows(cursor, wrapper.ops.quote_name, existing)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={target_path}",
                ],
                _environment(wrapper.settings_dict),
                BackupError,
            )
            cursor.execute("COMMIT")
        return counts
    finally:
        wrapper.close()


def restore(alias: str, staged: Path) -> None:
    """Replace the database of `alias` by the dump at `staged`."""
    settings_dict = connections[alias].settings_dict
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",  # all or nothing: a failed restore leaves the old data
            "--no-password",
            f"--dbname={_conninfo_dbname(settings_dict['NAME'])}",
            str(staged),
        ],
        _environment(settings_dict),
        RestoreError,
    )

"""A PostgreSQL database copied with pg_dump and put back with pg_restore.

pg_dump reads one MVCC snapshot, exported from the transaction that counted the rows, so the
counts of the manifest and the dump agree while submissions keep being accepted. A restore runs
pg_restore's SQL through psql in one transaction: all or nothing.
"""

import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.db import connections

from inventory.folding import create_unaccent

from .common import BackupError, RestoreError, count_rows, snapshot_rows

log = logging.getLogger(__name__)

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


def _run(command: list[str], env: dict[str, str], error: type[Exception]) -> str:
    """`command`'s output; `error` raised with its message when it fails or is missing."""
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise error(_NOT_INSTALLED.format(command=command[0])) from None
    if done.returncode != 0:
        detail = done.stderr.strip() or f"exit status {done.returncode}"
        raise error(f"{command[0]} failed: {detail}")
    return done.stdout


def dump(alias: str, target_path: Path, read) -> tuple[dict[str, int], list[tuple]]:
    """Dump the database of `alias` to `target_path`; returns its rows per model and the rows
    of the queryset `read`, both read in the snapshot pg_dump dumps."""
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
            rows = snapshot_rows(cursor, read, wrapper, existing)
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
        return counts, rows
    finally:
        wrapper.close()


def restore(alias: str, staged: Path) -> None:
    """Replace the database of `alias` by the dump at `staged`, all or nothing.

    The dump's SQL (pg_restore --file=-) runs through psql in one transaction that first drops
    every table the database holds now. `pg_restore --clean` alone drops only what the dump
    has, so a table a newer migration added (with a foreign key into an archived table) made
    restoring a backup taken before an upgrade fail, as rolling back an upgrade does (README,
    "Upgrading"). The transaction commits only once pg_restore has written the whole dump and
    psql has run every statement of it; otherwise nothing changes."""
    settings_dict = connections[alias].settings_dict
    env = _environment(settings_dict)
    prologue = "BEGIN;\n"
    if tables := _tables(alias):
        prologue += f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE;\n"
    psql_command = [
        "psql",
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--set=ON_ERROR_STOP=1",
        f"--dbname={_conninfo_dbname(settings_dict['NAME'])}",
        "--file=-",
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".list") as listing:
        listing.write(_listing_without_extensions(staged, env))
        listing.flush()
        restore_command = [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            f"--use-list={listing.name}",
            "--file=-",
            str(staged),
        ]
        _restore(psql_command, restore_command, prologue, env)
    # the planner's statistics, which the tables made again have none of until autovacuum's
    # ANALYZE (a minute later; a small table's, never): the devices export's join to their
    # snapshots was planned for one row and took 9 s at 10,000 machines instead of 1 s, and
    # the rescore and migrations that follow a restore read with the same plans
    with connections[alias].cursor() as cursor:
        cursor.execute("ANALYZE")
    # the database's extensions were left as they are: one the archive had (unaccent, for the
    # search) is made where it is missing (a new database) and the account may
    why = create_unaccent(connections[alias])
    if why is not None:
        log.warning("the search will not ignore accents: %s (README, Moving to PostgreSQL)", why)


# an extension's entries in pg_restore --list ("2; 3079 16385 EXTENSION - unaccent", and its
# "COMMENT - EXTENSION unaccent"): only its owner may drop it, and --clean drops it first
_EXTENSION_ENTRY = re.compile(r"^\d+; \d+ \d+ (EXTENSION|COMMENT - EXTENSION) ")


def _listing_without_extensions(staged: Path, env: dict[str, str]) -> str:
    """The archive's table of contents without its extensions' entries. With them, a restore
    by an account that does not own unaccent (a superuser created it, as README says where the
    account may not) failed at "must be owner of extension unaccent"."""
    listing = _run(["pg_restore", "--list", str(staged)], env, RestoreError)
    return "".join(
        line for line in listing.splitlines(keepends=True) if not _EXTENSION_ENTRY.match(line)
    )


def _restore(psql_command, restore_command, prologue: str, env: dict[str, str]) -> None:
    """pg_restore's SQL through psql, after `prologue`, committed only when both ended well."""
    with tempfile.TemporaryFile() as restore_log, tempfile.TemporaryFile() as psql_log:
        try:
            psql = subprocess.Popen(  # noqa: S603 (no shell; psql from PATH, as pg_dump)
                psql_command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=psql_log,
                env=env,
            )
        except FileNotFoundError:
            raise RestoreError(_NOT_INSTALLED.format(command="psql")) from None
        try:
            dumper = subprocess.Popen(  # noqa: S603
                restore_command, stdout=subprocess.PIPE, stderr=restore_log, env=env
            )
        except FileNotFoundError:
            psql.kill()
            psql.wait()
            raise RestoreError(_NOT_INSTALLED.format(command="pg_restore")) from None
        header = None
        try:
            header = _restricted_header(dumper.stdout)
            if header is not None:
                psql.stdin.write(prologue.encode() + header)
                shutil.copyfileobj(dumper.stdout, psql.stdin, 1 << 20)
                if dumper.wait() == 0:
                    psql.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at a failed statement: nothing was committed (below)
        finally:
            if dumper.poll() is None:
                dumper.kill()
            dumper.wait()
            try:
                psql.stdin.close()  # without COMMIT the session ends and rolls back
            except BrokenPipeError:
                pass
            psql.wait()
        if header is None and dumper.returncode <= 0:  # not a failure of its own: refused
            raise RestoreError(MSG_UNRESTRICTED)
        # psql's error first: a pg_restore stopped because psql had (its pipe closed) says
        # nothing of its own
        if psql.returncode != 0:
            raise RestoreError(f"psql failed: {_log(psql_log, psql.returncode)}")
        if dumper.returncode != 0:
            raise RestoreError(f"pg_restore failed: {_log(restore_log, dumper.returncode)}")


# pg_restore's script opens with its own comments, then "\restrict KEY" (a random key): psql
# then runs none of the backslash commands the archive's SQL may hold until "\unrestrict KEY",
# which an archive can neither guess nor write before (the "-- Dumped from database version …"
# comments come after it; an old pg_restore wrote them first, the archive's version string as
# it was, new lines included). A pg_restore from before the fix of CVE-2025-8714 writes no such
# line: an archive made by anyone, "\! command" among its statements, ran that command here.
_RESTRICT = re.compile(rb"\\restrict [A-Za-z0-9]+\r?\n")
_OPENING = frozenset({b"", b"--", b"-- PostgreSQL database dump"})
MSG_UNRESTRICTED = (
    "pg_restore is older than the fix of CVE-2025-8714 (PostgreSQL 17.6, 16.10, 15.14, 14.19, "
    "13.22): psql would run the shell commands an archive's SQL may hold. Nothing was changed; "
    "upgrade the PostgreSQL client (Debian: apt-get install postgresql-client) and restore again."
)


def _restricted_header(script) -> bytes | None:
    """pg_restore's script up to its "\\restrict" line, read from `script`; None when it does not
    begin so (its own comments, then that line), or ends before."""
    lines = []
    while line := script.readline(4096):
        lines.append(line)
        if _RESTRICT.fullmatch(line):
            return b"".join(lines)
        if line.rstrip() not in _OPENING:
            return None
    return None


_NOT_INSTALLED = (
    "{command} is not installed: install the PostgreSQL client "
    "(Debian: apt-get install postgresql-client)."
)


def _tables(alias: str) -> list[str]:
    """Every table of the database the connection sees (its search path), quoted."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
            " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND pg_catalog.pg_table_is_visible(c.oid)"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def _log(log, returncode: int) -> str:
    log.seek(0)
    text = log.read().decode(errors="replace").strip()
    return text[-4000:] or f"exit status {returncode}"

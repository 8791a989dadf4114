"""`manage.py migrate` run by two servers at once on an empty PostgreSQL database: both start.

Every server applies migrations at start unless MIGRATE_ON_START=false. Without a lock, the
second one's CREATE TABLE failed ("relation ... already exists") and that server stopped.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest

from benchsite.livetest import manage

from .markers import DATABASE_URL, postgresql_only

pytestmark = [pytest.mark.live, postgresql_only("an advisory lock of PostgreSQL")]


def test_two_servers_migrating_an_empty_database_at_once_both_start():
    import psycopg

    name = f"benchtools_migrate_lock_{os.getpid()}"
    admin = DATABASE_URL.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(DATABASE_URL)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    env = {**os.environ, "DATABASE_URL": url, "ENV_FILE": "/nonexistent/.env"}

    def migrate(_):
        return manage("migrate", "--noinput", env=env)

    try:
        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(migrate, range(2)))
        for run in runs:
            assert run.returncode == 0, run.stderr[-2000:]
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            (applied,) = conn.execute("SELECT count(*) FROM django_migrations").fetchone()
            names = conn.execute(
                "SELECT app, name FROM django_migrations GROUP BY app, name HAVING count(*) > 1"
            ).fetchall()
        assert applied > 0 and names == []  # each migration applied once
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_asking_whether_migrations_are_due_does_not_wait_for_a_migrating_server():
    """A server started with MIGRATE_ON_START=false asks `migrate --check` until the database
    is migrated (scripts/serve): it waited on the lock of the server that migrates, then for
    its rescore (8 minutes at 100,000 runs), though it may serve meanwhile."""
    import psycopg
    from django.db import connection

    from benchsite.management.commands.migrate import LOCK_KEY

    migrated = urlunsplit(
        urlsplit(DATABASE_URL)._replace(path=f"/{connection.settings_dict['NAME']}")
    )
    env = {**os.environ, "ENV_FILE": "/nonexistent/.env", "DATABASE_URL": migrated}
    # a server migrating (an advisory lock is its database's)
    with psycopg.connect(migrated.replace("postgres://", "postgresql://", 1)) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        asked = manage("migrate", "--check", env=env, timeout=20)
    assert asked.returncode == 0, asked.stderr[-2000:]  # the test database is migrated
    assert "waiting" not in asked.stdout

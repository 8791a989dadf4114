"""`manage.py migrate` run by two servers at once on an empty PostgreSQL database: both start.

Every server applies migrations at start unless MIGRATE_ON_START=false. Without a lock, the
second one's CREATE TABLE failed ("relation ... already exists") and that server stopped.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from .markers import DATABASE_URL, postgresql_only

ROOT = Path(__file__).resolve().parents[2]

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
        return subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

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

"""README "Moving to PostgreSQL", command for command: SQLite → dumpdata → PostgreSQL loaddata.

Runs in the PostgreSQL run of the suite (it needs a server to move to).
"""

import json
import os
import secrets
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import environ
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="needs a PostgreSQL server (the suite's PostgreSQL run)",
)

# The README's commands (without the `.venv/bin/python` prefix).
DUMP = [
    "dumpdata",
    "--natural-foreign",
    "--exclude=contenttypes",
    "--exclude=auth.permission",
    "--exclude=sessions",
    "--output=move.json",
]
LOAD = ["loaddata", "move.json"]
MAKE_FLEET = "from benchsite.tests.fleet import make_fleet; make_fleet()\n"
EXPORT = (
    "import json\nfrom benchsite.export import WHATS, export_rows\n"
    "rows = {w: list(export_rows(what=w)) for w in WHATS}\n"
)
CREATE = (
    "from inventory.models import Device\n"
    "rows['new_device_id'] = Device.objects.create(hostname='after-the-move').pk\n"
)
PRINT = "print(json.dumps(rows, default=str))\n"


@pytest.fixture
def postgres_database():
    import psycopg

    config = environ.Env.db_url_config(DATABASE_URL)
    name = f"benchtools_move_{secrets.token_hex(4)}"
    admin = {
        "host": config["HOST"],
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"],
        "dbname": config["NAME"],
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def to_the_millisecond(rows: dict) -> dict:
    """dumpdata writes times to the millisecond (Django's JSON encoder): compare them so."""
    for table in rows.values():
        for row in table:
            for key, value in row.items():
                if key.endswith("_at") and value:
                    moment = datetime.fromisoformat(value)
                    row[key] = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return rows


def manage(workdir: Path, database_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENV_FILE": "/nonexistent",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_dumpdata_and_loaddata_move_every_row_from_sqlite_to_postgresql(
    tmp_path, postgres_database
):
    sqlite = f"sqlite:///{tmp_path / 'data.db'}"
    manage(tmp_path, sqlite, "migrate", "--noinput", "-v", "0")
    before = json.loads(
        manage(tmp_path, sqlite, "shell", "-v", "0", "-c", MAKE_FLEET + EXPORT + PRINT)
    )

    manage(tmp_path, sqlite, *DUMP)
    manage(tmp_path, postgres_database, "migrate", "--noinput", "-v", "0")
    manage(tmp_path, postgres_database, *LOAD)

    # loaddata reset the sequences: the next device gets a fresh id, no collision
    after = json.loads(
        manage(tmp_path, postgres_database, "shell", "-v", "0", "-c", EXPORT + CREATE + PRINT)
    )
    new_id = after.pop("new_device_id")
    assert to_the_millisecond(after) == to_the_millisecond(before)
    assert new_id > max(row["id"] for row in before["devices"])

"""Start the real server (gunicorn, as the README runs it) on loopback for tests and perf scripts.

The server gets its own database: a SQLite file in a temp dir, or, when DATABASE_URL points at
PostgreSQL, a fresh database created on that server and dropped afterwards. Several servers of
one cluster share one: the first creates it, the others get its URL (`database_url`) and, as the
README's recipe says, MIGRATE_ON_START=false.

The migrate step of a start is done once per process, into a template database that each new
server's database is copied from (SQLite's backup API; PostgreSQL's CREATE DATABASE … TEMPLATE):
`manage.py migrate` costs about three seconds of CPU, a copy milliseconds, and the suite starts
dozens of servers.
"""

import atexit
import contextlib
import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import environ

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LiveServer:
    url: str
    token: str
    env: dict
    log: Path
    pid: int = 0  # the gunicorn master (perf scripts read its workers' CPU time)

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`manage.py ARGS` on this server's database and settings (backup, restore…)."""
        return manage(*args, env=self.env, timeout=timeout)

    def submit(self, document: dict, *, timeout: float = 60) -> tuple[int, dict]:
        """POST /api/benchmark with this server's token, as bench.sh does: (status, answer).
        An error status raises urllib.error.HTTPError."""
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.url}/api/benchmark",
            data=json.dumps(document).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())


def manage(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """This checkout's `manage.py ARGS` in a process of its own with `env`; its output as
    text, its exit status unchecked."""
    return subprocess.run(  # noqa: S603 (this interpreter, this checkout's manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


def _postgres_admin(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    return dict(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"],
        dbname=config["NAME"],
        autocommit=True,
    )


def _migrate(env: dict) -> None:
    # as scripts/serve and the Docker entry point do: the migrate step of a start. Django's
    # settings whatever the server's application (perf/raw_asgi.py is started without them)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "benchsite.settings"},
        check=True,
        timeout=300,
    )


_templates: dict[str, str] = {}  # DATABASE_URL of the servers' cluster → its migrated template


def _template(env: dict) -> str:
    """This process's migrated template database for the cluster of os.environ's DATABASE_URL
    (a SQLite file path, or a PostgreSQL database name); made on first use, gone at exit."""
    url = os.environ.get("DATABASE_URL", "")
    key = url if _is_postgres(url) else "sqlite"
    if key in _templates:
        return _templates[key]
    if _is_postgres(url):
        import psycopg

        name = f"benchtools_template_{secrets.token_hex(4)}"
        with psycopg.connect(**_postgres_admin(url)) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(**_postgres_admin(url)) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        atexit.register(drop)
        _migrate({**env, "DATABASE_URL": url.rsplit("/", 1)[0] + "/" + name})
        _templates[key] = name
        return name
    return _sqlite_template(env)


def _sqlite_template(env: dict) -> str:
    if "sqlite" not in _templates:
        directory = tempfile.mkdtemp(prefix="benchtools-template-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        path = os.path.join(directory, "template.db")
        _migrate({**env, "DATABASE_URL": f"sqlite:///{path}"})
        _templates["sqlite"] = path
    return _templates["sqlite"]


def migrated_sqlite(path: Path, env: dict | None = None) -> None:
    """A SQLite database at `path` as `manage.py migrate` leaves a new one: a copy of this
    process's migrated template, made on first use with `env` (this process's environment by
    default). A migrate costs ~2.3 s of CPU, a copy milliseconds."""
    source = sqlite3.connect(_sqlite_template(env or dict(os.environ)))
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


@contextlib.contextmanager
def _database(workdir: Path, shared: str | None, env: dict, migrated: bool) -> Iterator[str]:
    """The server's database URL: `shared`, else a new database, a copy of the template when
    it is to be `migrated`, else empty."""
    if shared:  # another server's: it created it and drops it
        yield shared
        return
    url = os.environ.get("DATABASE_URL", "")
    if not _is_postgres(url):
        path = workdir / "live.db"
        if migrated:
            migrated_sqlite(path, env)
        yield f"sqlite:///{path}"
        return
    import psycopg

    name = f"benchtools_live_{secrets.token_hex(4)}"
    template = f' TEMPLATE "{_template(env)}"' if migrated else ""
    with psycopg.connect(**_postgres_admin(url)) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(**_postgres_admin(url)) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_environment(workdir: Path, *, port: int, workers: int = 2) -> dict[str, str]:
    """The environment of a server started here, this process's own with its secrets, its port
    and workers, and its uploads, backups, static files and cache in `workdir` (DATABASE_URL
    is the caller's)."""
    return {
        **os.environ,
        "ENV_FILE": str(workdir / "none.env"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_TOKEN": secrets.token_urlsafe(24),
        "DEBUG": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "UPLOAD_DIR": str(workdir / "uploads"),
        "BACKUP_DIR": str(workdir / "backups"),
        "STATIC_MANIFEST": "false",
        "WHITENOISE_USE_FINDERS": "true",
        "STATIC_ROOT": str(workdir / "static"),
        "GUNICORN_ACCESS_LOG": "",
        # its own failed-auth budgets: servers of one test session never share addresses' state
        "CACHE_URL": f"filecache://{workdir / 'cache'}",
    }


@contextlib.contextmanager
def live_server(
    workdir: Path,
    *,
    workers: int = 2,
    extra_env: dict | None = None,
    worker_class: str | None = None,
    app: str | None = None,
    database_url: str | None = None,
) -> Iterator[LiveServer]:
    """The server as gunicorn.conf.py runs it; `worker_class` (GUNICORN_WORKER_CLASS) and `app`
    (another ASGI/WSGI application, e.g. perf/raw_asgi.py, on the same migrated database) are
    for the perf scripts. `database_url`: a database another live server started here owns (one
    database, several servers); a new one is migrated unless MIGRATE_ON_START is false."""
    port = free_port()
    base = {
        **server_environment(workdir, port=port, workers=workers),
        **({"GUNICORN_WORKER_CLASS": worker_class} if worker_class else {}),
        **(extra_env or {}),
    }
    migrate = base.get("MIGRATE_ON_START", "true").lower() in environ.Env.BOOLEAN_TRUE_STRINGS
    with _database(workdir, database_url, base, migrate) as url:
        env = {**base, "DATABASE_URL": url}
        (workdir / "static").mkdir(exist_ok=True)
        if migrate and database_url:  # a shared database and MIGRATE_ON_START: as a start does
            _migrate(env)
        log = workdir / "server.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, our gunicorn config)
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "gunicorn.conf.py",
                    *([app] if app else []),
                ],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_healthy(url, process, log)
                yield LiveServer(url=url, token=env["API_TOKEN"], env=env, log=log, pid=process.pid)
            finally:
                stop(process, timeout=20)


def stop(process: subprocess.Popen, *, timeout: float) -> None:
    """Ask a server to stop (SIGTERM: gunicorn's graceful shutdown), kill it past `timeout`."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {timeout}s:\n{log.read_text()}")

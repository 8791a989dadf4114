"""scripts/serve, the README's run command: secrets written once, the token printed once,
migrations only with MIGRATE_ON_START.

It runs in a copy of the checkout whose .venv holds this interpreter and gunicorn but a `pip`
that installs nothing: the script under test is the start-up, not the package installer, and the
tests must not touch the shared environment.
"""

import functools
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from benchsite.livetest import free_port, migrated_sqlite

from .markers import engine_independent

pytestmark = [pytest.mark.live, engine_independent]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> Path:
    """One STATIC_ROOT for the module's starts: the first collects, the others find it up to date
    (collectstatic --if-changed), as an installation's restarts do."""
    return tmp_path_factory.mktemp("static")


@pytest.fixture
def checkout(tmp_path, collected_static) -> Path:
    (tmp_path / "static").symlink_to(collected_static)
    root = tmp_path / "checkout"
    root.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in (".venv", ".env", "data", "uploads", "backups", "staticfiles", ".git"):
            (root / entry.name).symlink_to(entry)
    venv = root / ".venv"
    bin_dir = venv / "bin"
    bin_dir.mkdir(parents=True)
    # a virtualenv is its pyvenv.cfg and lib/ beside bin/: this one shares the suite's packages
    (venv / "pyvenv.cfg").write_text((Path(sys.prefix) / "pyvenv.cfg").read_text())
    (venv / "lib").symlink_to(Path(sys.prefix) / "lib")
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "gunicorn").symlink_to(VENV_BIN / "gunicorn")
    # a pip that installs nothing and says it was run (in .venv/pip-runs), failing if asked
    (bin_dir / "pip").write_text(
        '#!/bin/sh\necho "$*" >> "$(dirname "$0")/../pip-runs"\nexec ${PIP_TEST_EXIT:-true}\n'
    )
    (bin_dir / "pip").chmod(0o755)
    return root


def pip_runs(checkout: Path) -> int:
    runs = checkout / ".venv" / "pip-runs"
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def serve_environment(checkout: Path, **env) -> tuple[dict, int]:
    """scripts/serve's environment for a test (its own SQLite database, port, cache), and the
    port."""
    port = free_port()
    inherited = ("SECRET_KEY", "API_TOKEN", "DEBUG", "ENV_FILE", "DATABASE_URL", "CACHE_URL")
    base = {k: v for k, v in os.environ.items() if k not in inherited}
    data = checkout.parent
    environment = {
        **base,
        "ENV_FILE": str(checkout / ".env"),  # what the checkout's symlinks would resolve away
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{data / 'serve.db'}",
        "CACHE_URL": f"filecache://{data / 'cache'}",
        "STATIC_ROOT": str(data / "static"),
        "GUNICORN_ACCESS_LOG": "",
        "WEB_CONCURRENCY": "1",
        **env,
    }
    return environment, port


def serve(checkout: Path, *, without: tuple[str, ...] = (), **env) -> str:
    """Run scripts/serve until the server answers, stop it, return what it printed.
    `without`: variables left out of its environment (for its .env to give them)."""
    environment, port = serve_environment(checkout, **env)
    return started(checkout, {k: v for k, v in environment.items() if k not in without}, port)[1]


def started(checkout: Path, environment: dict, port: int, host: str = "127.0.0.1"):
    """scripts/serve run in `environment` until the server answers on `host`, then stopped:
    whether it answered, and what it printed."""
    process = subprocess.Popen(
        ["bash", str(checkout / "scripts" / "serve")],
        cwd=checkout.parent,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    answered = False
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None and not answered:
            try:
                with urllib.request.urlopen(f"http://{host}:{port}/api/health", timeout=2):
                    answered = True
            except urllib.error.HTTPError:
                answered = True  # it answers (503 on a database not migrated yet)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    return answered, output.decode()


def migrated(checkout: Path) -> None:
    """The database of an install that started before: migrated (a copy of the live servers'
    template), so that its start's migrate finds nothing to do. A test of what a first start
    does with no database at all leaves it out."""
    migrated_sqlite(checkout.parent / "serve.db")


def api_token(checkout: Path) -> str:
    (line,) = [ln for ln in (checkout / ".env").read_text().splitlines() if ln.startswith("API_")]
    return line.split("=", 1)[1]


def test_the_token_is_printed_on_the_first_start_only(checkout):
    first = serve(checkout)
    token = api_token(checkout)
    assert len(token) >= 24
    assert "Linux BenchTools is starting" in first, first
    assert token in first
    assert oct((checkout / ".env").stat().st_mode & 0o777) == "0o600"
    assert "Network test: none unless IPERF_SERVER names the LAN's iperf3 server" in first

    again = serve(checkout)

    assert "Linux BenchTools is starting" in again, again
    assert token not in again
    assert "--token YOUR_TOKEN" in again
    assert api_token(checkout) == token  # the .env was kept
    assert pip_runs(checkout) == 1  # the packages installed on the first start only


PAST_PIP = "missing/.env: No such file or directory"


def stopped_after_pip(checkout: Path, **env) -> str:
    """A first start stopped right after its pip step, by a .env it cannot write (in a directory
    that is not there; no Django started): what it printed, PAST_PIP in it."""
    return serve(checkout, ENV_FILE=str(checkout.parent / "missing" / ".env"), **env)


def test_pip_runs_again_after_the_venvs_python_or_its_packages_changed(checkout):
    """Its note of requirements.txt alone skipped pip on a .venv whose Python an upgrade of the
    system had replaced (its packages are another version's), and on packages another version
    of scripts/serve had installed since (one of before the note, gone back to)."""
    start = functools.partial(stopped_after_pip, checkout)
    start()
    assert pip_runs(checkout) == 1
    note = checkout / ".venv" / ".requirements-installed"
    os.utime(note, (0, 0))  # older than site-packages: packages installed since
    start()
    start()
    assert pip_runs(checkout) == 2
    other = Path("/usr/bin/python3")
    version = "import sys; print(sys.version)"
    if (
        not other.exists()
        or subprocess.run([other, "-c", version], capture_output=True, text=True).stdout
        == subprocess.run([sys.executable, "-c", version], capture_output=True, text=True).stdout
    ):
        return  # no other Python here to stand for the system's upgraded one
    python = checkout / ".venv" / "bin" / "python"
    python.unlink()
    python.symlink_to(other)
    start()
    assert pip_runs(checkout) == 3


def test_pip_runs_when_requirements_txt_changed_and_again_after_it_failed(checkout):
    """A restart ran `pip install -r requirements.txt` with nothing to install: 2 s of CPU and
    3 s of every start. It runs on the first start, after an upgrade changed the requirements,
    and until it succeeds."""

    start = functools.partial(stopped_after_pip, checkout)
    start()
    start()
    assert pip_runs(checkout) == 1
    requirements = checkout / "requirements.txt"
    text = requirements.read_text()
    requirements.unlink()  # the checkout's symlink to the suite's: a copy, then upgraded
    requirements.write_text(text + "# an upgrade\n")
    start()
    start()
    assert pip_runs(checkout) == 2
    requirements.write_text(text + "# another upgrade, whose install fails\n")
    output = start(PIP_TEST_EXIT="false")
    assert pip_runs(checkout) == 3 and PAST_PIP not in output, output  # it stopped there
    start()
    assert pip_runs(checkout) == 4

    # a .venv this account may not write (made by another account): the start goes on, and pip
    # runs at each one, as before (a directory stands for the file root may not write here)
    (checkout / ".venv" / ".requirements-installed").unlink()
    (checkout / ".venv" / ".requirements-installed").mkdir()
    assert PAST_PIP in start() and PAST_PIP in start()
    assert pip_runs(checkout) == 6


def test_the_banner_names_the_address_the_token_and_the_iperf3_server_in_force(checkout):
    migrated(checkout)
    output = serve(
        checkout, API_TOKEN="token-from-the-environment-0123456789", IPERF_SERVER="bench.lan"
    )

    assert "starting on http://127.0.0.1:" in output, output  # HOST, where it listens
    assert api_token(checkout) not in output  # the .env's token is not the one in force
    assert "API_TOKEN from the environment" in output and "--token YOUR_TOKEN" in output
    assert "Network test: against the iperf3 server bench.lan (IPERF_SERVER)" in output


def test_the_banner_names_the_address_of_host_in_the_env_file(checkout):
    migrated(checkout)
    # the .env a first start writes (test_the_token_is_printed_on_the_first_start_only), and
    # HOST added to it by hand
    (checkout / ".env").write_text(
        f"SECRET_KEY={secrets.token_urlsafe(50)}\nAPI_TOKEN={secrets.token_urlsafe(32)}\n"
        "DEBUG=false\nHOST=127.0.0.1\n"
    )

    output = serve(checkout, without=("HOST",))

    # where gunicorn listens (gunicorn.conf.py reads the .env too), not this machine's address
    assert "starting on http://127.0.0.1:" in output, output


def test_a_env_file_written_by_hand_before_the_first_start_is_given_the_secrets_it_lacks(
    checkout,
):
    """README: "PORT=8080 in .env". Written before the first start, the start stopped at
    "SECRET_KEY is missing … (the README's run command generates one)", which it did not."""
    (checkout / ".env").write_text("DEBUG=false\nHOST=127.0.0.1")  # no newline at its end
    migrated(
        checkout
    )  # the first start's migrate: test_the_token_is_printed_on_the_first_start_only

    output = serve(checkout, without=("HOST",))

    assert "Added a new SECRET_KEY and API_TOKEN to" in output, output
    assert "Linux BenchTools is starting on http://127.0.0.1:" in output, output
    lines = (checkout / ".env").read_text().splitlines()
    assert lines[:2] == ["DEBUG=false", "HOST=127.0.0.1"]
    assert [line.split("=")[0] for line in lines[2:]] == ["SECRET_KEY", "API_TOKEN"]
    assert api_token(checkout) in output  # a token made now is shown, this once
    assert "Added a new" not in serve(checkout, without=("HOST",))


def test_a_secret_left_empty_in_a_env_file_is_given_its_value_where_it_is(checkout):
    """ "SECRET_KEY=" with nothing after it was a line, so none was added, and the start
    stopped at "SECRET_KEY is missing" all the same."""
    (checkout / ".env").write_text("SECRET_KEY=\nexport API_TOKEN= \nHOST=127.0.0.1\n")
    migrated(checkout)

    output = serve(checkout, without=("HOST",))

    assert "Added a new SECRET_KEY and API_TOKEN to" in output, output
    assert "Linux BenchTools is starting on http://127.0.0.1:" in output, output
    names = [line.split("=")[0] for line in (checkout / ".env").read_text().splitlines()]
    assert names == ["SECRET_KEY", "export API_TOKEN", "HOST"]  # where they were, once each


def test_an_ipv6_host_is_listened_on_and_said_in_brackets(checkout):
    """HOST=::1: gunicorn read "::1:PORT" as an empty port and stopped after the migrations."""
    migrated(checkout)
    environment, port = serve_environment(checkout, HOST="::1")

    answered, output = started(checkout, environment, port, host="[::1]")

    assert answered, output
    assert f"starting on http://[::1]:{port}/" in output, output


def test_migrate_on_start_false_waits_for_the_database_to_be_migrated(checkout):
    """Several servers upgraded at once: one that does not migrate served the new version on
    the old schema, and every submission was a 500 (a column not there yet) until the other
    had migrated. It now starts once the database is migrated, and leaves that to the other."""
    environment, port = serve_environment(checkout, MIGRATE_ON_START="false")
    process = subprocess.Popen(
        ["bash", str(checkout / "scripts" / "serve")],
        cwd=checkout.parent,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith(("Waiting for the database to be migrated", "Linux BenchTools is")):
                break
        assert "MIGRATE_ON_START is false" in "".join(lines), lines
        assert lines[-1].startswith("Waiting for the database to be migrated"), lines
        database = checkout.parent / "serve.db"
        if database.exists():
            with sqlite3.connect(database) as db:
                tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
            assert "django_migrations" not in tables  # left to the server that migrates
        assert not answers(port)

        migrated = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=checkout,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrated.returncode == 0, migrated.stderr
        deadline = time.monotonic() + 120
        while not answers(port) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.3)
        assert answers(port)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    assert "The database is migrated: starting." in rest, rest


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as got:
            return got.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def test_the_admin_account_is_created_once_and_a_refusal_is_said(checkout):
    admin = {"DJANGO_SUPERUSER_USERNAME": "admin", "DJANGO_SUPERUSER_PASSWORD": "a-long-pass-123"}
    migrated(checkout)

    refused = serve(checkout, **admin, DJANGO_SUPERUSER_EMAIL="admin@b.c")
    created = serve(checkout, **admin, DJANGO_SUPERUSER_EMAIL="admin@example.com")
    again = serve(checkout, **admin, DJANGO_SUPERUSER_EMAIL="admin@example.com")

    assert "Admin account admin not created: Enter a valid email address." in refused, refused
    assert "already exists" not in refused
    assert "Superuser created successfully." in created, created
    assert "Admin account admin already exists." in again, again
    with sqlite3.connect(checkout.parent / "serve.db") as db:
        assert db.execute("SELECT username, is_superuser FROM auth_user").fetchall() == [
            ("admin", 1)
        ]


def test_the_database_is_readable_by_this_account_only(checkout):
    database = checkout.parent / "serve.db"
    migrated(checkout)  # an install from before the server set its umask
    database.chmod(0o644)

    serve(checkout)

    for path in checkout.parent.glob("serve.db*"):
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))
    assert {p.name for p in checkout.parent.glob("serve.db*")} >= {"serve.db"}


def test_a_port_in_use_stops_the_start_before_the_migrations_saying_so(checkout):
    """Started twice (or beside another service on its port), it migrated, printed its banner
    "Linux BenchTools is starting", then gunicorn said "Connection in use" five times."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        output = serve(checkout, PORT=str(port))

    assert f"Cannot listen on 127.0.0.1 port {port}: it is in use" in output, output
    assert "PORT=8080" in output
    assert "Running migrations" not in output and "Linux BenchTools is starting" not in output


@pytest.mark.parametrize("host", ["nas.invalid", "192.0.2.1", "fe80::1"])
def test_a_host_of_no_address_here_stops_the_start_saying_host_not_the_port(checkout, host):
    """A HOST that does not resolve, or another machine's address: the start said "Choose
    another port … PORT=8080"."""
    output = serve(checkout, HOST=host)

    assert f"Cannot listen on {host} port " in output, output
    assert "HOST is an address of this machine" in output and "PORT=8080" not in output
    assert "Running migrations" not in output


def test_a_host_with_a_blank_around_it_is_listened_on(checkout):
    """HOST=" 127.0.0.1 " in the environment (a shell's quotes): gunicorn was given the blanks
    and failed to bind five times, after the migrations and the banner."""
    migrated(checkout)
    environment, port = serve_environment(checkout, HOST=" 127.0.0.1 ")

    answered, output = started(checkout, environment, port)

    assert answered, output


def test_behind_a_proxy_the_banner_gives_the_address_people_open(checkout):
    """Behind the README's TLS proxy (HOST=127.0.0.1) the banner gave http://127.0.0.1:PORT/
    for the admin and the one-liner: a 400 for its Host, or a redirect without the proxy's
    port. SITE_URL is said where set; without it, where to look."""
    migrated(checkout)
    proxy = {"SECURE_PROXY_SSL_HEADER": "true", "ALLOWED_HOSTS": "bench.example.lan"}

    named = serve(checkout, SITE_URL="https://bench.example.lan:8443", **proxy)
    unnamed = serve(checkout, **proxy)

    assert "Admin:      https://bench.example.lan:8443/admin/" in named, named
    assert (
        "curl -fsSL https://bench.example.lan:8443/bench.sh | sudo bash -s -- "
        "--server https://bench.example.lan:8443/api/benchmark --token "
    ) in named
    assert "starting on http://127.0.0.1:" in named  # where it listens, as before
    assert "open the admin at the proxy's https:// address" in unnamed, unnamed
    assert "curl -fsSL http://127.0.0.1" not in unnamed
    assert "API token:" in unnamed

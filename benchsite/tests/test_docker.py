"""Dockerfile, docker-compose.yml, the entry point and the health check, without a Docker engine.

What needs an engine (building the image, running the container, compose up) is not tested
here; everything those steps run is: the entry point, the health probe, the collectstatic build
step, the compose file's structure and the CMD.
"""

import http.server
import importlib.util
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from benchsite.livetest import manage, migrated_sqlite

from .markers import engine_independent

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = str(Path(sys.executable).parent)


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def instruction(name: str) -> list[str]:
    return [arguments for found, arguments in dockerfile() if found == name]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_image_is_python_311_slim_and_runs_as_a_non_root_user():
    assert instruction("FROM") == ["python:3.11-slim"]
    (user,) = instruction("USER")
    assert user not in ("root", "0")
    assert any("useradd" in run and user in run for run in instruction("RUN"))
    assert instruction("EXPOSE") == ["8007"]


def test_cmd_is_the_command_scripts_serve_runs():
    (cmd,) = instruction("CMD")
    serve = (ROOT / "scripts" / "serve").read_text()
    (line,) = [ln for ln in serve.splitlines() if ln.startswith("exec ")]
    served = shlex.split(line)[1:]
    served[0] = Path(served[0]).name  # .venv/bin/gunicorn in a checkout, on PATH in the image
    assert json.loads(cmd) == served == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert json.loads(instruction("ENTRYPOINT")[0]) == ["docker/entrypoint.sh"]


def test_healthcheck_probes_api_health_with_python_not_curl():
    (healthcheck,) = instruction("HEALTHCHECK")
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command == ["python", "docker/healthcheck.py"]
    assert "curl" not in healthcheck
    assert "/api/health" in (ROOT / "docker" / "healthcheck.py").read_text()


def test_requirements_are_installed_and_static_files_collected_at_build():
    runs = instruction("RUN")
    assert "pip install -r requirements.txt" in runs
    assert any("collectstatic --noinput" in run for run in runs)


@engine_independent
def test_the_image_holds_the_bytecode_of_every_app(tmp_path):
    # the image sets PYTHONDONTWRITEBYTECODE: without the bytecode built in, every process of
    # the container (each manage.py command, the server) would compile the apps' sources again
    steps = dockerfile()
    (run,) = [
        arguments
        for at, (found, arguments) in enumerate(steps)
        if found == "RUN" and "compileall" in arguments and at > steps.index(("COPY", ". ."))
    ]
    apps = sorted({app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()})
    for app in apps:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    # as the image's ENV has it (compileall writes all the same)
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        ["sh", "-c", run], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    sources = [path for app in apps for path in (tmp_path / app).rglob("*.py")]
    assert len(sources) > 100
    missing = [
        str(path.relative_to(tmp_path))
        for path in sources
        if not Path(importlib.util.cache_from_source(str(path))).is_file()
    ]
    assert missing == []


@engine_independent
def test_the_build_step_collectstatic_works_with_its_throwaway_secrets(tmp_path):
    (run,) = [r for r in instruction("RUN") if "collectstatic" in r]
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "STATIC_ROOT": str(tmp_path / "static")}
    done = subprocess.run(
        ["sh", "-c", run], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()  # hashed names for whitenoise
    assert (tmp_path / "static" / "admin").is_dir()


def test_data_directories_match_the_compose_volumes(compose):
    env = " ".join(instruction("ENV"))
    service = compose["services"]["benchtools"]
    targets = {volume.split(":")[1] for volume in service["volumes"]}
    assert targets == {"/app/data", "/app/uploads", "/app/backups"}
    assert "DATABASE_URL=sqlite:////app/data/data.db" in env
    assert "UPLOAD_DIR=/app/uploads" in env and "BACKUP_DIR=/app/backups" in env
    assert service["environment"]["UPLOAD_DIR"] == "/app/uploads"
    assert service["environment"]["BACKUP_DIR"] == "/app/backups"
    named = {volume.split(":")[0] for volume in service["volumes"]}
    assert named <= set(compose["volumes"])  # named volumes: owned by the image's user


def test_compose_runs_benchtools_on_8007_with_env_file_and_restart_policy(compose):
    service = compose["services"]["benchtools"]
    assert service["build"] == "."
    assert service["ports"] == ["${PORT:-8007}:8007"]
    assert service["environment"]["PORT"] == "8007"
    assert service["env_file"] == ".env"
    assert service["restart"] == "unless-stopped"
    assert "profiles" not in service  # started by a plain `docker compose up`


def test_compose_postgresql_is_optional_behind_a_profile(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["profiles"] == ["postgres", "cluster"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    dependency = compose["services"]["benchtools"]["depends_on"]["postgres"]
    assert dependency == {"condition": "service_healthy", "required": False}


CLUSTER = ("postgres", "redis", "migrate", "app", "proxy")


def test_the_cluster_profile_has_its_services_each_with_a_healthcheck(compose):
    services = compose["services"]
    profiled = {
        name for name, service in services.items() if "cluster" in service.get("profiles", ())
    }
    assert profiled == set(CLUSTER)
    for name in ("postgres", "redis", "app", "proxy"):  # the one-shot migrate job has none
        assert services[name]["healthcheck"]["test"], name
    assert services["redis"]["image"].startswith("redis:")
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]


def test_one_migrate_job_runs_before_any_app_server(compose):
    migrate, app = compose["services"]["migrate"], compose["services"]["app"]
    assert migrate["entrypoint"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert app["environment"]["MIGRATE_ON_START"] == "false"
    assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert app["depends_on"]["redis"] == {"condition": "service_healthy"}
    # one database and one cache for the job and every server
    for key in ("DATABASE_URL", "CACHE_URL"):
        assert migrate["environment"][key] == app["environment"][key]
    assert app["environment"]["DATABASE_URL"].startswith("postgres://benchtools:")
    assert app["environment"]["DATABASE_URL"].endswith("@postgres:5432/benchtools")
    assert app["environment"]["CACHE_URL"] == "redis://redis:6379/0"


def test_the_app_service_scales_behind_the_proxy(compose):
    app, proxy = compose["services"]["app"], compose["services"]["proxy"]
    # replicas cannot share a fixed host port or a container name: the proxy is the way in
    assert "ports" not in app and "container_name" not in app
    assert app["expose"] == ["8007"]
    assert app["environment"]["NUM_PROXIES"] == "1"
    assert app["healthcheck"]["test"] == ["CMD", "python", "docker/healthcheck.py"]
    assert proxy["ports"] == ["${PORT:-8007}:8007"]
    assert proxy["depends_on"]["app"] == {"condition": "service_healthy"}
    (mount,) = proxy["volumes"]
    source, target, _ = mount.split(":")
    assert (ROOT / source).is_file() and target == "/etc/nginx/conf.d/default.conf"
    # the cluster recipe in the file's header keeps the single server down
    assert "--scale benchtools=0 --scale app=3" in (ROOT / "docker-compose.yml").read_text()


def test_the_proxy_forwards_one_hop_and_logs_no_query_string():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    directives = {line.strip() for line in conf.splitlines() if not line.strip().startswith("#")}
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in directives
    # the Host with the port the browser used ($host drops it): an admin login's Origin
    # (http://bench.lan:8007) failed Django's CSRF check against "bench.lan"
    assert "proxy_set_header Host $http_host;" in directives
    assert "set $app http://app:8007;" in directives and "proxy_pass $app;" in directives
    assert "resolver 127.0.0.11 valid=10s ipv6=off;" in directives  # finds new replicas
    log_format = conf.split("log_format benchtools", 1)[1].split(";", 1)[0]
    assert "$uri" in log_format
    for leaky in ("$request ", "$request_uri", "$args", "$query_string", "$http_authorization"):
        assert leaky not in log_format
    assert "access_log /dev/stdout benchtools;" in directives


def test_the_proxy_passes_a_dropped_submission_to_another_replica_and_nothing_else():
    """A replica stopping (gunicorn's gthread resets what it accepted and had not read) was a
    502 for the submissions it held; a submission tried twice is stored once (submission_id),
    an upload or a form would be taken twice."""
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    locations = {
        block.split("{", 1)[0].strip(): block.split("{", 1)[1]
        for block in conf.split("location ")[1:]
    }
    retried = "proxy_next_upstream error timeout non_idempotent;"
    assert retried in locations["= /api/benchmark"]
    assert "proxy_next_upstream" not in locations["/"]
    # the same proxying as every other request's
    for directive in ("proxy_set_header Host $http_host;", "proxy_pass $app;"):
        assert directive in locations["= /api/benchmark"]


def test_dockerignore_keeps_secrets_state_and_the_virtualenv_out():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv/", "data/", "uploads/", "backups/", ".git/"} <= ignored


# --- the entry point ----------------------------------------------------------------------------


def entrypoint_env(tmp_path, **extra):
    return {
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "ENV_FILE": "/nonexistent",
        "DEBUG": "false",
        "SECRET_KEY": "entrypoint-test-" + "k" * 40,
        "API_TOKEN": "entrypoint-test-token-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'data.db'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        **extra,
    }


def test_entrypoint_passes_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (scripts/test installs it)")
    done = subprocess.run(
        ["shellcheck", "docker/entrypoint.sh"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


@engine_independent
def test_entrypoint_migrates_then_becomes_the_command(tmp_path):
    fake_cmd = [sys.executable, "-c", "import os, sys; print(os.getpid()); sys.exit(7)"]
    process = subprocess.Popen(
        [str(ROOT / "docker" / "entrypoint.sh"), *fake_cmd],
        cwd=tmp_path,  # it finds the project from its own path, like WORKDIR in the image
        env=entrypoint_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(timeout=300)
    assert process.returncode == 7, err  # the command's own exit status
    assert out.strip().splitlines()[-1] == str(process.pid)  # exec'd: same process, not a child
    with sqlite3.connect(tmp_path / "data" / "data.db") as db:
        applied = {app for (app,) in db.execute("SELECT app FROM django_migrations")}
    assert {"inventory", "benchmarks", "documents", "benchsite"} <= applied


@engine_independent
def test_entrypoint_creates_the_admin_account_once_and_says_so_at_each_restart(tmp_path):
    """Each restart of the container printed "CommandError: Error: That username is already
    taken." and "admin account not created", as if something had failed."""
    env = entrypoint_env(
        tmp_path,
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_PASSWORD="a-long-pass-phrase-42",
        DJANGO_SUPERUSER_EMAIL="admin@example.lan",
    )
    # a container of before, its database migrated: the restarts are the subject, not migrate
    (tmp_path / "data").mkdir()
    migrated_sqlite(tmp_path / "data" / "data.db")

    def started() -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(ROOT / "docker" / "entrypoint.sh"), "true"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    first, again = started(), started()
    assert first.returncode == 0 and "Superuser created successfully." in first.stdout, first
    assert again.returncode == 0, again
    assert "entrypoint: admin account admin already exists." in again.stdout, again
    assert "CommandError" not in again.stderr + again.stdout, again


@engine_independent
def test_entrypoint_waits_for_the_migrate_job_when_migrate_on_start_is_false(tmp_path):
    """It leaves the migrations to the migrate job (or the server that migrates) and serves
    once they are applied: a server of this version on the database before would answer 500s."""
    marker, said = tmp_path / "served", tmp_path / "stderr"
    env = entrypoint_env(tmp_path, MIGRATE_ON_START="false")
    with said.open("w") as stderr:
        process = subprocess.Popen(
            [str(ROOT / "docker" / "entrypoint.sh"), "touch", str(marker)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 60
            while "waiting for the database" not in said.read_text():
                assert process.poll() is None, said.read_text()
                assert time.monotonic() < deadline, said.read_text()
                time.sleep(0.2)
            time.sleep(1)
            assert process.poll() is None and not marker.exists()
            migrated = manage("migrate", "--noinput", "-v", "0", env=env)
            assert migrated.returncode == 0, migrated.stderr
            assert process.wait(timeout=60) == 0, said.read_text()
        finally:
            if process.poll() is None:
                process.kill()
    assert marker.exists()
    assert "MIGRATE_ON_START is false" in said.read_text()
    assert "the database is migrated: starting" in said.read_text()


@engine_independent
def test_entrypoint_refuses_default_secrets_before_running_the_command(tmp_path):
    marker = tmp_path / "ran"
    done = subprocess.run(
        [str(ROOT / "docker" / "entrypoint.sh"), "touch", str(marker)],
        cwd=tmp_path,
        env=entrypoint_env(tmp_path, API_TOKEN="CHANGE_ME"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "API_TOKEN" in done.stderr
    assert not marker.exists()


# --- the health check ---------------------------------------------------------------------------


class Health(http.server.BaseHTTPRequestHandler):
    status = 200
    seen: list

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.seen.append((self.path, self.headers["Host"]))
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    Health.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def probe(port: int, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "docker/healthcheck.py"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "PORT": str(port),
            "HTTP_PROXY": "http://127.0.0.1:9",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_healthcheck_is_healthy_on_200_under_the_allowed_host_name(health_server):
    port = health_server.server_address[1]
    Health.status = 200
    assert probe(port, ALLOWED_HOSTS=".lab.example,bench.lab.example").returncode == 0
    assert Health.seen == [("/api/health", "lab.example")]
    assert probe(port).returncode == 0
    assert Health.seen[-1] == ("/api/health", "localhost")


def test_healthcheck_is_unhealthy_on_503_or_no_answer(health_server):
    port = health_server.server_address[1]
    Health.status = 503
    assert probe(port).returncode == 1
    health_server.shutdown()
    health_server.server_close()
    assert probe(port).returncode == 1

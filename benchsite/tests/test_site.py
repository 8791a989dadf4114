"""Health, schema, the bench.sh download, JSON errors and startup checks."""

import contextlib
import logging
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.db import DatabaseError

from benchsite import __version__
from benchsite.tests.markers import engine_independent

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_health_reports_the_database_without_auth(anon):
    response = anon.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
        "version": __version__,
    }


@pytest.mark.django_db
def test_health_says_an_upload_dir_it_cannot_write_in_and_stays_200(anon, monkeypatch, tmp_path):
    """An UPLOAD_DIR gone (a mount that failed: a file in its place) answered "ok" while every
    upload was a 503; submissions still work, so it alone is no 503, as the cache."""
    not_a_directory = tmp_path / "uploads"
    not_a_directory.write_text("x")
    monkeypatch.setattr("documents.storage.local_path", lambda name="": not_a_directory)

    response = anon.get("/api/health")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["storage"]) == ("ok", "unwritable")


@pytest.mark.django_db
def test_health_says_an_upload_dir_on_a_read_only_mount_is_unwritable(anon, monkeypatch, tmp_path):
    """A directory that takes no file (a mount gone read-only after a disk error) was "ok",
    being a directory. The suite runs as root, whom no chmod stops: the kernel's no is played."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    monkeypatch.setattr("documents.storage.local_path", lambda name="": uploads)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if path == uploads else real_access(path, mode)
    )

    assert anon.get("/api/health").json()["storage"] == "unwritable"


@engine_independent
def test_the_project_metadata_names_the_version_the_server_reports():
    """pyproject.toml said 0.14.2 of a server that reported 0.14.4 (its bumps went to
    benchsite.__version__ alone)."""
    with open(ROOT / "pyproject.toml", "rb") as metadata:
        assert tomllib.load(metadata)["project"]["version"] == __version__


@pytest.mark.django_db(transaction=True)
def test_health_is_503_on_a_database_not_migrated_yet(anon, migrate_to, monkeypatch):
    # a second server started with MIGRATE_ON_START=false before the first one migrated
    from benchsite import views

    monkeypatch.setattr(views, "_migrated", False)
    migrate_to(("benchmarks", "0001_initial"))

    response = anon.get("/api/health")

    assert response.status_code == 503
    assert response.json()["database"] == "not migrated"
    # as every 503 of the API, and as the OpenAPI document says of this one
    assert response["Retry-After"] == "30"


@pytest.mark.django_db
def test_health_answers_probes_however_they_ask():
    from django.test import Client

    probe = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Bearer not-a-token")
    for path in ("/api/health", "/api/health/"):
        response = probe.get(path, HTTP_ACCEPT="text/plain")
        assert response.status_code == 200, path
        assert response.json()["status"] == "ok"
    assert probe.head("/api/health").status_code == 200
    # any other method: 405 in JSON, not Django's CSRF page
    for method in ("post", "put", "delete"):
        response = getattr(probe, method)("/api/health")
        assert response.status_code == 405, method
        assert response["Content-Type"] == "application/json"
        assert "not allowed" in response.json()["detail"]


@pytest.mark.django_db
def test_health_answers_a_probe_by_address_whatever_allowed_hosts_says(settings):
    """A load balancer probes http://10.0.0.5:8007/api/health: with ALLOWED_HOSTS set to the
    server's name, as the README's TLS section sets it, that was a 400, a dead server."""
    from django.test import Client

    settings.ALLOWED_HOSTS = ["bench.example.lan"]
    probe = Client(HTTP_HOST="10.0.0.5:8007")
    for path in ("/api/health", "/api/health/"):
        response = probe.get(path)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "ok"
    assert probe.post("/api/health").status_code == 405
    assert probe.get("/api/stats").status_code == 400  # the rest of the site: refused as before


@pytest.mark.django_db
def test_health_is_503_when_the_database_fails(anon, monkeypatch, caplog):
    from benchsite import views

    class Broken:
        def cursor(self):
            raise DatabaseError(
                "connection failed: Connection refused\n\tIs the server running on that host?"
            )

    monkeypatch.setattr(views, "connection", Broken())
    with caplog.at_level(logging.ERROR):
        response = anon.get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    # one line a probe, the error's first: a load balancer's probes wrote three (psycopg's
    # second line, and Django's "Service Unavailable: /api/health")
    assert [r.getMessage() for r in caplog.records] == [
        "health check: database unreachable: connection failed: Connection refused"
    ]


@pytest.mark.django_db
def test_health_says_a_lasting_problem_when_it_starts_every_5_minutes_and_when_it_ends(
    anon, monkeypatch, caplog
):
    """A load balancer probing every 5 s during an hour's database outage wrote 720 ERROR
    lines a worker, which buried what else the log said."""
    from benchsite import health, views

    now = [1000.0]
    monkeypatch.setattr(health.PROBLEMS, "clock", lambda: now[0])
    real = views.connection

    class Broken:
        def cursor(self):
            raise DatabaseError("connection failed: Connection refused")

    def probe(seconds_later: float) -> int:
        now[0] += seconds_later
        return anon.get("/api/health").status_code

    monkeypatch.setattr(views, "connection", Broken())
    with caplog.at_level(logging.WARNING, logger="benchsite.health"):
        assert [probe(5) for _ in range(12)] == [503] * 12  # a minute of probes
        assert probe(245) == 503  # 5 minutes after the first
        monkeypatch.setattr(views, "connection", real)
        assert [probe(5) for _ in range(3)] == [200] * 3
        monkeypatch.setattr(views, "connection", Broken())
        assert probe(5) == 503  # a new outage: said at once

    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    unreachable = "health check: database unreachable: connection failed: Connection refused"
    assert said == [
        ("ERROR", unreachable),
        ("ERROR", f"{unreachable} (for 300 s now)"),
        ("WARNING", "health check: database unreachable: over after 305 s"),
        ("ERROR", unreachable),
    ]


@pytest.mark.django_db
def test_openapi_schema_is_public_and_describes_the_contract(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/benchmark",
        "/api/devices",
        "/api/devices/{id}",
        "/api/devices/{device_pk}/benchmarks",
        "/api/stats",
        "/api/health",
    ):
        assert path in schema["paths"], path
    assert "201" in schema["paths"]["/api/benchmark"]["post"]["responses"]


def test_the_schema_is_generated_once_and_checks_no_token(anon, monkeypatch):
    """Anyone may ask for it: each request generated it again (40-350 ms of CPU, 40 clients
    slowed every token's request to seconds), and a token sent with it was checked outside the
    failed-authentication budget (401 or 200: a way to guess it without limit)."""
    from drf_spectacular.generators import SchemaGenerator

    from benchsite.views import SchemaView

    monkeypatch.setattr(SchemaView, "document", None)
    generated = []
    real = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        generated.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    as_json = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    guessed = anon.get(
        "/api/schema/",
        HTTP_ACCEPT="application/vnd.oai.openapi+json",
        HTTP_AUTHORIZATION="Bearer a-guess",
    )
    as_yaml = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    for query in ("?lang=q1", "?lang=fr", "?version=x9"):  # each was a document more, kept
        again = anon.get(f"/api/schema/{query}", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert again.content == as_json.content

    assert len(generated) == 1
    assert guessed.status_code == 200 and guessed.content == as_json.content
    assert as_json["Content-Disposition"].endswith('.json"')
    assert as_yaml["Content-Disposition"].endswith('.yaml"')
    assert as_yaml.content.startswith(b"openapi: 3.1.0")


def test_the_schemas_errors_are_json_as_every_endpoints(anon):
    """The document's renderers, YAML first, wrote its 405 and 406 as YAML with DRF's
    internals in them ("detail:\n  string: Method ... code: method_not_allowed")."""
    for response, status, named in (
        (anon.post("/api/schema/"), 405, "detail"),
        (anon.get("/api/schema/", HTTP_ACCEPT="text/html"), 406, "detail"),
        (anon.get("/api/schema/?format=xml"), 406, "format"),
        # and its page's, a line of HTML
        (anon.post("/api/schema/ui/"), 405, "detail"),
        (anon.get("/api/schema/ui/?format=xml"), 406, "format"),
    ):
        assert response.status_code == status, response.content
        assert response["Content-Type"] == "application/json", response.content
        assert list(response.json()) == [named], response.content


def test_the_schema_tells_the_bounds_of_the_numbers_a_query_takes(anon):
    """A client generated from the document (or schemathesis) learns that page 0, page_size 0
    and device 0 are refused (a 400), and that a page holds 500 at most: a larger page_size is
    capped, not refused, so it is said in words, not as a maximum (schemathesis took 501 for a
    value the server must refuse)."""
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    def bounds(path, name):
        (parameter,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
        return parameter["schema"].get("minimum"), parameter["schema"].get("maximum")

    for path in ("/api/devices", "/api/attention", "/api/devices/{device_pk}/benchmarks"):
        assert bounds(path, "page") == (1, None)
        assert bounds(path, "page_size") == (1, None)
        (size,) = [
            p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page_size"
        ]
        assert size["description"] == "Rows per page, at most 500: a larger number gives 500."
    assert bounds("/api/attention", "device")[0] == 1


@pytest.mark.django_db
def test_schema_ui_uses_local_assets(anon):
    response = anon.get("/api/schema/ui/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


@pytest.mark.django_db
def test_bench_script_is_served_without_auth_when_installed(anon, monkeypatch, tmp_path):
    """The checkout ships the client, so it is served; a server without it says 404."""
    from benchsite import views

    shipped = Path(__file__).resolve().parents[2] / "benchmarks" / "client" / "bench.sh"
    response = anon.get("/bench.sh")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == shipped.read_bytes()
    assert response["Content-Type"].startswith("text/x-shellscript")
    head = anon.head("/bench.sh")
    assert head.status_code == 200 and head["Content-Type"] == response["Content-Type"]
    assert anon.post("/bench.sh").status_code == 405
    monkeypatch.setattr(views, "BENCH_SCRIPT", tmp_path / "bench.sh")
    assert anon.get("/bench.sh").status_code == 404


@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def run_check(**env_overrides):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "API_TOKEN", "DEBUG")},
        "ENV_FILE": "/nonexistent/.env",
        **env_overrides,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


REAL_TOKEN = "a-real-token-of-24-chars!"


@engine_independent  # manage.py check of the settings: no database is opened
@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SECRET_KEY": "CHANGE_ME", "API_TOKEN": REAL_TOKEN}, "SECRET_KEY"),
        ({"API_TOKEN": REAL_TOKEN}, "SECRET_KEY"),
        ({"SECRET_KEY": "s" * 50, "API_TOKEN": "CHANGE_ME"}, "API_TOKEN"),
        ({"SECRET_KEY": "s" * 50}, "API_TOKEN"),
    ],
)
def test_production_refuses_to_start_with_default_secrets(env, named):
    result = run_check(DEBUG="false", **env)
    assert result.returncode != 0
    assert named in result.stderr


@engine_independent  # manage.py check of the settings: no database is opened
def test_production_starts_with_real_secrets():
    result = run_check(DEBUG="false", SECRET_KEY="s" * 50, API_TOKEN=REAL_TOKEN)
    assert result.returncode == 0, result.stderr


@engine_independent  # manage.py check of the settings: no database is opened
@pytest.mark.parametrize("token", ["y", "x" * 23])
def test_production_refuses_an_api_token_shorter_than_24_characters(token):
    result = run_check(DEBUG="false", SECRET_KEY="s" * 50, API_TOKEN=token)
    assert result.returncode != 0
    assert f"API_TOKEN is {len(token)} characters long; it must have at least 24" in result.stderr


@engine_independent  # no database is opened
def test_manage_py_run_by_a_python_without_django_says_which_python_to_use():
    """`python3 manage.py createsuperuser`, as Django's guide writes it, ended in a traceback
    and "No module named 'django'" on a server installed in .venv."""
    # -S: this Python without its site-packages, as the system's python3 is without Django
    done = subprocess.run(
        [sys.executable, "-S", "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"Django is not installed for {sys.executable}: run ")
    assert ".venv/bin/python manage.py" in done.stderr


@engine_independent  # manage.py check of the settings: no database is opened
def test_debug_starts_without_secrets():
    assert run_check(DEBUG="true").returncode == 0


@engine_independent  # manage.py check of the settings: no database is opened
def test_invalid_score_weights_refuse_to_start():
    result = run_check(DEBUG="true", SCORE_WEIGHTS="cpu=lots")
    assert result.returncode != 0
    assert "SCORE_WEIGHTS" in result.stderr


def test_the_root_leads_to_the_admin(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_admin_view_site_link_opens_the_api_documentation(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert 'href="/api/schema/ui/"' in html
    assert admin_client.get("/api/schema/ui/").status_code == 200


@pytest.mark.django_db
def test_admin_pages_name_their_icon_so_browsers_do_not_ask_for_favicon_ico(admin_client, client):
    pages = [admin_client.get(url) for url in ("/admin/", "/admin/inventory/device/")]
    for response in [*pages, client.get("/admin/login/")]:
        icon = re.search(r'<link rel="icon" href="([^"]+\.svg)"', response.content.decode())
        assert icon, response.request["PATH_INFO"]
    assert client.get(icon[1]).status_code == 200


@pytest.mark.django_db
def test_the_api_answers_in_utc_whatever_time_zone_the_admin_shows(api, settings):
    from benchmarks.tests.factories import BenchmarkFactory

    run = BenchmarkFactory(device__hostname="paris")
    settings.TIME_ZONE = "Europe/Paris"

    (item,) = api.get(f"/api/devices/{run.device_id}/benchmarks").json()["results"]
    assert item["run_at"].endswith("Z") and item["received_at"].endswith("Z")
    assert api.get(f"/api/devices/{run.device_id}").json()["last_benchmark_at"].endswith("Z")


@pytest.mark.django_db
def test_an_api_request_while_the_database_is_unreachable_is_a_503_to_retry(
    api, example, monkeypatch
):
    """The health check said 503 while every other request, a submission too, answered 500,
    which a client treats as a bug rather than a moment to send again later."""
    from django.db import OperationalError, connection

    def down():
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connection, "ensure_connection", down)
    for response in (api.get("/api/devices"), api.post("/api/benchmark", example, format="json")):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response.json() == {"detail": "The database is unavailable; send it again later."}


sqlite_only = pytest.mark.skipif(
    "DATABASE_URL" in os.environ and os.environ["DATABASE_URL"].startswith("postgres"),
    reason="a full database made with SQLite's max_page_count",
)


@contextlib.contextmanager
def database_full():
    """SQLite refuses every write that needs a page more (SQLITE_FULL, "database or disk is
    full"), as on a full disk."""
    from django.db import connection

    with connection.cursor() as cursor:
        # the pages earlier tests freed (the freelist) would take a write without the file
        # growing: a filler takes them first, so that no write finds a page
        cursor.execute("CREATE TABLE test_site_filler (b BLOB)")
        free, size = (cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in FREE_AND_SIZE)
        if free:
            cursor.execute("INSERT INTO test_site_filler VALUES (zeroblob(%s))", [free * size])
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 1073741823")
            cursor.execute("DROP TABLE test_site_filler")


FREE_AND_SIZE = ("freelist_count", "page_size")


@sqlite_only
@pytest.mark.django_db
def test_a_submission_on_a_full_disk_is_told_so_and_stores_nothing(api, example):
    """It was told "The database is unavailable" while /api/health said all was well: people
    looked at a database that was up (failure-injection audit)."""
    from benchmarks.models import Benchmark
    from inventory.models import Device

    with database_full():
        response = api.post("/api/benchmark", example, format="json")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {
        "detail": "The server's disk is full: nothing was stored. Free space where its "
        "database is (DATABASE_URL), then send it again."
    }
    assert (Device.objects.count(), Benchmark.objects.count()) == (0, 0)
    assert api.post("/api/benchmark", example, format="json").status_code == 201


@sqlite_only
@pytest.mark.django_db(transaction=True)  # the page's own transaction rolls back, not the test's
def test_an_admin_page_that_cannot_save_on_a_full_disk_says_so(admin_client):
    """A bare "Server Error (500)" (failure-injection audit)."""
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory(hostname="nas")
    admin_client.raise_request_exception = False
    data = {
        "hostname": "nas",
        "description": "x" * 200_000,  # pages more than the database has
        "links-TOTAL_FORMS": 0,
        "links-INITIAL_FORMS": 0,
        "documents-TOTAL_FORMS": 0,
        "documents-INITIAL_FORMS": 0,
    }
    with database_full():
        response = admin_client.post(f"/admin/inventory/device/{device.pk}/change/", data)
    assert response.status_code == 503, response.content[:300]
    assert b"The server&#x27;s disk is full" in response.content
    device.refresh_from_db()
    assert device.description == ""


@pytest.mark.django_db
def test_a_query_the_code_got_wrong_is_a_500_not_a_503_to_retry(api, monkeypatch):
    """SQLite raises OperationalError for a missing column too: a bug, which a client told
    "send it again later" would retry forever."""
    from django.db import OperationalError, connection

    def wrong(*args, **kwargs):
        raise OperationalError("no such column: inventory_device.nonexistent")

    monkeypatch.setattr(connection, "ensure_connection", wrong)
    api.raise_request_exception = False
    response = api.get("/api/devices")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}


@pytest.mark.django_db
def test_a_request_django_refuses_before_the_api_is_a_json_400(api):
    """More parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django's HTML 400 page."""
    response = api.get("/api/devices?" + "&".join(["a=1"] * 1100))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.json()["detail"]

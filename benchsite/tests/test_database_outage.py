"""The database away, restarting or read-only (a DATABASE_URL that lands on a standby after a
failover), as every page, the export and /api/health tell it: a 503 to retry, said in words,
and a log that an outage of minutes does not bury under tracebacks."""

import logging
import os

import pytest
from django.db import InternalError, OperationalError, connection

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="PostgreSQL's read-only transactions",
)
UNAVAILABLE = "The database is unavailable; send it again later."
READ_ONLY = (
    "The database is read-only (DATABASE_URL names a standby?): nothing was stored; send it "
    "again later."
)


@pytest.fixture
def database_down(monkeypatch):
    def down():
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connection, "ensure_connection", down)
    monkeypatch.setattr(
        "benchsite.exceptions._traced_at", [float("-inf")], raising=False
    )  # a fresh minute


def test_an_admin_page_while_the_database_is_away_is_a_503_that_says_so(
    admin_client, database_down, caplog
):
    """It was a bare "Server Error (500)", logged as a bug with its traceback."""
    admin_client.raise_request_exception = False

    with caplog.at_level(logging.ERROR):
        response = admin_client.get("/admin/inventory/device/")

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert b"<h1>Database unavailable</h1>" in response.content
    assert UNAVAILABLE.encode() in response.content
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == []
    assert any(
        "database error in /admin/inventory/device/" in r.getMessage() for r in caplog.records
    )


def test_the_export_while_the_database_is_away_is_the_apis_503(api, database_down):
    """Its rows were first read once the streamed response had started: the server's own HTML
    500, the one endpoint not answering the API's 503."""
    for fmt in ("json", "csv"):
        response = api.get("/api/export", {"format": fmt})

        assert response.status_code == 503 and response["Retry-After"] == "30"
        assert response.json() == {"detail": UNAVAILABLE}


def test_an_outage_logs_a_line_per_request_and_its_traceback_once_a_minute(
    api, database_down, caplog
):
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            assert api.get("/api/devices").status_code == 503

    records = [r for r in caplog.records if r.name == "benchsite.exceptions"]
    assert len(records) == 3
    # and not once more by Django ("Service Unavailable: /api/devices"): one line a request
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == []
    assert [r.exc_info is not None for r in records] == [True, False, False]
    assert records[1].getMessage().endswith("Connection refused")


class ReadOnlySqlTransaction(Exception):
    sqlstate = "25006"


def test_a_write_refused_by_a_read_only_database_is_a_503_that_says_so(api, example, monkeypatch):
    """Every submission was a 500 (psycopg's InternalError), which bench.sh does not send again
    by itself."""

    def refuse(*args, **kwargs):
        try:
            raise ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction")
        except ReadOnlySqlTransaction as cause:
            raise InternalError(str(cause)) from cause

    monkeypatch.setattr("benchmarks.views.benchmark_ingest", refuse)

    response = api.post("/api/benchmark", example, format="json")

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {"detail": READ_ONLY}


@on_postgresql
def test_a_standby_is_told_by_health_and_refuses_submissions_with_a_503(api, anon, example):
    with connection.cursor() as cursor:  # from here the test's transaction takes no write
        cursor.execute("SET TRANSACTION READ ONLY")

    health = anon.get("/api/health")
    submitted = api.post("/api/benchmark", example, format="json")

    assert health.status_code == 503
    assert (health.json()["status"], health.json()["database"]) == ("error", "read-only")
    assert submitted.status_code == 503
    assert submitted.json() == {"detail": READ_ONLY}

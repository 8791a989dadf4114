"""Fixtures shared by every app's tests."""

import copy
import importlib.util
import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from benchsite.testing import TEST_API_TOKEN

SHARED = Path(__file__).resolve().parent.parent / "shared"
EXAMPLE_PATH = SHARED / "contract" / "submission.example.json"
_EXAMPLE_FALLBACK = (
    Path(__file__).resolve().parent / "benchmarks" / "tests" / "submission.example.json"
)


@pytest.fixture(scope="session")
def example_document() -> dict:
    # The contract's example; a copy ships with the tests for checkouts without ../shared.
    path = EXAMPLE_PATH if EXAMPLE_PATH.is_file() else _EXAMPLE_FALLBACK
    return json.loads(path.read_text())


@pytest.fixture
def example(example_document) -> dict:
    """A fresh deep copy of the contract's example submission, free to mutate."""
    return copy.deepcopy(example_document)


@pytest.fixture
def api() -> APIClient:
    """A client holding the fleet-wide API_TOKEN."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TEST_API_TOKEN}")
    return client


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def token_client():
    """make(scopes...) → an APIClient holding a fresh ApiToken with those scopes."""
    from benchsite.services import api_token_issue

    def make(*scopes: str, **kwargs) -> APIClient:
        token, secret = api_token_issue(
            name=kwargs.pop("name", "test " + "+".join(scopes)),
            can_submit="submit" in scopes or not scopes,
            can_read="read" in scopes,
            can_write="write" in scopes,
            **kwargs,
        )
        if not scopes:  # issued by a version before 0.4.1, which let a token have none
            type(token).objects.filter(pk=token.pk).update(can_submit=False)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        client.secret = secret
        return client

    return make


@pytest.fixture
def submit(api):
    """submit(document) → the response of POST /api/benchmark with the fleet token."""

    def post(document, client=None):
        return (client or api).post("/api/benchmark", document, format="json")

    return post


@pytest.fixture
def migrate_to():
    """migrate_to((app, migration), ...) moves the test database's schema there (an app not
    named stays where it is, but for what depends on a later migration of a named app) and
    returns the models of that time; the latest schema is back after the test, as the others
    expect it. Needs django_db(transaction=True)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(*targets):
        # the named apps go there; a migration of another app that depends on a later one of
        # theirs (benchmarks 0005 on inventory 0011) is unapplied with it, and re-applied after
        # the test
        MigrationExecutor(connection).migrate(list(targets))
        loader = MigrationExecutor(connection).loader
        return loader.project_state(sorted(loader.applied_migrations)).apps

    yield migrate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def warm_content_types(db) -> None:
    """Django's content types cached, as a server has them after its first request: a page's or a
    deletion's History lines look theirs up once per process, and a pinned query count would hold
    or not by whether a test before it in the same process had."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_models(*apps.get_models())


@pytest.fixture(autouse=True)
def _fresh_cache():
    """No cached state leaks between tests (e.g. the failed-authentication counts per IP)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _health_problems_forgotten():
    """What /api/health found wrong is logged once a problem (benchsite.health.Problems): a
    test's database outage would otherwise keep the next test's from being said."""
    from benchsite.health import PROBLEMS

    PROBLEMS.clear()


@pytest.fixture(autouse=True)
def _no_sender_outlives_its_test():
    """The notification sender thread a test woke ends with the test: left to poll, it read a
    database the next tests changed (a table a migration test dropped logged tracebacks)."""
    yield
    from insights import notify

    notify.sender.stop()


@pytest.fixture(scope="session")
def s3_server():
    """An S3-compatible server (moto) on loopback, one for the whole run."""
    if importlib.util.find_spec("moto") is None:  # found, not imported: that takes a second
        pytest.skip("moto[server] (requirements-dev.txt) is not installed")
    from benchsite.s3server import s3_server as start

    with start() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis (Debian's redis-server) on loopback, one for the whole run."""
    from benchsite import redisserver

    if redisserver.executable() is None:
        pytest.skip("redis-server is not installed (scripts/test installs it)")
    with redisserver.redis_server() as server:
        yield server


@pytest.fixture
def redis_url(redis_server) -> str:
    """CACHE_URL of an empty database of that Redis, this test's alone."""
    return redis_server.database()


@pytest.fixture
def s3_bucket(settings, s3_server) -> str:
    """Documents stored in a new, empty bucket of the S3 server (DOCUMENT_STORAGE=s3)."""
    bucket = s3_server.create_bucket()
    settings.DOCUMENT_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage(bucket)}
    return bucket


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Under pytest-xdist each worker gets its own test database: PostgreSQL by a suffix to the
    name (pytest-django's), SQLite by being in each worker's memory already — pytest-django
    does not recognise our SQLite backend (benchsite.dbbackend) and would add the suffix to a
    file path, so it is taken off again."""
    from django.conf import settings

    for db_settings in settings.DATABASES.values():
        if db_settings["ENGINE"] == "benchsite.dbbackend":
            db_settings.setdefault("TEST", {})["NAME"] = None


@pytest.fixture(autouse=True)
def _no_evaluation_retry_past_the_test(monkeypatch):
    """A test that makes a submission's evaluation fail (insights' tests of failures and lock
    timeouts) started the real retry thread, 5 s and 30 s later: it outlived the test and, at
    the end of the session, logged against a database already dropped ("--- Logging error
    ---"). Retries are none here; benchsite/tests/test_evaluation_retry.py sets its own."""
    from benchsite import submission_api

    monkeypatch.setattr(submission_api, "RETRY_AFTER_S", ())

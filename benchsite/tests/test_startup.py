"""What a process imports to start: every manage.py command and every gunicorn worker pays
django.setup(), so a costly package that only one setting or one page needs is imported there,
not at start (perf/startup.py measures it). Exact, not timed: after the step, the module is not
in sys.modules, so a later import cannot bring the cost back unnoticed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .markers import engine_independent

ROOT = Path(__file__).resolve().parents[2]

# A server worker after its first request: the settings and apps, the WSGI application (its
# middleware) and the URLconf (every view).
SERVED = """
import json, sys
import django
django.setup()
setup = sorted(sys.modules)
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver
get_wsgi_application()
get_resolver().url_patterns
print(json.dumps({"setup": setup, "served": sorted(sys.modules)}))
"""


def imported() -> dict[str, set[str]]:
    """The modules a fresh process has after django.setup(), and once it could serve."""
    base = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "NOTIFY_URLS")}
    done = subprocess.run(  # noqa: S603 (this interpreter, this checkout)
        [sys.executable, "-c", SERVED],
        cwd=ROOT,
        env={
            **base,
            "ENV_FILE": "/nonexistent",
            "DJANGO_SETTINGS_MODULE": "benchsite.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return {step: set(modules) for step, modules in json.loads(done.stdout).items()}


@pytest.fixture(scope="module")
def modules() -> dict[str, set[str]]:
    return imported()  # the default cache: files in the data directory


@engine_independent
def test_without_a_redis_cache_no_process_imports_the_redis_client(modules):
    # 0.04 s of CPU per process, for CACHE_URL=redis://... alone (Django's RedisCache imports
    # it then); the throttle's and the health check's "cache unreachable" still name its errors
    # (test_throttling: a Redis that does not answer)
    assert "redis" not in modules["setup"]
    assert "redis" not in modules["served"]


@engine_independent
def test_setup_leaves_out_the_openapi_generator_which_loads_with_the_urlconf(modules):
    # 0.1 s of CPU for what only the schema and the URLconf's views need (extend_schema)
    assert "drf_spectacular.openapi" not in modules["setup"]
    assert "benchsite.schema" in modules["served"]


@engine_independent
def test_setup_leaves_out_drf_s_serializers_which_only_the_api_needs(modules):
    # 0.17 s of CPU: DRF's compat module imports psycopg (on SQLite too), requests, yaml and
    # markdown; the admin, which Django imports at setup, has its pages without them
    assert "rest_framework.serializers" not in modules["setup"]
    assert "rest_framework.compat" not in modules["setup"]
    assert "rest_framework.serializers" in modules["served"]


@engine_independent
def test_a_schema_generated_in_a_fresh_process_names_the_bearer_token():
    # the authentication extension is registered by the schema's own module (not at setup): a
    # process that generates the document and nothing else still describes the token
    base = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    done = subprocess.run(  # noqa: S603 (this interpreter, this checkout's manage.py)
        [sys.executable, "manage.py", "spectacular", "--format", "openapi-json"],
        cwd=ROOT,
        env={**base, "ENV_FILE": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    document = json.loads(done.stdout)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "API_TOKEN or an ApiToken issued in the admin "
        "(scopes: submit, read, write). `Token <token>` is accepted too.",
    }
    assert {"bearerAuth": []} in document["paths"]["/api/devices"]["get"]["security"]

"""Logs: one line per submission, no token ever, optional JSON lines."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from benchsite.logs import REDACTED, JsonFormatter, RedactSecrets, redact
from benchsite.testing import TEST_API_TOKEN

from .markers import engine_independent

ROOT = Path(__file__).resolve().parents[2]
LOGGERS = ("", "django", "django.db.backends", "django.request", "rest_framework")
LOGGERS += ("benchsite", "benchmarks", "inventory", "documents")


@pytest.fixture
def everything_logged(caplog):
    """Every logger at DEBUG, SQL statements included."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


@pytest.fixture
def console():
    """What the configured console handler (settings.LOGGING) writes, as a server prints it."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.mark.django_db
def test_submissions_and_failed_auth_never_log_a_token(
    everything_logged, console, token_client, submit, example, anon
):
    bench = token_client("submit")
    assert submit(example, client=bench).status_code == 201
    example["device_identifier"] = "second-machine"
    example["hardware"]["system"] = {}
    example.pop("submission_id")
    assert submit(example).status_code == 201  # the fleet-wide API_TOKEN
    wrong = "lbt_" + "w" * 43
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {wrong}")
    assert anon.get("/api/devices").status_code == 401
    anon.credentials(HTTP_AUTHORIZATION=f"Token {TEST_API_TOKEN} extra")
    assert anon.get("/api/devices").status_code == 401

    captured = everything_logged.text
    printed = console.getvalue()
    assert "SELECT" in captured  # SQL was logged too, so the check covers the queries
    for secret in (bench.secret, TEST_API_TOKEN, wrong):
        assert secret not in captured
        assert secret not in printed
    submissions = [r for r in everything_logged.records if r.getMessage().startswith("submission ")]
    assert [r.name for r in submissions] == ["benchmarks.services"] * 2  # one line each
    assert "device=elitedesk-800g3" in submissions[0].getMessage()
    assert "by=token:test submit" in submissions[0].getMessage()
    assert printed.count(" submission device=") == 2
    assert "auth failed client=127.0.0.1 GET /api/devices" in printed


def test_redaction_removes_tokens_from_any_message(settings):
    assert redact("Authorization: Bearer abcdefgh12345678") == f"Authorization: Bearer {REDACTED}"
    assert redact("header Token=abcdefgh12345678") == f"header Token={REDACTED}"
    assert redact("issued lbt_AbCdEf0123456789-_xyz") == f"issued {REDACTED}"
    assert redact(f"config {settings.API_TOKEN} loaded") == f"config {REDACTED} loaded"
    assert redact("submission by=API_TOKEN in 3 ms") == "submission by=API_TOKEN in 3 ms"


@pytest.mark.parametrize(
    "query",
    [
        "q=Bearer%20lbt_eupmdFln4IiYOl7zjwyj-72_rH1Uvn",
        "Authorization=Bearer%20lbt_eupmdFln4IiYOl7zjwyj-72_rH1Uvn",
        "q=Token%20lbt_eupmdFln4IiYOl7zjwyj-72_rH1Uvn",
        "q=Bearer+lbt_eupmdFln4IiYOl7zjwyj-72_rH1Uvn",
        "q=%6Cbt_eupmdFln4IiYOl7zjwyj-72_rH1Uvn",  # "l" percent-encoded
        "q=Bearer%20{api_token}",
    ],
)
def test_a_token_in_any_query_parameter_is_redacted_however_it_is_encoded(settings, query):
    """`?q=Bearer%20lbt_…` reached gunicorn's access log in clear: "%20lbt_" is no word
    boundary, and "%20" no space (contract audit)."""
    line = f'"GET /api/stats?page=2&{query.format(api_token=settings.API_TOKEN)} HTTP/1.1" 403'
    name = query.split("=")[0]
    assert redact(line) == f'"GET /api/stats?page=2&{name}={REDACTED} HTTP/1.1" 403'


@pytest.mark.django_db
def test_django_s_csrf_messages_are_logged_as_django_wrote_them(console):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.get("/admin/login/")  # sets the CSRF cookie; the form below omits its token

    response = browser.post("/admin/login/", {"username": "a", "password": "b"})

    assert response.status_code == 403
    assert "Forbidden (CSRF token missing.): /admin/login/" in console.getvalue()
    assert redact("CSRF token from POST incorrect.") == "CSRF token from POST incorrect."
    # a credential after "token" is still one, and anything after "Bearer" is
    assert redact("Token Abcdefgh1234") == f"Token {REDACTED}"
    assert redact("GET /api/health?token=abcdefghijkl") == f"GET /api/health?token={REDACTED}"
    assert redact("Bearer abcdefghijkl") == f"Bearer {REDACTED}"


def test_redaction_filter_rewrites_messages_and_tracebacks():
    try:
        raise ValueError(f"bad Bearer {TEST_API_TOKEN}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "got %s", (TEST_API_TOKEN,), sys.exc_info()
        )
    assert RedactSecrets().filter(record)
    text = logging.Formatter().format(record)
    assert TEST_API_TOKEN not in text
    assert "got [redacted]" in text and "ValueError: bad Bearer [redacted]" in text


def test_json_formatter_writes_one_object_per_line():
    record = logging.LogRecord("benchmarks.services", logging.INFO, __file__, 1, "a=%s", (1,), None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "benchmarks.services"
    assert entry["message"] == "a=1"


@engine_independent
def test_log_format_json_is_wired_to_the_console(tmp_path):
    code = "import logging; logging.getLogger('benchmarks.services').info('submission device=x')"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env={**os.environ, "LOG_FORMAT": "json", "ENV_FILE": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert [e["message"] for e in lines] == ["submission device=x"], done.stderr


def test_a_request_line_built_to_make_the_redaction_backtrack_costs_no_time():
    """ "?token" repeated, without "=": the redaction's one pattern, the credential words between
    two open runs of name characters, backtracked cubically: 20 KB in a request line and a
    Referer froze a worker (every thread: re holds the GIL) for 14 s, sent by anyone to
    /api/health. Run in a child with a bound no linear pass comes near (minutes before)."""
    line = "GET /api/health" + "?token" * 2000 + " HTTP/1.1 " + "?token" * 2000
    code = (
        "import sys; from benchsite.logs import redact; "
        "out = redact(sys.stdin.read()); assert out.count('?token') == 4000"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=line,
        text=True,
        capture_output=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr

"""Production settings: check --deploy, security headers, CORS, throttling of failed auth
(bad API tokens and failed admin logins)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from benchsite.testing import TEST_API_TOKEN

from .markers import engine_independent

ROOT = Path(__file__).resolve().parents[2]

# What `check --deploy` says about a plain-HTTP LAN install, each on purpose (README
# "Behind a reverse proxy"): bench.sh posts over http and the admin must log in over http.
PLAIN_HTTP_WARNINGS = {
    "security.W004",  # no HSTS: it would lock browsers out of plain http
    "security.W008",  # no redirect to https: there is no https
    "security.W012",  # session cookie not Secure: it would never be sent over http
    "security.W016",  # CSRF cookie not Secure: same
}


def check_deploy(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **base,
            "ENV_FILE": "/nonexistent/.env",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "API_TOKEN": secrets.token_urlsafe(32),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@engine_independent
def test_check_deploy_is_clean_behind_a_tls_reverse_proxy():
    result = check_deploy(
        SECURE_SSL_REDIRECT="true",
        SECURE_PROXY_SSL_HEADER="true",
        ALLOWED_HOSTS="bench.lab.example",
        CSRF_TRUSTED_ORIGINS="https://bench.lab.example",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@engine_independent
def test_check_deploy_on_plain_http_warns_exactly_about_the_documented_choices():
    result = check_deploy()
    assert result.returncode != 0
    assert set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stderr)) == PLAIN_HTTP_WARNINGS


@engine_independent
def test_debug_is_off_unless_asked():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-v",
            "0",
            "-c",
            "from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env={**env, "ENV_FILE": "/nonexistent/.env"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False", done.stderr


@engine_independent
@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is missing"),
        ({"SCORE_WEIGHTS": "cpu=x"}, "SCORE_WEIGHTS"),
        # values that did not parse ended in a traceback naming no variable, or started wrongly
        ({"PORT": "abc"}, "PORT='abc' is not a whole number (from 1 to 65535)."),
        ({"PORT": "99999"}, "PORT must be a number from 1 to 65535, not 99999."),
        ({"VALIDITY_BUSY_PCT": "-5"}, "VALIDITY_BUSY_PCT must be a number from 0 to 100, not -5"),
        ({"DISK_HOT_C": "nan"}, "DISK_HOT_C must be a number from 0 to 150, not nan."),
        # a decimal number read as django-environ read it, its digits alone: 6O (a letter O)
        # was 6 °C, and a server started opening disk_hot for every disk; 1,5 was 1.5
        ({"DISK_HOT_C": "6O"}, "DISK_HOT_C='6O' is not a number (a decimal one is written 2.5)."),
        ({"REGRESSION_PCT": "l0"}, "REGRESSION_PCT='l0' is not a number"),
        ({"NOTIFY_RETRY_HOURS": "2h"}, "NOTIFY_RETRY_HOURS='2h' is not a number"),
        ({"VALIDITY_BUSY_PCT": "2O"}, "VALIDITY_BUSY_PCT='2O' is not a number"),
        ({"NOTIFY_TIMEOUT_S": "1,5"}, "NOTIFY_TIMEOUT_S='1,5' is not a number"),
        # read by the Docker health check alone, which failed on it for ever
        ({"HEALTHCHECK_TIMEOUT": "abc"}, "HEALTHCHECK_TIMEOUT='abc' is not a number"),
        ({"HEALTHCHECK_TIMEOUT": "0"}, "HEALTHCHECK_TIMEOUT must be a number of at least 0.1"),
        ({"BASELINE_RUNS": "2"}, "BASELINE_RUNS must be a number of at least 3, not 2."),
        ({"QUIET_AFTER_DAYS": "-1"}, "QUIET_AFTER_DAYS must be a number from 0 to 3650, not -1."),
        (
            {"QUIET_AFTER_DAYS": "2w"},
            "QUIET_AFTER_DAYS='2w' is not a whole number (from 0 to 3650).",
        ),
        ({"QUIET_AFTER_DAYS": "1.5"}, "QUIET_AFTER_DAYS='1.5' is not a whole number"),
        ({"DATABASE_URL": "garbage"}, "DATABASE_URL is no database URL"),
        ({"DATABASE_URL": "postgres://u:p@h:notaport/db"}, "DATABASE_URL does not parse"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        ({"LOG_LEVEL": ""}, "WARN, FATAL, NOTSET), not ''."),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be plain or json, not 'xml'."),
        (
            {"TIME_ZONE": "Europe/Pariss"},
            "(Europe/Paris, America/New_York, UTC), not 'Europe/Pariss'",
        ),
        ({"TIME_ZONE": "+02:00"}, "TIME_ZONE must be a time zone's name"),
        # read as false without a word: a typo turned the HTTPS redirect, HSTS and Secure
        # cookies off, or made scripts/serve wait for a migration nobody would run
        (
            {"SECURE_SSL_REDIRECT": "ture"},
            "SECURE_SSL_REDIRECT must be true or false (yes/no, on/off, 1/0), not 'ture'.",
        ),
        ({"MIGRATE_ON_START": "ture"}, "MIGRATE_ON_START must be true or false"),
        ({"METRICS_PUBLIC": "enabled"}, "METRICS_PUBLIC must be true or false"),
        ({"GUNICORN_PRELOAD": "nope"}, "GUNICORN_PRELOAD must be true or false"),
        # gunicorn's own: a traceback from gunicorn, or a server listening with no worker
        ({"WEB_CONCURRENCY": "abc"}, "WEB_CONCURRENCY='abc' is not a whole number (from 1)."),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY must be a number of at least 1, not 0."),
        ({"GUNICORN_THREADS": "0"}, "GUNICORN_THREADS must be a number of at least 1, not 0."),
        # gunicorn's traceback, after the migrations and the banner
        ({"GUNICORN_WORKER_CLASS": "gthreads"}, "GUNICORN_WORKER_CLASS must be gthread (the"),
        # sent as given: "Strict-Transport-Security: max-age=-5"
        ({"SECURE_HSTS_SECONDS": "-5"}, "SECURE_HSTS_SECONDS must be a number of at least 0"),
        # "Invalid cache schema bogus", no variable named
        ({"CACHE_URL": "bogus://x"}, "CACHE_URL must be filecache:///absolute/directory, redis://"),
        # Django's lines about a backend it cannot load, no variable named
        ({"DATABASE_URL": "mysql://u:p@h/db"}, "DATABASE_URL names a 'mysql' database: this"),
        ({"SQLITE_BUSY_TIMEOUT_S": "0"}, "SQLITE_BUSY_TIMEOUT_S must be a number of at least 1"),
        (
            {"DOCUMENT_STORAGE": "s3", "S3_BUCKET": "b", "S3_TIMEOUT_S": "-1"},
            "S3_TIMEOUT_S must be a number of at least 0.1, not -1.0.",
        ),
        ({"VALIDITY_MAX_CV_PCT": "250"}, "VALIDITY_MAX_CV_PCT must be a number from 0 to 100"),
        # each upload and download failed, the checks passed
        (
            {"DOCUMENT_STORAGE": "s3", "S3_BUCKET": "b", "S3_ENDPOINT_URL": "minio.lan:9000"},
            "S3_ENDPOINT_URL must begin with http:// or https:// (http://minio.lan:9000), not",
        ),
        # every machine would measure the loopback inside itself
        (
            {"IPERF_SERVER": "127.0.0.1:5201"},
            "IPERF_SERVER='127.0.0.1:5201' is each machine itself",
        ),
    ],
)
def test_a_refused_setting_is_said_in_one_line(env, said):
    """What a sysadmin sees from manage.py (and scripts/serve, which starts with it) when a
    setting is refused: the reason, not a traceback that begins with an unrelated KeyError."""
    result = check_deploy(**env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert line.startswith("Configuration error: ") and "\n" not in line, line
    assert said in line


@pytest.mark.parametrize("given", ["", "  "])
def test_an_empty_number_setting_is_its_default(given, monkeypatch):
    """`PORT=` in a .env was "PORT='' is not a valid value (invalid literal for int() with base
    10: '')", where an empty yes/no setting is its default."""
    from benchsite.envconfig import Env

    monkeypatch.setenv("PORT", given)
    assert Env().within("PORT", 8007, 1, 65535) == 8007
    monkeypatch.setenv("PORT", " 8080 ")
    assert Env().within("PORT", 8007, 1, 65535) == 8080
    # and every number read: CONN_MAX_AGE= stopped the workers from booting
    for name, default in (("CONN_MAX_AGE", 60), ("NOTIFY_TIMEOUT_S", 5.0)):
        monkeypatch.setenv(name, given)
        read = Env().int if isinstance(default, int) else Env().float
        assert read(name, default=default) == default


@pytest.mark.parametrize(
    ("given", "taken"),
    [
        *((word, True) for word in ("true", "True", " YES ", "on", "1", "y", "ok")),
        *((word, False) for word in ("false", "FALSE", "no", "Off", "0", "n")),
        ("", "default"),
        (None, "default"),
    ],
)
def test_a_yes_no_setting_takes_the_usual_words_and_nothing_else(given, taken):
    from django.core.exceptions import ImproperlyConfigured

    from benchsite.envconfig import boolean

    assert boolean("X", given, "default") == taken
    with pytest.raises(ImproperlyConfigured, match="X must be true or false"):
        boolean("X", "ture", True)


@pytest.mark.parametrize(
    ("given", "taken"),
    [("info", "INFO"), (" Warn ", "WARNING"), ("fatal", "CRITICAL"), ("NOTSET", "DEBUG")],
)
def test_log_level_takes_pythons_names_as_they_read(given, taken):
    """NOTSET on the apps' loggers deferred to the root's WARNING: their INFO lines (one per
    submission) were gone though the sysadmin asked for everything."""
    from benchsite.envconfig import log_level

    assert log_level(given) == taken


@pytest.mark.parametrize(
    ("given", "taken"),
    [
        ("", ""),
        (" bench.lan ", "bench.lan"),
        ("bench.lan:5202", "bench.lan:5202"),
        ("10.0.0.5", "10.0.0.5"),
        ("[fd00::5]:5201", "[fd00::5]:5201"),
        ("fd00::5", "fd00::5"),
        *((value, None) for value in ("bench lan", "bench.lan:", "bench.lan:0", "http://b/")),
        *((value, None) for value in ("localhost", "127.0.1.1", "[::1]:5201")),
        # each machine itself too, by the loopback rule runs are judged by
        *((value, None) for value in ("127.1", "0.0.0.0:5201", "::ffff:127.0.0.1")),
    ],
)
def test_iperf_server_is_taken_as_bench_sh_takes_it(given, taken):
    from django.core.exceptions import ImproperlyConfigured

    from benchsite.envconfig import iperf_server

    if taken is None:
        with pytest.raises(ImproperlyConfigured, match="IPERF_SERVER="):
            iperf_server("IPERF_SERVER", given)
    else:
        assert iperf_server("IPERF_SERVER", given) == taken


def test_an_empty_time_zone_is_utc():
    """TIME_ZONE= (set, empty) started a server whose every admin page was a 500."""
    from benchsite.envconfig import time_zone

    assert time_zone("") == "UTC" and time_zone(" Europe/Paris ") == "Europe/Paris"


@engine_independent
def test_relative_paths_in_the_settings_are_the_checkouts_wherever_a_command_runs(tmp_path):
    """UPLOAD_DIR=uploads or DATABASE_URL=sqlite:///data/x.db in .env were relative to the
    directory a command ran in: a cron job run from /root backed up another database, or
    failed with "unable to open database file"."""
    shown = subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "shell",
            "-c",
            "from django.conf import settings as s; "
            "print(s.UPLOAD_DIR, s.BACKUP_DIR, s.DATABASES['default']['NAME'])",
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "ENV_FILE": "/nonexistent/.env",
            "DEBUG": "true",
            "UPLOAD_DIR": "files",
            "BACKUP_DIR": "~/archives",
            "DATABASE_URL": "sqlite:///./data/x.db",  # data/: the default place, ignored by git
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    home = Path("~").expanduser()
    assert shown.stdout.splitlines()[-1].split() == [
        str(ROOT / "files"),
        str(home / "archives"),
        str(ROOT / "data" / "x.db"),
    ]


def test_an_empty_upload_or_backup_dir_is_the_default_not_the_checkout():
    """UPLOAD_DIR= (set, empty) was the checkout itself: a backup archived its .env and its
    database as "uploads"."""
    from benchsite.envconfig import in_checkout

    assert in_checkout(ROOT, "", "uploads") == ROOT / "uploads"
    assert in_checkout(ROOT, "  ", "backups") == ROOT / "backups"
    assert in_checkout(ROOT, "/srv/files", "uploads") == Path("/srv/files")


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_responses_carry_the_security_headers(anon):
    response = anon.get("/api/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # plain HTTP on the LAN by default


@pytest.mark.django_db
def test_pages_run_no_script_but_the_servers_own_files(anon):
    """What the admin shows comes from the machines (a hostname, a disk's model): were a page
    to forget escaping one, the browser still runs no script inline or from elsewhere."""
    for path in ("/admin/login/", "/api/health", "/api/schema/ui/"):
        policy = anon.get(path)["Content-Security-Policy"]
        directives = dict(d.split(" ", 1) for d in policy.split("; "))
        assert directives["script-src"] == "'self'", path
        assert directives["object-src"] == directives["base-uri"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
    # the API page's own script is a file of the site (it was inline)
    page = anon.get("/api/schema/ui/").content.decode()
    assert re.search(r'<script src="/api/schema/ui/\?script=', page)
    assert "<script>" not in page
    script = anon.get("/api/schema/ui/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_the_debug_error_page_keeps_its_scripts(rf, settings):
    """Django's technical 500 page folds its tracebacks with inline scripts: a developer with
    DEBUG on gets it working; a server's error pages keep the policy."""
    from django.http import HttpResponseServerError

    from benchsite.csp import ContentSecurityPolicyMiddleware

    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponseServerError("x"))

    settings.DEBUG = True
    debugging = middleware(rf.get("/boom/"))
    settings.DEBUG = False
    serving = middleware(rf.get("/boom/"))

    assert "Content-Security-Policy" not in debugging
    assert "script-src 'self'" in serving["Content-Security-Policy"]


TLS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}


@pytest.mark.django_db
@override_settings(**TLS)
def test_behind_tls_http_is_redirected_and_https_gets_hsts():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TEST_API_TOKEN}")
    redirect = client.get("/api/devices")
    assert redirect.status_code == 301
    assert redirect["Location"] == "https://testserver/api/devices"
    secure = client.get("/api/devices", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
@override_settings(**TLS)
def test_health_probes_are_not_redirected():
    assert APIClient().get("/api/health").status_code == 200


# --- CORS ---------------------------------------------------------------------------------------

DASHBOARD = "http://dashboard.lan:3000"


@pytest.mark.django_db
@override_settings(CORS_ALLOWED_ORIGINS=[DASHBOARD])
def test_cors_answers_only_configured_origins_and_only_for_the_api(api):
    preflight = api.options(
        "/api/devices",
        HTTP_ORIGIN=DASHBOARD,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == DASHBOARD
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    assert api.get("/api/devices", HTTP_ORIGIN=DASHBOARD)["Access-Control-Allow-Origin"] == (
        DASHBOARD
    )
    assert "Access-Control-Allow-Origin" not in api.get(
        "/api/devices", HTTP_ORIGIN="http://evil.example"
    )
    assert "Access-Control-Allow-Origin" not in api.get("/admin/login/", HTTP_ORIGIN=DASHBOARD)


@pytest.mark.django_db
def test_no_cross_origin_access_unless_configured(api):
    response = api.get("/api/devices", HTTP_ORIGIN=DASHBOARD)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


# --- throttling of failed authentications -------------------------------------------------------


@pytest.fixture
def low_rate(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_failure": "3/min"},
    }
    return settings


def client_from(ip: str, token: str | None = None, **extra) -> APIClient:
    client = APIClient(REMOTE_ADDR=ip, **extra)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
def test_repeated_auth_failures_from_one_address_are_throttled(low_rate, caplog):
    guesser = client_from("192.168.1.50", "guess-" + "x" * 20)
    assert [guesser.get("/api/stats").status_code for _ in range(3)] == [401] * 3

    refused = guesser.get("/api/stats")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "failed authentications" in refused.json()["detail"]
    # refused before authenticating, whatever the token: a right guess looks the same
    assert client_from("192.168.1.50", TEST_API_TOKEN).get("/api/stats").status_code == 429
    assert client_from("192.168.1.50").get("/api/health").status_code == 200  # probes pass
    assert client_from("192.168.1.51", TEST_API_TOKEN).get("/api/stats").status_code == 200
    assert "auth throttled client=192.168.1.50 GET /api/stats" in caplog.text


@pytest.mark.django_db
def test_guessing_tokens_at_the_prometheus_scrape_is_throttled_too(low_rate):
    guesser = client_from("192.168.1.52", "guess-" + "x" * 20)
    assert [guesser.get("/metrics").status_code for _ in range(4)] == [401, 401, 401, 429]
    # one budget for every path a token opens: the right token is refused there and on the API
    assert client_from("192.168.1.52", TEST_API_TOKEN).get("/metrics").status_code == 429
    assert client_from("192.168.1.52", TEST_API_TOKEN).get("/api/stats").status_code == 429
    assert client_from("192.168.1.53", TEST_API_TOKEN).get("/metrics").status_code == 200


@pytest.mark.django_db
def test_requests_without_a_token_count_as_failures(low_rate):
    anonymous = client_from("192.168.1.60")
    assert [anonymous.get("/api/devices").status_code for _ in range(4)] == [401, 401, 401, 429]


@pytest.mark.django_db
def test_valid_submissions_are_never_throttled(low_rate, example):
    bench = client_from("192.168.1.70", TEST_API_TOKEN)
    statuses = []
    for i in range(12):
        example["device_identifier"] = f"bench-{i}"
        example.pop("submission_id", None)
        example["hardware"]["system"] = {}
        statuses.append(bench.post("/api/benchmark", example, format="json").status_code)
    assert statuses == [201] * 12
    # and a couple of failures in between do not add up to a block
    client_from("192.168.1.70", "typo-" + "y" * 20).get("/api/stats")
    assert bench.get("/api/stats").status_code == 200


@pytest.mark.django_db
def test_behind_a_proxy_the_forwarded_client_is_throttled_not_the_proxy(low_rate):
    low_rate.REST_FRAMEWORK = {**low_rate.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.1"
    guesser = client_from(proxy, "guess-" + "z" * 20, HTTP_X_FORWARDED_FOR="192.168.1.80")
    for _ in range(3):
        guesser.get("/api/stats")
    assert guesser.get("/api/stats").status_code == 429
    other = client_from(proxy, TEST_API_TOKEN, HTTP_X_FORWARDED_FOR="192.168.1.81")
    assert other.get("/api/stats").status_code == 200


@pytest.mark.django_db
def test_without_a_proxy_a_rotating_forwarded_for_does_not_escape_the_budget(low_rate, caplog):
    statuses = [
        client_from("192.168.1.82", "guess-" + "r" * 20, HTTP_X_FORWARDED_FOR=f"10.6.6.{i}")
        .get("/api/stats")
        .status_code
        for i in range(6)
    ]
    assert statuses == [401, 401, 401, 429, 429, 429]
    assert "auth failed client=192.168.1.82 GET /api/stats" in caplog.text
    assert "10.6.6." not in caplog.text  # the forged addresses are never logged as the client


@pytest.mark.django_db
def test_without_a_proxy_a_forged_localhost_does_not_lock_out_localhost(low_rate):
    forger = client_from("192.168.1.83", "guess-" + "l" * 20, HTTP_X_FORWARDED_FOR="127.0.0.1")
    for _ in range(5):
        forger.get("/api/stats")
    assert forger.get("/api/stats").status_code == 429
    assert client_from("127.0.0.1", TEST_API_TOKEN).get("/api/stats").status_code == 200


@pytest.mark.django_db
def test_behind_two_proxies_the_client_is_the_second_address_from_the_right(low_rate, caplog):
    low_rate.REST_FRAMEWORK = {**low_rate.REST_FRAMEWORK, "NUM_PROXIES": 2}
    # client 192.168.1.84 → proxy 10.0.0.2 → proxy 10.0.0.1 → us; the first entry is forged
    chain = "127.0.0.1, 192.168.1.84, 10.0.0.2"
    guesser = client_from("10.0.0.1", "guess-" + "c" * 20, HTTP_X_FORWARDED_FOR=chain)
    assert [guesser.get("/api/stats").status_code for _ in range(4)] == [401, 401, 401, 429]
    assert "auth failed client=192.168.1.84 GET /api/stats" in caplog.text


ADMIN_PASSWORD = "right-horse-battery-staple"


@pytest.fixture
def admin_account(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", ADMIN_PASSWORD)


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil.x"])
def test_a_login_link_to_another_host_leads_to_the_dashboard(admin_account, elsewhere):
    """Django refuses the other host, and went to its default, /accounts/profile/: a 404."""
    response = Client().post(
        reverse("admin:login"),
        {"username": "admin", "password": ADMIN_PASSWORD, "next": elsewhere},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def admin_login(client: Client, password: str):
    return client.post(
        reverse("admin:login"), {"username": "admin", "password": password, "next": "/admin/"}
    )


@pytest.mark.django_db
def test_repeated_failed_admin_logins_are_throttled(low_rate, admin_account, caplog):
    guesser = Client(REMOTE_ADDR="192.168.1.90")
    for attempt in range(3):
        wrong = admin_login(guesser, f"guess-{attempt}")
        assert wrong.status_code == 200  # the form again, with Django's error
        assert "Please enter the correct username and password" in wrong.content.decode()

    refused = admin_login(guesser, ADMIN_PASSWORD)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many failed logins from this address" in refused.content.decode()
    assert '<input type="password"' in refused.content.decode()  # still the login page
    # the right password was not even checked: no session
    assert "_auth_user_id" not in guesser.session
    assert guesser.get(reverse("admin:login")).status_code == 200  # the page itself shows
    # one budget per address for the admin and the API
    assert client_from("192.168.1.90", TEST_API_TOKEN).get("/api/stats").status_code == 429

    elsewhere = Client(REMOTE_ADDR="192.168.1.91")
    assert admin_login(elsewhere, ADMIN_PASSWORD).status_code == 302
    assert "admin login throttled client=192.168.1.90" in caplog.text
    assert "guess-" not in caplog.text and ADMIN_PASSWORD not in caplog.text


@pytest.mark.django_db
def test_a_rotating_forwarded_for_does_not_escape_the_admin_login_budget(low_rate, admin_account):
    statuses = [
        admin_login(
            Client(REMOTE_ADDR="192.168.1.93", HTTP_X_FORWARDED_FOR=f"10.7.7.{i}"), f"guess-{i}"
        ).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_successful_admin_logins_never_count(low_rate, admin_account):
    client = Client(REMOTE_ADDR="192.168.1.92")
    for _ in range(5):
        assert admin_login(client, ADMIN_PASSWORD).status_code == 302
        client.post(reverse("admin:logout"))
    assert admin_login(client, ADMIN_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_sqlite_wal_is_cut_back_once_it_restarts():
    """Under a steady flood, readers keep checkpoints from restarting the WAL, which grew to
    hundreds of MB and stayed so; SQLite truncates it to journal_size_limit when it restarts."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_size_limit")
        assert cursor.fetchone()[0] == 64 * 1024 * 1024


@engine_independent
def test_a_dotenv_reads_comments_as_a_shell_does(tmp_path):
    """The README's .env blocks for several servers and for a TLS proxy, pasted as printed:
    `NUM_PROXIES=1   # the load balancer…` kept its comment in the value ("is not a valid
    value") and an indented comment line was "Invalid line". A `#` in a value stays."""
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"API_TOKEN='{secrets.token_urlsafe(32)}'   # quoted, then a comment\n"
        "NUM_PROXIES=1                        # the load balancer appends the client\n"
        "MIGRATE_ON_START=false               # on all but one server (or run migrate once;\n"
        "                                     # servers migrating at once take turns)\n"
        "SECURE_SSL_REDIRECT=true          # redirect to https\n"
        "SITE_URL=http://bench.lan:8007\n"
        "NOTIFY_URLS=json://127.0.0.1:9/#alerts\n",
        encoding="utf-8",
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "API_TOKEN", "NUM_PROXIES", "MIGRATE_ON_START", "NOTIFY_URLS")
        and not key.startswith(("SECURE_", "SITE_URL", "DEBUG"))
    }
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy, django, os; from django.conf import settings; django.setup();"
            "print(settings.NUM_PROXIES, settings.MIGRATE_ON_START, settings.SECURE_SSL_REDIRECT,"
            " settings.NOTIFY_URLS, len(settings.API_TOKEN));"
            "conf = runpy.run_path('gunicorn.conf.py'); print(os.environ['NUM_PROXIES'])",
        ],
        cwd=ROOT,
        env={**env, "ENV_FILE": str(dotenv), "DJANGO_SETTINGS_MODULE": "benchsite.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Invalid line" not in shown.stderr
    assert shown.stdout.splitlines() == [
        "1 False True ['json://127.0.0.1:9/#alerts'] 43",
        "1",
    ]


@engine_independent
def test_a_postgresql_server_that_never_answers_is_given_up_on_with_a_line():
    """A hung PostgreSQL (it accepts the connection, then says nothing) held every request
    and command for libpq's own wait (failure-injection audit): 10 s by default, then an
    error. The command here is given ?connect_timeout=2 (README: another wait), the default
    is read from the settings."""
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    threading.Thread(
        target=lambda: held.extend(iter(lambda: listener.accept()[0], None)), daemon=True
    ).start()
    url = f"postgres://bench:pw@127.0.0.1:{listener.getsockname()[1]}/bench"
    env = {**os.environ, "ENV_FILE": "/nonexistent/.env"}
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", "export", "--format", "csv"],
            cwd=ROOT,
            env={**env, "DATABASE_URL": f"{url}?connect_timeout=2"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        listener.close()
    assert done.returncode == 1
    assert done.stderr.startswith("Database error: ") and "timeout expired" in done.stderr
    assert time.monotonic() - started < 30

    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", show],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.stdout.strip() == "{'connect_timeout': 10}", shown.stderr


@engine_independent
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GUNICORN_THREADS", "x"),
        ("WEB_CONCURRENCY", "0"),
        ("GUNICORN_PRELOAD", "maybe"),
        ("GUNICORN_WORKER_CLASS", "gthreads"),
    ],
)
def test_gunicorn_refuses_a_bad_value_of_its_own_in_one_line(name, value):
    """gunicorn started by hand (not through scripts/serve, whose settings check says it
    first): int()'s traceback, or with no worker a server that listened and never answered."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "--check-config"],
        cwd=ROOT,
        env={**os.environ, "ENV_FILE": "/nonexistent/.env", name: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    line = done.stderr.strip()
    assert line.startswith(f"Configuration error: {name} must be ") and "\n" not in line, line

"""The only settings module: every value comes from the environment (or an optional `.env`).

The variables and their defaults are the public contract (CONTRACT.md, "Configuration").
Defaults are safe for a plain-HTTP LAN install; with DEBUG off the server refuses to start
while SECRET_KEY or API_TOKEN is missing or still CHANGE_ME.
"""

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from benchsite import envconfig
from benchsite.envconfig import (
    Env,
    cache,
    database,
    gunicorn_checked,
    in_checkout,
    log_level,
    networks,
    time_zone,
    within,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()
# An explicit ENV_FILE wins; otherwise ./.env beside manage.py if present. Real environment
# variables always take precedence over the file.
_env_file = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if Path(_env_file).is_file():
    env.read_env(_env_file)

PLACEHOLDER = "CHANGE_ME"

DEBUG = env.bool("DEBUG", default=False)


def _required_secret(name: str) -> str:
    """A secret that production refuses to run without (DEBUG gets a throwaway value)."""
    value = env.str(name, default="")
    if value and value != PLACEHOLDER:
        return value
    if DEBUG:
        return value or PLACEHOLDER
    raise ImproperlyConfigured(
        f"{name} is {'missing' if not value else 'still ' + PLACEHOLDER}: set it in the "
        f"environment or in .env (scripts/serve writes one into a .env without it), or set "
        f"DEBUG=true for a development server."
    )


if DEBUG and env.str("SECRET_KEY", default=PLACEHOLDER) == PLACEHOLDER:
    from django.core.management.utils import get_random_secret_key

    SECRET_KEY = get_random_secret_key()
else:
    SECRET_KEY = _required_secret("SECRET_KEY")

# The fleet-wide token (all scopes). In DEBUG it may stay CHANGE_ME, which then works as a token.
API_TOKEN = _required_secret("API_TOKEN")
# It opens every scope and is guessed one request at a time: short ones fall to a patient guesser
# even within AUTH_FAILURE_RATE. scripts/serve writes 43 characters.
MIN_API_TOKEN_LENGTH = 24
if not DEBUG and len(API_TOKEN) < MIN_API_TOKEN_LENGTH:
    raise ImproperlyConfigured(
        f"API_TOKEN is {len(API_TOKEN)} characters long; it must have at least "
        f"{MIN_API_TOKEN_LENGTH}: python3 -c 'import secrets; print(secrets.token_urlsafe(32))' "
        f"prints one."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"  # django-cors-headers: only the API, only those origins

UPLOAD_DIR = in_checkout(BASE_DIR, env.str("UPLOAD_DIR", default=""), "uploads")
BACKUP_DIR = in_checkout(BASE_DIR, env.str("BACKUP_DIR", default=""), "backups")
# The dashboard warns when no backup was made for this long (benchsite.backups_made); 0: off
BACKUP_WARN_HOURS = env.within("BACKUP_WARN_HOURS", 48, 0, 87600)
MAX_UPLOAD_MB = env.within("MAX_UPLOAD_MB", 50, 1)
MAX_SUBMISSION_KB = env.within("MAX_SUBMISSION_KB", 1024, 1)
PORT = env.within("PORT", 8007, 1, 65535)
# Read by scripts/serve and docker/entrypoint.sh: false on all but one of several servers.
MIGRATE_ON_START = env.bool("MIGRATE_ON_START", default=True)
gunicorn_checked(env)  # gunicorn's own variables, said in one line before it starts
# Proxies in front of every request: the client address from X-Forwarded-For (benchsite/clientip)
NUM_PROXIES = env.within("NUM_PROXIES", 0, 0)
# and from the peers that are those proxies (None: any), as gunicorn.conf.py reads it
FORWARDED_ALLOW_IPS = networks(
    "FORWARDED_ALLOW_IPS", env.str("FORWARDED_ALLOW_IPS", default="") or "*"
)
# "cpu=0.30,memory=0.20,…"; a category left out keeps its weight from inventory/schema.py
SCORE_WEIGHTS = env.str("SCORE_WEIGHTS", default="")
# Run validity (CONTRACT Part 2): a run past any of these is suspect; `rescore` re-applies them.
VALIDITY_BUSY_PCT = env.within("VALIDITY_BUSY_PCT", 20.0, 0, 100)
VALIDITY_STEAL_PCT = env.within("VALIDITY_STEAL_PCT", 10.0, 0, 100)
VALIDITY_MAX_CV_PCT = env.within("VALIDITY_MAX_CV_PCT", 5.0, 0, 100)
VALIDITY_MAX_CV_PCT_NETWORK = env.within("VALIDITY_MAX_CV_PCT_NETWORK", 15.0, 0, 100)
# Insights and attention items (CONTRACT Part 2): `rescore` re-evaluates after a change.
# A baseline is drawn from 3 runs at least (insights.rules.MIN_RUNS): fewer would form none.
BASELINE_RUNS = env.within("BASELINE_RUNS", 5, 3)
REGRESSION_PCT = within("REGRESSION_PCT", env.float("REGRESSION_PCT", default=10.0), 0, 100)
PEER_GAP_PCT = within("PEER_GAP_PCT", env.float("PEER_GAP_PCT", default=15.0), 0, 100)
DISK_HOT_C = within("DISK_HOT_C", env.float("DISK_HOT_C", default=60.0), 0, 150)
# A machine in service whose latest run is older than this has gone quiet (inventory.quiet); 0: off
QUIET_AFTER_DAYS = env.within("QUIET_AFTER_DAYS", 14, 0, 3650)
HEALTHCHECK_TIMEOUT = env.within("HEALTHCHECK_TIMEOUT", 4.0, 0.1)  # read by docker/healthcheck.py
# Notifications (insights/notify.py): Apprise URLs, space- or comma-separated; empty: off.
NOTIFY_URLS = [url for url in re.split(r"[\s,]+", env.str("NOTIFY_URLS", default="")) if url]
# Each delivery gives up after this long (connect, then each read): never holds up a request.
NOTIFY_TIMEOUT_S = within("NOTIFY_TIMEOUT_S", env.float("NOTIFY_TIMEOUT_S", default=5.0), 0.1)
# A notification that could not be delivered (a receiver down, a network out) is tried again,
# 30 s later, then at doubling intervals up to an hour, until this many hours after it was made.
NOTIFY_RETRY_HOURS = within("NOTIFY_RETRY_HOURS", env.float("NOTIFY_RETRY_HOURS", default=24.0), 0)
# Where people open the admin (a notification links to the device's page there); not from a
# request: rescore has none, and its Host is the client's choice (ALLOWED_HOSTS=*).
SITE_URL = env.str("SITE_URL", default="").rstrip("/")
if SITE_URL and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL must be http(s)://host[:port], not {SITE_URL!r}.")
# NOTIFY_URLS without it: notifications give the page's path (insights.checks warns)
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=False)  # /metrics without a token
# The LAN's iperf3 server (HOST[:PORT]): bench.sh runs given no --iperf-server measure against it
IPERF_SERVER = envconfig.iperf_server("IPERF_SERVER", env.str("IPERF_SERVER", default=""))

OUR_APPS = ("inventory", "benchmarks", "documents", "insights")  # and benchsite, which ties them
INSTALLED_APPS = [
    "benchsite",  # first: its admin templates override Django's
    "benchsite.apps.BenchAdminConfig",  # django.contrib.admin with the dashboard site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    *OUR_APPS,
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",  # first: its headers go on every response
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",  # its header on every response
    "benchsite.csp.ContentSecurityPolicyMiddleware",  # and no script but the server's own
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "benchsite.health.HealthMiddleware",  # /api/health whatever the Host (a probe by address)
    "benchsite.throttling.AuthFailureThrottleMiddleware",  # 429 after repeated 401s
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "benchsite.apitime.ApiInUtcMiddleware",  # the API in UTC, the admin in TIME_ZONE
]

ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
ASGI_APPLICATION = "benchsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": database(env, "DATABASE_URL", default="sqlite:///data/data.db", base=BASE_DIR)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at BEGIN,
    # so a transaction never has to upgrade a read lock (an upgrade that fails with "database
    # is locked" without waiting). The busy timeout then queues concurrent writers.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.within("SQLITE_BUSY_TIMEOUT_S", 30, 1),
            "transaction_mode": "IMMEDIATE",
            # journal_size_limit: the WAL, which grows under a steady flood of submissions
            # (readers keep the checkpoints from restarting it), is cut back to 64 MiB once it
            # restarts; without it, it stayed at its largest (hundreds of MB) for good
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=67108864",
        }
    )
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        # the database's directory, when it is made here, is this account's alone
        Path(DATABASES["default"]["NAME"]).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Opening a SQLite connection reads the schema and the WAL index (~0.5 ms): the threaded
    # server keeps one per thread (gunicorn.conf.py sets CONN_MAX_AGE for gthread; ASGI, which
    # runs each request on a new thread, must not).
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
    if env.bool("SQLITE_WRITE_LOCK", default=True):
        # Writers queue on a file lock before BEGIN IMMEDIATE instead of sleeping in SQLite's
        # busy handler (benchsite/dbbackend; measured in perf/ingest.py).
        DATABASES["default"]["ENGINE"] = "benchsite.dbbackend"
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # a server that accepts the connection and never answers (hung, a host gone behind a
    # router) held each request for libpq's own wait, some two minutes (failure-injection
    # audit): 10 s, then a 503; ?connect_timeout= in DATABASE_URL sets another
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 10)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = time_zone(env.str("TIME_ZONE", default="UTC"))
USE_I18N = True
USE_TZ = True
# one way to write a date on every page: 2026-12-03 14:18 (benchsite/formats/en)
FORMAT_MODULE_PATH = ["benchsite.formats"]

# --- Cache -----------------------------------------------------------------------------------
# Cross-request state (the failed-authentication budget, DRF throttles) must be seen by every
# process that answers. The default, files under data/cache, is shared by the workers of one
# server (gunicorn's processes; local memory would give each its own budget) and needs no
# service and no table; a file is written only on a failed authentication. Several servers
# share Redis: CACHE_URL=redis://host:6379/0.
CACHES = {"default": cache(env, "CACHE_URL", default=f"filecache://{BASE_DIR / 'data' / 'cache'}")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Django's own client (package `redis`), whichever one django-environ would pick
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
    # a Redis that hangs costs a request half a second, not the client's default of forever
    # (throttling then lets requests through: benchsite/throttling.py)
    _options = CACHES["default"].setdefault("OPTIONS", {})
    _options.setdefault("socket_connect_timeout", 0.5)
    _options.setdefault("socket_timeout", 0.5)

# --- Static files and uploads --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(UPLOAD_DIR)},
    },
    "staticfiles": {
        # Hashed, compressed names (cacheable forever) need `collectstatic`, which scripts/serve
        # and the Docker build run; STATIC_MANIFEST=false serves plain names (tests, runserver).
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Several app servers share documents only in object storage (CONTRACT.md, "Several servers").
DOCUMENT_STORAGE = env.str("DOCUMENT_STORAGE", default="file")
if DOCUMENT_STORAGE == "s3":
    if not env.str("S3_BUCKET", default=""):
        raise ImproperlyConfigured("DOCUMENT_STORAGE=s3 needs S3_BUCKET (the bucket's name).")
    from benchsite.s3config import s3_storage

    STORAGES["default"] = s3_storage(
        bucket=env.str("S3_BUCKET"),
        endpoint_url=env.str("S3_ENDPOINT_URL", default=""),
        access_key=env.str("S3_ACCESS_KEY_ID", default=""),
        secret_key=env.str("S3_SECRET_ACCESS_KEY", default=""),
        region=env.str("S3_REGION", default=""),
        timeout_s=env.within("S3_TIMEOUT_S", 20.0, 0.1),
    )
elif DOCUMENT_STORAGE != "file":
    raise ImproperlyConfigured(
        f"DOCUMENT_STORAGE must be 'file' or 's3', not {DOCUMENT_STORAGE!r}."
    )
elif BACKUP_DIR == UPLOAD_DIR:
    # the archives would be among the uploads: each backup would hold the ones before it, and
    # a restore, which removes what the archive has not, would delete them all
    raise ImproperlyConfigured(
        f"BACKUP_DIR and UPLOAD_DIR are the same directory ({UPLOAD_DIR}): set BACKUP_DIR to "
        "another one (a directory inside UPLOAD_DIR is left out of backups and restores)."
    )
# A document's file and directories: this account's alone, as scripts/serve's umask (Django: 0644)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# static files from the apps when collectstatic has not run (tests, first start)
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=not STATIC_ROOT.exists())
WHITENOISE_MANIFEST_STRICT = False
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_SUBMISSION_KB * 1024, 2_621_440)

# --- Security ------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = SECURE_SSL_REDIRECT
CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = env.within("SECURE_HSTS_SECONDS", 31_536_000 if SECURE_SSL_REDIRECT else 0, 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL_REDIRECT
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
LOGIN_REDIRECT_URL = "admin:index"  # after a login whose ?next= was refused (another host's)
SESSION_COOKIE_HTTPONLY = True
# Health probes (Docker HEALTHCHECK, a proxy's check) speak plain HTTP to the container.
SECURE_REDIRECT_EXEMPT = [r"^api/health/?$"]
# HSTS preload is for public domains on the browsers' list; a LAN host never is, and opting
# a public domain in is hard to undo. Everything else of `check --deploy` is met with TLS on.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Failed authentications per client address and period (benchsite/throttling.py); empty: off.
AUTH_FAILURE_RATE = env.str("AUTH_FAILURE_RATE", default="30/min")
if AUTH_FAILURE_RATE and not re.fullmatch(r"\d+/(s|sec|m|min|h|hour|d|day)", AUTH_FAILURE_RATE):
    raise ImproperlyConfigured(
        f"AUTH_FAILURE_RATE must look like 30/min (per s, min, hour or day), "
        f"not {AUTH_FAILURE_RATE!r}."
    )

# --- REST framework ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        # Bearer first: its header makes unauthenticated answers 401 with WWW-Authenticate.
        "benchsite.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("benchsite.auth.ReadScope",),
    "DEFAULT_PARSER_CLASSES": ("benchsite.parsers.JSONParser",),
    "DEFAULT_RENDERER_CLASSES": ("rest_framework.renderers.JSONRenderer",),
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "benchsite.parsers.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "benchsite.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "benchsite.schema.AutoSchema",
    "EXCEPTION_HANDLER": "benchsite.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "STRICT_JSON": True,
    # Applied by benchsite.throttling (failed authentications only, per client IP).
    "DEFAULT_THROTTLE_RATES": {"auth_failure": AUTH_FAILURE_RATE},
    # DRF's default (None) takes the client address from X-Forwarded-For, which any client sets.
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Linux BenchTools API",
    "DESCRIPTION": "Inventory and benchmark ranking of a fleet of Linux machines.",
    "VERSION": None,  # filled from benchsite.__version__ in urls
    "SERVE_INCLUDE_SCHEMA": False,
    # public: a token sent to the document or its page is not checked (a 401 let it be guessed)
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"DocTypeEnum": "documents.models.DocType"},
    # 3.1: JSON Schema proper, as the submission's schema is generated (inventory.schema), with
    # `null` as a type; 3.0 has no way to say it
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "benchsite.schema.strip_trailing_slash",
    ],
}

# --- Logging -------------------------------------------------------------------------------
LOG_LEVEL = log_level(env.str("LOG_LEVEL", default="INFO"))
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "benchsite.logs.JsonFormatter"},
    },
    "filters": {"redact_secrets": {"()": "benchsite.logs.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        **{app: {"level": LOG_LEVEL} for app in ("benchsite", *OUR_APPS)},
        "django.request": {"level": "ERROR"},
    },
}

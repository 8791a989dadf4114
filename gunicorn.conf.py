"""gunicorn settings for `gunicorn -c gunicorn.conf.py` (the README's run command, the Docker CMD).

Environment: PORT (8007), HOST (0.0.0.0), WEB_CONCURRENCY (2 worker processes),
GUNICORN_WORKER_CLASS (gthread, the threaded WSGI worker; `uvicorn_worker.UvicornWorker` for
ASGI), GUNICORN_THREADS (4, for gthread), GUNICORN_PRELOAD (true: preload_app, below),
GUNICORN_ACCESS_LOG ("-", stdout; empty: off),
NUM_PROXIES and FORWARDED_ALLOW_IPS (below). Values from .env apply as in Django's settings.

gthread is the default because it measured faster here (perf/ingest.py, README "Performance"):
Django's ORM is synchronous, and under ASGI every request hops to a new thread with a new
database connection, which cost ~1.7× the server CPU per submission and ~5× per health check.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from benchsite.envconfig import Env, boolean, count
from benchsite.envconfig import worker_class as checked_worker_class

_env_file = os.environ.get("ENV_FILE", str(Path(__file__).resolve().parent / ".env"))
if Path(_env_file).is_file():
    Env.read_env(_env_file)  # as Django's settings read it

try:  # refused with one line, as the settings refuse theirs (which check these too)
    workers = count("WEB_CONCURRENCY", os.environ.get("WEB_CONCURRENCY"), 2)
    threads = count("GUNICORN_THREADS", os.environ.get("GUNICORN_THREADS"), 4)
    preload_app = boolean("GUNICORN_PRELOAD", os.environ.get("GUNICORN_PRELOAD"), True)
    worker_class = checked_worker_class(os.environ.get("GUNICORN_WORKER_CLASS"))
except ImproperlyConfigured as exc:
    raise SystemExit(f"Configuration error: {exc}") from None

# HOST=" 127.0.0.1" (a blank kept by the shell, as .env's reader drops it): gunicorn could not
# bind, after the migrations
_host = os.environ.get("HOST", "").strip() or "0.0.0.0"  # noqa: S104 (a LAN server)
# an IPv6 address (HOST=::1, or :: for every interface) in brackets, as gunicorn reads a bind:
# "::1:8007" was "'' is not a valid port number", after the migrations
if ":" in _host and not _host.startswith("["):
    _host = f"[{_host}]"
# PORT empty (`PORT=` in .env) is PORT unset, as the settings read it
bind = f"{_host}:{(os.environ.get('PORT') or '').strip() or '8007'}"
wsgi_app = (
    "benchsite.asgi:application" if "uvicorn" in worker_class else "benchsite.wsgi:application"
)
# Threads of the WSGI worker live as long as it does and keep their database connection; Django
# under ASGI runs every request on a new thread, where a kept connection would leak.
if not os.environ.get("CONN_MAX_AGE", "").strip():  # unset or empty, as the settings read it
    os.environ["CONN_MAX_AGE"] = "0" if "uvicorn" in worker_class else "60"
# gunicorn 27 opens a control socket in ~/.gunicorn by default: several instances (tests, a
# second server) would fight over it, and nothing here uses it.
control_socket_disable = True
# A request line (the URL with its query) up to gunicorn's largest, 8,190 bytes: 110 tags of 35
# characters in one ?tag= list passed its default, 4,094, and gunicorn refused the request
# itself, with an HTML page (414), before Django could answer in JSON.
limit_request_line = 8190
timeout = 60
graceful_timeout = 20
# The application is loaded once, in the master, and the workers are forked from it with the
# loaded objects frozen out of the garbage collector (when_ready): they share those pages instead
# of each importing Django, DRF and the apps. Measured (2 workers, after 20 submissions): PSS of
# the three processes 160 -> 117 MB, CPU to start 3.0 -> 1.8 s. A code upgrade needs a restart
# (systemctl restart, a new container), not a HUP, which forks new workers from the same code.
# An application that cannot load (a missing SECRET_KEY) now stops the master with its error.
# (preload_app: read above)
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Access lines without credentials (query-string tokens, Authorization and Cookie headers), for
# both worker classes: uvicorn's worker writes through the same handlers.
logger_class = "benchsite.accesslog.AccessLogger"

# gunicorn and uvicorn trust X-Forwarded-For and X-Forwarded-Proto from 127.0.0.1 by default,
# so anything on this machine (a local proxy passing client headers on, a local user) could
# choose a client address. With no proxy declared, nobody is trusted. With NUM_PROXIES set, every
# request comes through the proxies (FORWARDED_ALLOW_IPS narrows it to their addresses); the
# client address is still chosen by the app alone (benchsite/clientip.py), from NUM_PROXIES.
# uvicorn's worker is told to trust none: uvicorn read X-Forwarded-For before the app and put
# an entry the client wrote in the peer's place (a client on the proxy's own host chose its
# address); the app reads the scheme there itself.
if int(os.environ.get("NUM_PROXIES") or 0) > 0 and "uvicorn" not in worker_class:
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "*"
else:
    forwarded_allow_ips = ""


def when_ready(server):
    """The master is listening and, with preload_app, has loaded the application: freeze it
    before the workers are forked, so that no collection in a worker writes to the shared pages.
    No database connection may be inherited by the workers (none is opened to load the
    application; closed here should that change)."""
    if server.cfg.preload_app:
        from django.apps import apps

        from benchsite.process import freeze_loaded_objects

        if apps.ready:  # a Django application (not perf/raw_asgi.py, which shares this file)
            from django.conf import settings
            from django.db import connections

            connections.close_all()
            if settings.NOTIFY_URLS:
                from insights.delivery import preload

                preload()
        freeze_loaded_objects()


def post_worker_init(worker):
    """The worker has the application (gthread and uvicorn alike): loaded by itself, or forked
    from the master's frozen copy, when what it has loaded since is frozen too. With
    NOTIFY_URLS, its notification sender starts: it sends what is due, and what another process
    left due."""
    from benchsite.process import freeze_loaded_objects

    freeze_loaded_objects()
    from django.apps import apps

    if apps.ready:
        from django.conf import settings

        if settings.NOTIFY_URLS:
            # what a stopped process or a failed attempt left due is sent by this worker
            from insights.notify import sender

            sender.wake()

"""gunicorn settings for `gunicorn -c gunicorn.conf.py` (the README's run command, the Docker CMD).

Environment: PORT (8007), HOST (0.0.0.0), WEB_CONCURRENCY (2 worker processes),
GUNICORN_WORKER_CLASS (uvicorn_worker.UvicornWorker; `gthread` for the threaded WSGI worker),
GUNICORN_THREADS (4, for gthread). Values from .env apply as in Django's settings.
"""

import os
from pathlib import Path

import environ

_env_file = os.environ.get("ENV_FILE", str(Path(__file__).resolve().parent / ".env"))
if Path(_env_file).is_file():
    environ.Env.read_env(_env_file)

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8007')}"  # noqa: S104 (a LAN server)
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "uvicorn_worker.UvicornWorker")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
wsgi_app = (
    "benchsite.asgi:application" if "uvicorn" in worker_class else "benchsite.wsgi:application"
)
# gunicorn 27 opens a control socket in ~/.gunicorn by default: several instances (tests, a
# second server) would fight over it, and nothing here uses it.
control_socket_disable = True
timeout = 60
graceful_timeout = 20
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"

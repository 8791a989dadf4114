"""The served ASGI application without benchsite.bodylimit.RequestBodyLimit, for perf/bodylimit.py
only: what a huge body costs when nothing refuses it before Django stores it.

    gunicorn -k uvicorn_worker.UvicornWorker perf.asgi_unlimited:application
"""

import os

from django.core.asgi import get_asgi_application

from benchsite.clientip import ForwardedClientASGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
application = ForwardedClientASGI(get_asgi_application())

import os

from django.core.asgi import get_asgi_application

from .bodylimit import RequestBodyLimit
from .clientip import ForwardedClientASGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
# Django's ASGI handler stores a whole body before any view can refuse it: cap it first (and
# give a chunked body its length).
application = ForwardedClientASGI(RequestBodyLimit(get_asgi_application()))

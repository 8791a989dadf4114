import os

from django.core.wsgi import get_wsgi_application

from .bodylimit import RequestBodyLimitWSGI
from .clientip import ForwardedClientWSGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
# Django reads a body of CONTENT_LENGTH bytes: within the largest limit, and a chunked one
# gets its length first.
application = ForwardedClientWSGI(RequestBodyLimitWSGI(get_wsgi_application()))

import os

from django.core.wsgi import get_wsgi_application

from .bodylimit import ChunkedBodyWSGI
from .clientip import ForwardedClientWSGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
# Django reads a body of CONTENT_LENGTH bytes: a chunked one gets its length first.
application = ForwardedClientWSGI(ChunkedBodyWSGI(get_wsgi_application()))

import os

from django.core.wsgi import get_wsgi_application

from .clientip import ForwardedClientWSGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
application = ForwardedClientWSGI(get_wsgi_application())

"""WSGI entry point, served by gunicorn in production: ``gunicorn csp.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csp.settings")
application = get_wsgi_application()

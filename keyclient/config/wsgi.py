"""WSGI entry point for production web workers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyclient.config.settings")
application = get_wsgi_application()

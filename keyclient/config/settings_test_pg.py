"""Test settings for the PostgreSQL run of the suite.

The ENGINE is PostgreSQL from the start; the test session starts a throwaway server and fills in
HOST/PORT/USER in place (see the `django_db_modify_db_settings` fixture in tests/conftest.py).
"""

from keyclient.config.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "keyclient",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": "",
    }
}

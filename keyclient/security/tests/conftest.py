"""Fixtures shared by the security tests."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings


@pytest.fixture
def english(client):  # type: ignore[no-untyped-def]
    """The test client with English chosen, so the assertions read the msgids."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client

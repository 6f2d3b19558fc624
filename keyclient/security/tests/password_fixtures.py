"""Fast password hashing for the tests that log in many times (lockout, two-factor).

Import both fixtures into a test module; they are not in conftest.py because tests that log in with
`force_login` need the passwords left as the persona kit hashed them.
"""

from __future__ import annotations

import pytest

from tests.personas import PASSWORD


@pytest.fixture(autouse=True)
def fast_hashing(settings):  # type: ignore[no-untyped-def]
    """Argon2 costs a third of a second a try; the login tests make a hundred tries."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def bank(bank):  # type: ignore[no-untyped-def]
    """The persona bank with passwords hashed by the fast hasher."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    get_user_model().objects.update(password=make_password(PASSWORD))
    return bank

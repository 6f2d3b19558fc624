"""Test-session set-up shared by every test: the database under test and the personas.

`make test` runs the suite twice: on SQLite (the default settings) and on a real PostgreSQL 15
server that this file starts through pytest-postgresql (settings `keyclient.config.settings_test_pg`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
ON_POSTGRES = os.environ.get("DJANGO_SETTINGS_MODULE") == "keyclient.config.settings_test_pg"

pytest_plugins = ["tests.personas", "tests.leakscan"]

if ON_POSTGRES:
    from pytest_postgresql import factories

    postgresql_server = factories.postgresql_proc(
        executable=str(ROOT / "scripts" / "pg_ctl"), port=None, user="postgres"
    )

    @pytest.fixture(scope="session")
    def django_db_modify_db_settings(postgresql_server) -> None:  # type: ignore[no-untyped-def]
        from django.conf import settings

        database = settings.DATABASES["default"]
        database["HOST"] = postgresql_server.host
        database["PORT"] = str(postgresql_server.port)
        database["USER"] = postgresql_server.user
        database["PASSWORD"] = postgresql_server.password or ""


def pytest_report_header() -> str:
    return f"database under test: {'PostgreSQL (throwaway server)' if ON_POSTGRES else 'SQLite'}; chromium: {shutil.which('chromium')}"


@pytest.fixture(autouse=True, scope="session")
def _own_lock_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test process its own batch-lock folder: the in-memory SQLite test database puts its lock
    files in `settings.KEYCLIENT_LOCK_DIR`, which pytest-xdist workers would otherwise share (one
    worker's intake test then finds "another intake run is in progress")."""
    from django.conf import settings

    settings.KEYCLIENT_LOCK_DIR = tmp_path_factory.mktemp("locks")

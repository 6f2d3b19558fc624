"""`/healthz` (the process answers, no database) and `/readyz` (database, lake, keys, migrations)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

pytestmark = pytest.mark.django_db

ALL_OK = {"database": "ok", "lake": "ok", "keys": "ok", "migrations": "ok"}


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    settings.KEYCLIENT_LAKE_DIR.mkdir()
    return settings.KEYCLIENT_LAKE_DIR


def test_healthz_answers_anonymously_without_touching_the_database(client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_200_when_everything_is_ready(client, lake: Path) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "checks": ALL_OK, "failed": []})


def test_readyz_is_503_naming_a_missing_lake(client, lake: Path) -> None:
    lake.rmdir()
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (
        503,
        {
            "status": "unavailable",
            "checks": {**ALL_OK, "lake": "failed: the lake directory is missing"},
            "failed": ["lake"],
        },
    )


def test_readyz_is_503_naming_an_unapplied_migration(client, lake: Path) -> None:
    MigrationRecorder(connection).record_unapplied("jobs", "0002_nightly_chain")
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (
        503,
        {
            "status": "unavailable",
            "checks": {**ALL_OK, "migrations": "failed: 1 unapplied migrations"},
            "failed": ["migrations"],
        },
    )


def test_readyz_is_503_naming_missing_keys(client, lake: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_FIELD_KEYS = []
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["keys"]
    assert response.json()["checks"]["keys"] == "failed: no field encryption key"
    settings.KEYCLIENT_FIELD_KEYS = ["not-a-fernet-key"]
    assert client.get("/readyz").json()["checks"]["keys"] == "failed: ValueError"

"""Settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from keyclient.config.env import database_from_url, env_currency, secret_key


def test_no_url_means_sqlite_in_wal_mode(tmp_path):
    db = database_from_url(None, tmp_path)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "keyclient.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_postgres_url(tmp_path):
    db = database_from_url("postgres://kc:s%40cret@db.internal:5433/keyclient?sslmode=require", tmp_path)
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql",
        "keyclient",
        "kc",
        "s@cret",
        "db.internal",
        "5433",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_unknown_scheme_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://x@y/z", tmp_path)


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("KEYCLIENT_SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="KEYCLIENT_SECRET_KEY is not set"):
        secret_key(tmp_path, production=True)
    assert not (tmp_path / "secret_key").exists()


def test_development_key_is_created_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("KEYCLIENT_SECRET_KEY", raising=False)
    first = secret_key(tmp_path, production=False)
    assert secret_key(tmp_path, production=False) == first
    assert len(first) >= 50
    assert oct(Path(tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_the_reporting_currency_is_a_three_letter_code(monkeypatch):
    monkeypatch.delenv("KEYCLIENT_REPORTING_CURRENCY", raising=False)
    assert env_currency("KEYCLIENT_REPORTING_CURRENCY", "CNY") == "CNY"
    monkeypatch.setenv("KEYCLIENT_REPORTING_CURRENCY", " eur ")
    assert env_currency("KEYCLIENT_REPORTING_CURRENCY", "CNY") == "EUR"
    monkeypatch.setenv("KEYCLIENT_REPORTING_CURRENCY", "euro")
    with pytest.raises(ImproperlyConfigured, match="three-letter ISO 4217 currency code, not 'EURO'"):
        env_currency("KEYCLIENT_REPORTING_CURRENCY", "CNY")

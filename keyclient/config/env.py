"""Reading settings from the environment: database URLs, flags and paths."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean flag: 1/true/yes/on are true."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_regex(name: str) -> str:
    """Read a regular expression (empty when unset); one that does not compile stops start-up."""
    value = os.environ.get(name, "")
    try:
        re.compile(value)
    except re.error as exc:
        raise ImproperlyConfigured(f"{name} is not a regular expression: {exc}") from None
    return value


def env_currency(name: str, default: str) -> str:
    """Read an ISO 4217 currency code (three letters, upper-cased); anything else stops start-up."""
    value = os.environ.get(name, "").strip().upper() or default
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ImproperlyConfigured(f"{name} must be a three-letter ISO 4217 currency code, not {value!r}")
    return value


def database_from_url(url: str | None, var_dir: Path) -> dict[str, Any]:
    """Turn DATABASE_URL into a Django DATABASES entry.

    No URL means the embedded default: a SQLite file under `var/` in WAL mode.
    """
    if not url:
        return sqlite_database(var_dir / "keyclient.sqlite3")
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return sqlite_database(Path(unquote(parsed.path)))
    if parsed.scheme in {"postgres", "postgresql"}:
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parsed.scheme!r} is not supported; use postgres://… or leave it unset for SQLite"
    )


def sqlite_database(path: Path) -> dict[str, Any]:
    """An embedded SQLite database in WAL mode with immediate write transactions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def secret_key(
    var_dir: Path, *, production: bool, name: str = "KEYCLIENT_SECRET_KEY", file_name: str = "secret_key"
) -> str:
    """A secret from the environment variable `name`; outside production a per-install key under var/.

    In production a missing key refuses to start instead of falling back to anything guessable.
    """
    key = os.environ.get(name, "")
    if key:
        return key
    if production:
        raise ImproperlyConfigured(
            f"{name} is not set. Production refuses to start without it; "
            "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    key_file = var_dir / file_name
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def field_keys(var_dir: Path, *, production: bool) -> list[str]:
    """Fernet keys for personal fields from KEYCLIENT_FIELD_KEYS (comma-separated, newest first).

    Outside production a key is generated once into var/field_keys.
    """
    raw = os.environ.get("KEYCLIENT_FIELD_KEYS", "")
    if not raw:
        if production:
            raise ImproperlyConfigured(
                "KEYCLIENT_FIELD_KEYS is not set. Production refuses to start without the field encryption key; "
                "generate one with `keyclient security new-key`."
            )
        key_file = var_dir / "field_keys"
        if not key_file.exists():
            import base64

            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
            key_file.chmod(0o600)
        raw = key_file.read_text().strip()
    return [k.strip() for k in raw.split(",") if k.strip()]

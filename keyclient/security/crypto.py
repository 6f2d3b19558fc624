"""Encryption at rest of personal fields, and blind indexes to find them again.

- Encryption: Fernet (AES-128-CBC + HMAC-SHA256) through `MultiFernet`, keys from
  `settings.KEYCLIENT_FIELD_KEYS` (the first encrypts, all decrypt). Rotating = put a new key first,
  run `keyclient security rotate-keys`, then drop the old key.
- Blind index: HMAC-SHA256 under `settings.KEYCLIENT_BLIND_INDEX_KEY` of a normalised value and a
  purpose, so an exact ID or phone lookup and a last-four search work without storing the digits.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("KEYCLIENT_FIELD_KEYS holds no key")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"KEYCLIENT_FIELD_KEYS holds an invalid Fernet key: {exc}") from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.KEYCLIENT_FIELD_KEYS))


def encrypt(value: str) -> str:
    """Encrypt a text value; the empty string stays empty (nothing to hide, nothing to find)."""
    if not value:
        return ""
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A personal field cannot be decrypted with the configured KEYCLIENT_FIELD_KEYS (wrong or removed key)"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt `token` under the first (current) key."""
    return fernet().rotate(token.encode()).decode() if token else ""


def blind_index(value: str, purpose: str) -> str:
    """A keyed hash of `value` for exact lookups, separate per purpose (`id`, `id_last4`, `mobile`…)."""
    if not value:
        return ""
    normalised = value.strip().upper().replace(" ", "")
    key = settings.KEYCLIENT_BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}:{normalised}".encode(), hashlib.sha256).hexdigest()[:32]


def new_field_key() -> str:
    return Fernet.generate_key().decode()

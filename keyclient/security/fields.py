"""`EncryptedTextField`: a text column stored encrypted, read back in clear inside the server."""

from __future__ import annotations

from typing import Any

from django.db import models

from keyclient.security.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]  # generic in the stubs only
    """Encrypted at rest (see `keyclient.security.crypto`). It cannot be filtered on: look values up
    through a blind-index column instead. Display still goes through masking."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        return decrypt(value) if value else ""

    def get_prep_value(self, value: Any) -> str:
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in ("isnull",):
            raise TypeError(
                f"an encrypted field cannot be filtered with __{lookup_name}: use its blind index"
            )
        return super().get_lookup(lookup_name)

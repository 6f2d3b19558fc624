"""Encryption at rest and blind indexes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from keyclient.customers.models import Customer
from keyclient.security.crypto import blind_index, decrypt, encrypt, new_field_key


def raw_row(customer_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM customers_customer WHERE id = %s", [customer_id])
        return cursor.fetchone()


def test_personal_fields_are_encrypted_in_the_database(bank):
    zhang = bank.customers["zhang"]
    id_cipher, mobile_cipher = raw_row(zhang.pk)
    assert "110108198001011235" not in id_cipher and "1235" not in id_cipher
    assert "13800001234" not in mobile_cipher
    assert decrypt(id_cipher) == "110108198001011235"
    assert Customer.objects.get(pk=zhang.pk).mobile == "13800001234"


def test_encryption_is_randomised_but_the_blind_index_is_stable(bank):
    assert encrypt("13800001234") != encrypt("13800001234")
    assert blind_index("13800001234", "mobile") == blind_index(" 13800001234 ", "mobile")
    assert blind_index("1234", "mobile_last4") != blind_index("1234", "id_last4")


def test_encrypted_fields_refuse_plain_lookups(bank):
    with pytest.raises(TypeError, match="blind index"):
        Customer.objects.filter(mobile="13800001234").count()


def test_rotation_keeps_old_rows_readable(bank, settings):
    zhang = bank.customers["zhang"]
    old_cipher, _ = raw_row(zhang.pk)
    settings.KEYCLIENT_FIELD_KEYS = [new_field_key(), *settings.KEYCLIENT_FIELD_KEYS]
    assert Customer.objects.get(pk=zhang.pk).id_number == "110108198001011235"
    from django.core.management import call_command

    call_command("security", "rotate-keys")
    new_cipher, _ = raw_row(zhang.pk)
    assert new_cipher != old_cipher
    settings.KEYCLIENT_FIELD_KEYS = settings.KEYCLIENT_FIELD_KEYS[:1]  # the old key is gone
    assert Customer.objects.get(pk=zhang.pk).id_number == "110108198001011235"


def test_a_missing_key_is_a_clear_error(bank, settings):
    zhang = bank.customers["zhang"]
    settings.KEYCLIENT_FIELD_KEYS = [new_field_key()]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        Customer.objects.get(pk=zhang.pk)


def test_rotating_the_keys_writes_one_business_event(bank, settings):
    from django.core.management import call_command

    from keyclient.audit.models import BusinessEvent

    settings.KEYCLIENT_FIELD_KEYS = [new_field_key(), *settings.KEYCLIENT_FIELD_KEYS]
    customers = Customer.objects.count()
    call_command("security", "rotate-keys", stdout=__import__("io").StringIO())
    event = BusinessEvent.objects.get()
    assert (event.verb, event.actor_id, event.actor_name) == (
        "security.keys_rotated",
        None,
        "job:security.rotate_keys",
    )
    assert event.after["keys"] == 2
    assert event.after["rows"]["customers.Customer"] == customers
    assert {"customers.Customer", "customers.ContactPoint", "products.Account", "products.Holding"} <= set(
        event.after["rows"]
    )

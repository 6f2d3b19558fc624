"""A backup restores: pg_dump of the CRM database, pg_restore into a second, throwaway PostgreSQL
server, and the same clients read back, their encrypted fields decryptable with the key files kept
beside the backup (docs/operations.md, "Backup and restore"). PostgreSQL only."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from keyclient.security.crypto import decrypt, new_field_key

ON_POSTGRES = os.environ.get("DJANGO_SETTINGS_MODULE") == "keyclient.config.settings_test_pg"
ROOT = Path(__file__).resolve().parent.parent

if not ON_POSTGRES:
    pytestmark = pytest.mark.skip(reason="pg_dump / pg_restore need the PostgreSQL run")
else:
    from pytest_postgresql import factories

    # A second server, as a restore on another machine would be.
    restore_server = factories.postgresql_proc(
        executable=str(ROOT / "scripts" / "pg_ctl"), port=None, user="postgres"
    )


def pg_tool(name: str) -> str:
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout
    return str(Path(bindir.strip()) / name)


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_second_server_with_the_same_decryptable_clients(
    restore_server, tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    from keyclient.customers.models import Customer
    from tests.personas import build_bank

    build_bank()
    original = list(
        Customer.objects.order_by("pk").values_list("pk", "customer_no", "name", "id_number", "mobile")
    )
    assert len(original) == 5 and all(row[3] for row in original)

    source = connection.settings_dict
    dump = tmp_path / "keyclient.dump"
    subprocess.run(
        [pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={dump}",
         f"--host={source['HOST']}", f"--port={source['PORT']}", f"--username={source['USER']}", source["NAME"]],
        check=True, env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
    )  # fmt: skip

    target = f"host={restore_server.host} port={restore_server.port} user={restore_server.user}"
    with psycopg.connect(f"{target} dbname=postgres", autocommit=True) as admin:
        admin.execute("CREATE DATABASE restored")
    subprocess.run(
        [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--host={restore_server.host}",
         f"--port={restore_server.port}", f"--username={restore_server.user}", "--dbname=restored", str(dump)],
        check=True,
    )  # fmt: skip

    table = Customer._meta.db_table
    with psycopg.connect(f"{target} dbname=restored") as restored:
        rows = restored.execute(
            f"SELECT id, customer_no, name, id_number, mobile FROM {table} ORDER BY id"
        ).fetchall()
    # The same clients, and their encrypted fields read back equal under the kept keys.
    assert [(pk, no, name, decrypt(idn), decrypt(mob)) for pk, no, name, idn, mob in rows] == original
    assert all(idn != plain for (_, _, _, idn, _), (_, _, _, plain, _) in zip(rows, original, strict=True))

    # Without the key files the restored personal fields are unreadable: back them up with the dump.
    settings.KEYCLIENT_FIELD_KEYS = [new_field_key()]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        decrypt(rows[0][3])

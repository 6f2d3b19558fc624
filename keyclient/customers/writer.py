"""The one writer of the client master for batches: intake, pipeline and valuation write
`customers.Customer` (and the intake its contact points) only through here.

Every write is set-based: the rows go to a temporary table of the CRM database in bulk
(`core.bulk.bulk_insert`: COPY on PostgreSQL), then one `INSERT … SELECT` writes the field-change
rows of the tracked fields that really change and one `UPDATE … FROM` applies the values. No query
per client, no Python loop over clients, except where a personal value must be decrypted to be
masked (only the rows whose blind index changed).

Tracked fields (`TRACKED`): everything that identifies, reaches, places or ranks a client — name,
kind, gender, birth date, industry, registration number, ID type and number, mobile, province,
city, home org unit, primary RM, status, client-since date, risk tolerance and its date, tier.
Personal fields (`MASKED`) are recorded masked. Not tracked: the derived search keys
(`name_initials`, `*_bidx`) and `updated_at`. The client's position (`CustomerPosition`: AUM, and
copies of the tier and scope columns the list filters on) is written here too, in the same
transaction: with each new client, with each update of a copied column, and whole at a month end
(`set_month_positions`). A client's creation is recorded by the
batch's business event (`intake.loaded` with its counts), not field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone

from keyclient.audit.actors import Actor, actor_columns
from keyclient.audit.models import FieldChange
from keyclient.core.bulk import Columns, bulk_insert, drop, q, stage
from keyclient.customers import positions
from keyclient.customers.models import ContactPoint, Customer
from keyclient.security.crypto import decrypt, encrypt
from keyclient.security.masking import MASKERS, mask_id_number, mask_phone

TRACKED = (
    "name", "kind", "gender", "birth_date", "industry", "registration_no", "id_type", "id_number", "mobile",
    "province", "city", "home_org_unit_id", "primary_rm_id", "status", "open_date", "risk_tolerance",
    "risk_assessed_on", "tier",
)  # fmt: skip
# Personal fields: encrypted at rest, compared by blind index, recorded masked.
MASKED: dict[str, Callable[[str | None], str]] = {"id_number": mask_id_number, "mobile": mask_phone}
CONTACT_MASKERS = {"mobile": "phone", "phone": "phone", "email": "email", "address": "address"}
CUSTOMER, CONTACT = Customer._meta.label, ContactPoint._meta.label
CHANGE_COLUMNS = ["at", "actor_id", "actor_name", "model", "object_id", "customer_id", "field", "old", "new"]


def masked(field: str, value: str | None) -> str:
    """The form a personal value takes in the audit (`id_number`, `mobile`)."""
    return MASKED[field](value)


def masked_contact(kind: str, value: str | None) -> str:
    return MASKERS[CONTACT_MASKERS[kind]](value)


def _field(column: str) -> str:
    return column.removesuffix("_id") if column in ("home_org_unit_id", "primary_rm_id") else column


def _who(actor: Actor) -> tuple[Any, ...]:
    who = actor_columns(actor)
    return (timezone.now(), who["actor_id"], who["actor_name"])


# The client master ---------------------------------------------------------------------------


def insert_customers(*, actor: Actor, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert new clients (values already derived: encrypted numbers, blind indexes, initials), each
    with its position (AUM 0 until its first month end)."""
    actor_columns(actor)  # a batch without an actor writes nothing
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {q(Customer._meta.db_table)}")  # noqa: S608 - a model table name
        last = cursor.fetchone()[0]
    inserted = bulk_insert(Customer._meta.db_table, columns, rows)
    if inserted:
        positions.add_missing(after=last)
    return inserted


def update_customers(*, actor: Actor, columns: Columns, rows: Iterable[Sequence[Any]]) -> int:
    """Set `columns` of the clients in `rows` (tuples: `id`, then `columns` in order) and write one
    field-change row per tracked field that changes, set-based; returns the clients updated.

    A personal field (`id_number`, `mobile`) comes with its blind index (`<field>_bidx`) and its new
    masked value (`<field>__masked`, see `masked`): the change is found by the blind index, the old
    value decrypted and masked only for those rows. `<field>__masked` columns are not written."""
    names = [c for c, _ in columns]
    staged = "customer_writes"
    if not stage(staged, [("id", "BIGINT"), *columns], rows):
        drop(staged)
        return 0
    table = q(Customer._meta.db_table)
    at, actor_id, actor_name = _who(actor)
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    plain = [c for c in names if c in TRACKED and c not in MASKED]
    with connection.cursor() as cursor:
        if plain:
            selects = " UNION ALL ".join(
                f"""SELECT c.id AS id, '{_field(c)}' AS f, coalesce(CAST(c.{q(c)} AS TEXT), '') AS o,
                    coalesce(CAST(s.{q(c)} AS TEXT), '') AS n
                FROM {table} c JOIN {q(staged)} s ON s.id = c.id WHERE c.{q(c)} {distinct} s.{q(c)}"""  # noqa: S608 - model column names from TRACKED, quoted
                for c in plain
            )
            cursor.execute(
                f"""INSERT INTO {q(FieldChange._meta.db_table)} ({", ".join(q(c) for c in CHANGE_COLUMNS)})
                SELECT %s, %s, %s, %s, CAST(x.id AS TEXT), x.id, x.f, x.o, x.n FROM ({selects}) AS x ORDER BY x.id, x.f""",  # noqa: S608 - the selects above; values bound
                [at, actor_id, actor_name, CUSTOMER],
            )
        for field in (f for f in names if f in MASKED):
            cursor.execute(
                f"""SELECT c.id, c.{q(field)}, s.{q(field + "__masked")} FROM {table} c JOIN {q(staged)} s ON s.id = c.id
                WHERE c.{q(field + "_bidx")} {distinct} s.{q(field + "_bidx")} ORDER BY c.id"""  # noqa: S608 - declared field names, quoted
            )
            changes = [
                (at, actor_id, actor_name, CUSTOMER, str(pk), pk, field, masked(field, decrypt(old)), new)
                for pk, old, new in cursor.fetchall()
            ]
            bulk_insert(FieldChange._meta.db_table, CHANGE_COLUMNS, changes)
        sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in names if not c.endswith("__masked"))
        cursor.execute(f"UPDATE {table} SET {sets} FROM {q(staged)} AS s WHERE {table}.id = s.id")  # noqa: S608 - quoted column names
        updated = cursor.rowcount
    positions.copy_from(staged, names)  # the position's copies of tier and scope columns, in step
    drop(staged)
    return updated


def set_month_positions(day: date, snapshots: str) -> int:
    """At a month end every client's position is replaced: AUM from the month's MADB in the
    `snapshots` table (`products.BalanceSnapshot`), tier and scope columns from the client master
    (`positions.rebuild`: a fresh table swapped in on PostgreSQL). The client master is not written:
    AUM is not a field of it (its history is the month's `BalanceSnapshot` rows)."""
    return positions.rebuild(day, snapshots)


# Contact points (intake) -----------------------------------------------------------------------


def add_contacts(*, actor: Actor, rows: Iterable[tuple[int, str, str, bool]]) -> int:
    """Insert contact points `(customer_id, kind, clear value, primary)`, at most one per client and
    kind, encrypted, with their field-change rows (kind and masked value) written set-based."""
    at, actor_id, actor_name = _who(actor)
    table = ContactPoint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {q(table)}")  # noqa: S608 - a model table name
        last = cursor.fetchone()[0]
    audit: list[tuple[int, str, str]] = []

    def contacts() -> Iterable[tuple[Any, ...]]:
        for customer_id, kind, value, primary in rows:
            audit.append((customer_id, kind, masked_contact(kind, value)))
            yield (customer_id, kind, "", encrypt(value), primary)

    added = bulk_insert(table, ["customer_id", "kind", "label", "value", "is_primary"], contacts())
    if not added:
        return 0
    staged = "contact_writes"
    stage(staged, [("customer_id", "BIGINT"), ("kind", "VARCHAR(10)"), ("masked", "TEXT")], audit)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {q(FieldChange._meta.db_table)} ({", ".join(q(c) for c in CHANGE_COLUMNS)})
            SELECT %s, %s, %s, %s, CAST(p.id AS TEXT), p.customer_id, f.field, '',
                CASE f.field WHEN 'kind' THEN p.kind ELSE s.masked END
            FROM {q(table)} p JOIN {q(staged)} s ON s.customer_id = p.customer_id AND s.kind = p.kind
            CROSS JOIN (SELECT 'kind' AS field UNION ALL SELECT 'value') f
            WHERE p.id > %s""",  # noqa: S608 - model table names, quoted; values bound
            [at, actor_id, actor_name, CONTACT, last],
        )
    drop(staged)
    return added


def remove_contacts(*, actor: Actor, rows: Sequence[tuple[int, int, str, str]]) -> int:
    """Delete contact points `(id, customer_id, kind, clear value)`, recording each masked value."""
    if not rows:
        return 0
    at, actor_id, actor_name = _who(actor)
    bulk_insert(
        FieldChange._meta.db_table,
        CHANGE_COLUMNS,
        ((at, actor_id, actor_name, CONTACT, str(pk), cid, "value", masked_contact(kind, value), "")
         for pk, cid, kind, value in rows),
    )  # fmt: skip
    return _by_ids(ContactPoint._meta.db_table, [r[0] for r in rows], "DELETE FROM {table} WHERE id IN")


def demote_contacts(*, actor: Actor, rows: Sequence[tuple[int, int]]) -> int:
    """Make contact points `(id, customer_id)` no longer primary, recording the change."""
    if not rows:
        return 0
    at, actor_id, actor_name = _who(actor)
    bulk_insert(
        FieldChange._meta.db_table,
        CHANGE_COLUMNS,
        (
            (at, actor_id, actor_name, CONTACT, str(pk), cid, "is_primary", "True", "False")
            for pk, cid in rows
        ),
    )
    return _by_ids(
        ContactPoint._meta.db_table,
        [r[0] for r in rows],
        "UPDATE {table} SET is_primary = %s WHERE id IN",
        [False],
    )


def _by_ids(table: str, ids: list[int], head: str, params: Sequence[Any] = ()) -> int:
    """One statement over the staged ids: `head` (with `{table}`) followed by the staged id list."""
    staged = "contact_ids"
    stage(staged, [("id", "BIGINT")], ((i,) for i in ids))
    with connection.cursor() as cursor:
        cursor.execute(f"{head.format(table=q(table))} (SELECT id FROM {q(staged)})", list(params))  # noqa: S608 - fixed statements of this module, quoted names
        done = cursor.rowcount
    drop(staged)
    return done

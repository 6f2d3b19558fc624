"""Contact points and tags from the customers extract into the CRM database (see `keyclient.intake.crm`).

RMs add contact points and tags in the CRM too, and nothing marks which rows came from core
banking. So core banking's values are followed by comparing each client's row with the previous
customers snapshot in the lake (the latest date before the load date):

- a value in today's extract that the client lacks in the CRM is added (contact points encrypted;
  a new mobile, email or address becomes the primary one of its kind);
- a value the previous snapshot carried and today's does not is removed from the CRM;
- everything else, what RMs entered included, is left alone.

Without a previous snapshot (the first load) nothing is removed. The lake keeps no contact value in
clear (ADR 0004): contact points are compared by blind index (`<column>_bidx`, computed at landing),
so only clients whose personal columns changed since the previous snapshot (all of them on a first
load) have their contact points read, decrypted and indexed; the rest are not touched.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from keyclient.audit.actors import Actor
from keyclient.core.bulk import bulk_insert
from keyclient.customers import writer
from keyclient.customers.models import ContactPoint, CustomerTag, Tag
from keyclient.intake.formats import EXTRACTS
from keyclient.intake.staging import apply, pull, rows, to_duckdb
from keyclient.intake.validate import lit
from keyclient.security.crypto import blind_index

PERSONAL = ("mobile", "phone2", "email", "address")
# (extract column, contact kind, primary, order)
CONTACTS = (("mobile", "mobile", True, 1), ("phone2", "phone", False, 2), ("email", "email", True, 3),
            ("address", "address", True, 4))  # fmt: skip
# The blind-index purpose of each contact kind: the one its extract column lands under.
_COLUMNS = {c.name: c for e in EXTRACTS if e.name == "customers" for c in e.columns}
PURPOSE = {kind: _COLUMNS[column].blind_purpose for column, kind, _p, _o in CONTACTS}
CHUNK = 2000


def previous_customers(con: duckdb.DuckDBPyConnection, lake: Path, load_date: date) -> bool:
    """`prev_customers`: the clients of today's extract as the latest earlier snapshot had them
    (tags and personal columns); False when the lake holds no earlier snapshot."""
    folders = sorted(
        p
        for p in (lake / "customers").glob("date=*")
        if p.name < f"date={load_date}" and any(p.glob("*.parquet"))
    )
    if not folders:
        return False
    con.execute(
        f"""CREATE OR REPLACE TABLE prev_customers AS SELECT p.customer_no, p.tags, {", ".join(f"p.{c}_bidx" for c in PERSONAL)}
        FROM read_parquet({lit(folders[-1] / "*.parquet")}, hive_partitioning = false) p
        SEMI JOIN ok_customers USING (customer_no)"""  # noqa: S608 - declared names and a lake path quoted by lit
    )
    return True


def _tag_pairs(source: str) -> str:
    return f"""SELECT DISTINCT customer_no, trim(t) AS tag FROM
        (SELECT customer_no, unnest(string_split(tags, ';')) AS t FROM {source} WHERE tags IS NOT NULL)
        WHERE trim(t) <> ''"""  # noqa: S608 - `source` is one of our DuckDB tables


def write_tags(con: duckdb.DuckDBPyConnection, *, previous: bool) -> dict[str, int]:
    """Add the extract's tags the clients lack; remove those core banking dropped since the previous snapshot."""
    con.execute(f"CREATE OR REPLACE TABLE want_tags AS {_tag_pairs('ok_customers')}")
    names = [r[0] for r in con.execute("SELECT DISTINCT tag FROM want_tags ORDER BY tag").fetchall()]
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True, batch_size=1000)
    pull(con, "crm_tags", [("id", "BIGINT"), ("name", "TEXT")], Tag._meta.db_table)
    table = CustomerTag._meta.db_table
    pull(
        con,
        "have_tags",
        [("id", "BIGINT"), ("customer_id", "BIGINT"), ("tag_id", "BIGINT")],
        table,
    )
    added = bulk_insert(
        table,
        ["customer_id", "tag_id"],
        rows(
            con,
            """SELECT c.id, t.id FROM want_tags w JOIN crm_ids c USING (customer_no) JOIN crm_tags t ON t.name = w.tag
            ANTI JOIN have_tags h ON h.customer_id = c.id AND h.tag_id = t.id ORDER BY 1, 2""",
        ),
    )
    removed = 0
    if previous:
        removed = apply(
            con,
            table=table,
            name="intake_tags",
            columns=[("id", "BIGINT")],
            sql=f"""SELECT h.id FROM ({_tag_pairs("prev_customers")}) p ANTI JOIN want_tags w USING (customer_no, tag)
                JOIN crm_ids c USING (customer_no) JOIN crm_tags t ON t.name = p.tag
                JOIN have_tags h ON h.customer_id = c.id AND h.tag_id = t.id ORDER BY 1""",  # noqa: S608 - our tables only
        )
    return {"tags_added": added, "tags_removed": removed}


def _today_contacts() -> str:
    """Today's contact values per client, in clear (to insert) and by blind index (to compare)."""
    return " UNION ALL ".join(
        f"""SELECT o.customer_no, '{kind}' AS kind, o.{column} AS value, k.bidx, {primary} AS is_primary, {order} AS o
        FROM ok_customers o JOIN bidx_{PURPOSE[kind]} k ON k.value = o.{column}"""  # noqa: S608 - declared names
        for column, kind, primary, order in CONTACTS
    )


def _previous_contacts() -> str:
    """The previous snapshot's contact values per client, by blind index."""
    return " UNION ALL ".join(
        f"SELECT customer_no, '{kind}' AS kind, {column}_bidx AS bidx FROM prev_customers WHERE {column}_bidx IS NOT NULL"  # noqa: S608 - declared names
        for column, kind, _primary, _order in CONTACTS
    )


def write_contacts(con: duckdb.DuckDBPyConnection, *, actor: Actor, previous: bool) -> dict[str, int]:
    """Add the extract's mobile, phone2, email and address where the client lacks them; remove the
    values core banking dropped since the previous snapshot; a new primary value demotes the old one.
    Values are compared by blind index (the lake keeps no other form). The writes, with their
    field-change rows (values masked), go through `keyclient.customers.writer`."""
    con.execute(
        f"""CREATE OR REPLACE TABLE today_keys AS SELECT o.customer_no, {", ".join(f"k_{c}.bidx AS {c}_bidx" for c in PERSONAL)}
        FROM ok_customers o {" ".join(f"LEFT JOIN bidx_{PURPOSE[kind]} k_{c} ON k_{c}.value = o.{c}" for c, kind, _p, _o in CONTACTS)}"""  # noqa: S608 - declared names
    )
    changed = (
        f"""SELECT o.customer_no FROM today_keys o LEFT JOIN prev_customers p USING (customer_no)
        WHERE p.customer_no IS NULL OR ({", ".join(f"o.{c}_bidx" for c in PERSONAL)})
            IS DISTINCT FROM ({", ".join(f"p.{c}_bidx" for c in PERSONAL)})"""  # noqa: S608 - declared names
        if previous
        else "SELECT customer_no FROM ok_customers"
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE changed_clients AS SELECT c.customer_no, c.id,
            c.customer_no IN (SELECT code FROM crm_customers) AS existed
        FROM ({changed}) x JOIN crm_ids c USING (customer_no)"""  # noqa: S608 - built above from declared names
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE want_contacts AS SELECT c.id AS customer_id, w.kind, w.value, w.bidx, w.is_primary, w.o
        FROM ({_today_contacts()}) w JOIN changed_clients c USING (customer_no)"""  # noqa: S608 - declared names
    )
    _have_contacts(con)
    removed = 0
    if previous:
        con.execute(
            f"""CREATE OR REPLACE TABLE dropped_contacts AS SELECT DISTINCT h.id
            FROM ({_previous_contacts()}) p JOIN changed_clients c USING (customer_no)
            JOIN have_contacts h ON h.customer_id = c.id AND h.kind = p.kind AND h.bidx = p.bidx
            ANTI JOIN want_contacts w ON w.customer_id = c.id AND w.kind = p.kind AND w.bidx = p.bidx"""  # noqa: S608 - declared names
        )
        removed = writer.remove_contacts(
            actor=actor,
            rows=con.execute(
                """SELECT h.id, h.customer_id, h.kind, h.value FROM have_contacts h
                SEMI JOIN dropped_contacts d USING (id) ORDER BY h.id"""
            ).fetchall(),
        )
        con.execute("DELETE FROM have_contacts WHERE id IN (SELECT id FROM dropped_contacts)")
    con.execute(
        """CREATE OR REPLACE TABLE new_contacts AS SELECT w.* FROM want_contacts w
        ANTI JOIN have_contacts h USING (customer_id, kind, bidx)"""
    )
    demoted = writer.demote_contacts(
        actor=actor,
        rows=con.execute(
            """SELECT h.id, h.customer_id FROM have_contacts h
            SEMI JOIN new_contacts n ON n.customer_id = h.customer_id AND n.kind = h.kind AND n.is_primary
            WHERE h.is_primary ORDER BY 1"""
        ).fetchall(),
    )
    added = writer.add_contacts(
        actor=actor,
        rows=rows(
            con, "SELECT customer_id, kind, value, is_primary FROM new_contacts ORDER BY customer_id, o"
        ),
    )
    return {"contacts_added": added, "contacts_removed": removed, "contacts_demoted": demoted}


def _have_contacts(con: duckdb.DuckDBPyConnection) -> None:
    """`have_contacts`: the CRM's contact points of the changed clients that existed before this
    load, decrypted and blind-indexed (new clients have none)."""
    ids = [r[0] for r in con.execute("SELECT id FROM changed_clients WHERE existed ORDER BY id").fetchall()]
    kinds = [kind for _, kind, _, _ in CONTACTS]

    def fetch():  # type: ignore[no-untyped-def]
        for start in range(0, len(ids), CHUNK):
            found = (
                ContactPoint.objects.filter(customer_id__in=ids[start : start + CHUNK], kind__in=kinds)
                .order_by()
                .values_list("id", "customer_id", "kind", "value", "is_primary")
            )
            yield from (
                (pk, cid, kind, value, blind_index(value, PURPOSE[kind]), int(primary))
                for pk, cid, kind, value, primary in found
            )

    to_duckdb(
        con,
        "have_contacts",
        [
            ("id", "BIGINT"),
            ("customer_id", "BIGINT"),
            ("kind", "TEXT"),
            ("value", "TEXT"),
            ("bidx", "TEXT"),
            ("is_primary", "BOOLEAN"),
        ],
        fetch(),
    )

"""The intake's writes into the CRM database: everything a set of core-banking extracts carries.

`write_crm` runs inside the load's transaction, after validation, so a failure writes nothing.
DuckDB holds the accepted rows (`ok_<extract>`) and a copy of the CRM rows each write compares
with; it works out, set-based, what to insert, update and delete. The CRM database receives the
rows in bulk (`core.bulk.bulk_insert`, COPY on PostgreSQL) and applies updates and deletes from a
staged temporary table, one statement each (`keyclient.intake.staging`). Python touches single
values only to encrypt them and to compute blind indexes.

| extract | CRM | rule |
|---|---|---|
| org_units, staff | `org.OrgUnit`, `org.User` | see `crm_org` (first: clients name them) |
| products | `products.Product` | upsert by code |
| customers | `customers.Customer` | insert new clients, update changed ones; the RM of new clients only |
| customers: mobile, phone2, email, address | `customers.ContactPoint` | see `crm_contacts` |
| customers: tags | `customers.Tag`, `CustomerTag` | see `crm_contacts` |
| accounts | `products.Account` | upsert by the account number's blind index |
| holdings | `products.Holding` | the latest date replaces the clients' holdings |
| links | `relationships.CustomerLink` | upsert by (from, to, type) |
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
from django.db import connection
from django.utils import timezone

from keyclient.audit.actors import Actor
from keyclient.core.bulk import bulk_insert
from keyclient.core.money import reporting_currency
from keyclient.customers import writer
from keyclient.customers.choices import Tier
from keyclient.customers.models import Customer
from keyclient.customers.pinyin import names_initials
from keyclient.customers.services import search_keys
from keyclient.intake import crm_accounts, crm_contacts, crm_org
from keyclient.intake.staging import apply, pull, rows
from keyclient.org.models import OrgUnit, User
from keyclient.products.models import Product
from keyclient.relationships.choices import LinkSource
from keyclient.relationships.models import CustomerLink
from keyclient.security.crypto import encrypt


def write_crm(
    con: duckdb.DuckDBPyConnection, *, actor: Actor, extracts: set[str], lake: Path, load_date: date
) -> dict[str, int]:
    """Write the accepted rows of `extracts` into the CRM database; returns counts of what changed.
    The client master and contact points are written through `keyclient.customers.writer` (with
    field-change rows under `actor`)."""
    counts = crm_org.write_hr(con, actor=actor, extracts=extracts)  # units and staff first: clients name them
    counts |= {"products_upserted": upsert_products(con), **upsert_customers(con, actor=actor)}
    pull(con, "crm_ids", [("customer_no", "TEXT"), ("id", "BIGINT")], Customer._meta.db_table)
    pull(con, "crm_product_ids", [("code", "TEXT"), ("id", "BIGINT")], Product._meta.db_table)
    if extracts & {"accounts", "holdings"}:
        crm_accounts.account_keys(con)
    if "accounts" in extracts:
        counts.update(crm_accounts.write_accounts(con))
    if "holdings" in extracts:
        counts.update(crm_accounts.write_holdings(con))
    if "links" in extracts:
        counts.update(write_links(con))
    previous = crm_contacts.previous_customers(con, lake, load_date)
    counts.update(crm_contacts.write_tags(con, previous=previous))
    counts.update(crm_contacts.write_contacts(con, actor=actor, previous=previous))
    return counts


def upsert_products(con: duckdb.DuckDBPyConnection) -> int:
    found = con.execute(  # a product without a currency is in the reporting currency
        "SELECT product_code, name, category, risk_rating, upper(coalesce(currency, ?)), term_days, "
        "coalesce(rate, 0), coalesce(fee_rate, 0) FROM ok_products ORDER BY product_code",
        [reporting_currency()],
    ).fetchall()
    objs = [
        Product(
            code=code, name=name, category=cat, risk_rating=risk, currency=cur, term_days=term,
            rate=Decimal(str(round(rate, 5))), fee_rate=Decimal(str(round(fee, 5))),
        )
        for code, name, cat, risk, cur, term, rate, fee in found
    ]  # fmt: skip
    Product.objects.bulk_create(
        objs,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "category", "risk_rating", "currency", "term_days", "rate", "fee_rate"],
    )
    return len(objs)


# The master columns an extract row sets; `id_number` and `mobile` are compared by blind index.
MASTER = [
    ("kind", "VARCHAR(12)"), ("name", "VARCHAR(120)"), ("gender", "VARCHAR(1)"), ("birth_date", "DATE"),
    ("industry", "VARCHAR(60)"), ("registration_no", "VARCHAR(30)"), ("id_type", "VARCHAR(20)"),
    ("id_number_bidx", "VARCHAR(32)"), ("id_last4_bidx", "VARCHAR(32)"), ("mobile_bidx", "VARCHAR(32)"),
    ("mobile_last4_bidx", "VARCHAR(32)"), ("province", "VARCHAR(20)"), ("city", "VARCHAR(20)"),
    ("home_org_unit_id", "BIGINT"), ("status", "VARCHAR(10)"), ("open_date", "DATE"),
    ("risk_tolerance", "VARCHAR(2)"), ("risk_assessed_on", "DATE"),
]  # fmt: skip
COMPARED = [c for c, _ in MASTER if c not in ("id_last4_bidx", "mobile_last4_bidx")]
# Written with a changed row: derived from the name, and the encrypted values themselves.
DERIVED = [("name_initials", "VARCHAR(60)"), ("id_number", "TEXT"), ("mobile", "TEXT")]


def upsert_customers(con: duckdb.DuckDBPyConnection, *, actor: Actor) -> dict[str, int]:
    """Insert new clients and update the master columns of those whose row changed.

    The extract's RM (`rm_staff_no`) is taken for new clients only: afterwards the CRM owns the
    assignment (coverage: reassignments, handovers) and a nightly load must not undo it. `tier`
    (and the position's AUM) belong to the pipeline and valuation. Unchanged clients are not written."""
    table = Customer._meta.db_table
    _customer_keys(con)
    pull(con, "crm_unit_ids", [("code", "TEXT"), ("id", "BIGINT")], OrgUnit._meta.db_table)
    pull(con, "crm_user_ids", [("username", "TEXT"), ("id", "BIGINT")], User._meta.db_table)
    con.execute(
        """CREATE OR REPLACE TABLE want_customers AS SELECT o.customer_no, o.kind, coalesce(o.name, '') AS name,
            coalesce(o.gender, '') AS gender, o.birth_date, coalesce(o.industry, '') AS industry,
            coalesce(o.registration_no, '') AS registration_no, coalesce(o.id_type, '') AS id_type, k.id_number_bidx, k.id_last4_bidx,
            k.mobile_bidx, k.mobile_last4_bidx, coalesce(o.province, '') AS province, coalesce(o.city, '') AS city,
            u.id AS home_org_unit_id, o.status, o.open_date, coalesce(o.risk_tolerance, '') AS risk_tolerance,
            o.risk_assessed_on, s.id AS primary_rm_id, coalesce(o.id_number, '') AS id_number, coalesce(o.mobile, '') AS mobile
        FROM ok_customers o JOIN customer_keys k USING (customer_no) JOIN crm_unit_ids u
            ON u.code = coalesce(o.home_org_code, (SELECT code FROM head_office_code))
        LEFT JOIN crm_user_ids s ON s.username = o.rm_staff_no"""
    )
    pull(con, "have_customers", [("id", "BIGINT"), ("customer_no", "TEXT"), *MASTER], table)
    master = ", ".join(c for c, _ in MASTER)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    new = _with_derived(
        con,
        f"""SELECT w.customer_no, {", ".join(f"w.{c}" for c, _ in MASTER)}, w.primary_rm_id, w.name, w.id_number,
            w.mobile FROM want_customers w ANTI JOIN have_customers h USING (customer_no) ORDER BY w.customer_no""",  # noqa: S608 - column names from MASTER
    )
    inserted = writer.insert_customers(
        actor=actor,
        columns=["customer_no", *master.split(", "), "primary_rm_id", *(c for c, _ in DERIVED), "tier",
         "created_at", "updated_at"],
        rows=((*row, Tier.MASS.value, now, now) for row in new),
    )  # fmt: skip
    changed = f"""SELECT h.id, {", ".join(f"w.{c}" for c, _ in MASTER)}, w.name, w.id_number, w.mobile
        FROM want_customers w JOIN have_customers h USING (customer_no)
        WHERE ({", ".join(f"w.{c}" for c in COMPARED)}) IS DISTINCT FROM ({", ".join(f"h.{c}" for c in COMPARED)})
        ORDER BY h.id"""  # noqa: S608 - column names from MASTER / COMPARED
    updated = writer.update_customers(
        actor=actor,
        columns=[
            *MASTER,
            *DERIVED,
            ("updated_at", Customer._meta.get_field("updated_at").db_type(connection)),
            ("id_number__masked", "TEXT"),
            ("mobile__masked", "TEXT"),
        ],
        rows=(
            (*row, now, writer.masked("id_number", id_number), writer.masked("mobile", mobile))
            for *row, id_number, mobile in _with_derived(con, changed, clear=True)
        ),
    )
    return {"customers_inserted": inserted, "customers_updated": updated}


def _customer_keys(con: duckdb.DuckDBPyConnection) -> None:
    """`customer_keys`: the blind indexes of each client's ID number and mobile (keyed hashes: per value)."""
    found = con.sql(
        "SELECT customer_no, coalesce(id_number, ''), coalesce(mobile, '') FROM ok_customers"
    ).fetchall()
    keys = [search_keys(name="", id_number=no_id, mobile=mobile) for _, no_id, mobile in found]
    names = ("id_number_bidx", "id_last4_bidx", "mobile_bidx", "mobile_last4_bidx")
    arrow = pa.table(
        {"customer_no": pa.array([r[0] for r in found], pa.string())}
        | {n: pa.array([k[n] for k in keys], pa.string()) for n in names}
    )
    con.register("customer_keys_arrow", arrow)
    con.execute("CREATE OR REPLACE TABLE customer_keys AS SELECT * FROM customer_keys_arrow")
    con.unregister("customer_keys_arrow")


def _with_derived(con: duckdb.DuckDBPyConnection, sql: str, *, clear: bool = False) -> Iterator[tuple]:
    """The rows of `sql` (ending in name, id number, mobile) with the name's pinyin initials and the
    two numbers encrypted in place of those three (`clear`: followed by the two numbers in clear)."""
    result = con.execute(sql)
    while batch := result.fetchmany(5000):
        initials = names_initials(row[-3] for row in batch)
        for row, name_key in zip(batch, initials, strict=True):
            derived = (*row[:-3], name_key, encrypt(row[-2]), encrypt(row[-1]))
            yield (*derived, row[-2], row[-1]) if clear else derived


LINK_COLUMNS = ["from_customer_id", "to_customer_id", "link_type", "role", "start_date", "source"]


def write_links(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Insert the links the CRM lacks; update role, start date and source of the others. Links
    missing from the extract are left alone (ending a link is a decision made in the CRM)."""
    table = CustomerLink._meta.db_table
    con.execute(
        """CREATE OR REPLACE TABLE want_links AS SELECT a.id AS from_customer_id, b.id AS to_customer_id, l.link_type,
            coalesce(l.role, '') AS role, l.start_date,
            CASE WHEN list_contains(?, l.source) THEN l.source ELSE ? END AS source
        FROM ok_links l JOIN crm_ids a ON a.customer_no = l.from_customer_no
        JOIN crm_ids b ON b.customer_no = l.to_customer_no""",
        [list(LinkSource.values), LinkSource.CORE_BANKING.value],
    )
    pull(
        con,
        "have_links",
        [("id", "BIGINT"), ("from_customer_id", "BIGINT"), ("to_customer_id", "BIGINT"), ("link_type", "TEXT"),
         ("role", "TEXT"), ("start_date", "DATE"), ("source", "TEXT")],
        table,
    )  # fmt: skip
    inserted = bulk_insert(
        table,
        LINK_COLUMNS,
        rows(
            con,
            """SELECT w.from_customer_id, w.to_customer_id, w.link_type, w.role, w.start_date, w.source
            FROM want_links w ANTI JOIN have_links h USING (from_customer_id, to_customer_id, link_type) ORDER BY ALL""",
        ),
    )
    updated = apply(
        con,
        table=table,
        name="intake_links",
        columns=[
            ("id", "BIGINT"),
            ("role", "VARCHAR(30)"),
            ("start_date", "DATE"),
            ("source", "VARCHAR(30)"),
        ],
        sql="""SELECT h.id, w.role, w.start_date, w.source FROM want_links w JOIN have_links h USING (from_customer_id, to_customer_id, link_type)
            WHERE (w.role, w.start_date, w.source) IS DISTINCT FROM (h.role, h.start_date, h.source) ORDER BY h.id""",
        update=["role", "start_date", "source"],
    )
    return {"links_inserted": inserted, "links_updated": updated}

"""Accounts and holdings into the CRM database (see `keyclient.intake.crm`).

An account number is stored encrypted and found again by its blind index (`account_bidx`), so the
blind index is the key an account is upserted on: computed once per distinct number of the load
(`account_keys`, from the keys the landing computed), then every comparison is a DuckDB join.
"""

from __future__ import annotations

import duckdb

from keyclient.core.bulk import bulk_insert
from keyclient.intake.staging import apply, delete_staged, drop, pull, rows, scalar, stage
from keyclient.products.models import Account, Holding
from keyclient.security.crypto import encrypt


def account_keys(con: duckdb.DuckDBPyConnection) -> None:
    """`account_keys(account_no, bidx)`: the blind index of every account number of the load, as
    landing computed it (`keyclient.intake.landing.blind_keys`, purpose `account_no`, which is
    `products.services.account_bidx`)."""
    con.execute(
        "CREATE OR REPLACE TABLE account_keys AS SELECT value AS account_no, bidx FROM bidx_account_no"
    )


def write_accounts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Insert new accounts (number encrypted), update client, product, open date and status of the
    others. Accounts missing from the extract are left as they are (closing one is a status)."""
    table = Account._meta.db_table
    con.execute(
        """CREATE OR REPLACE TABLE want_accounts AS SELECT k.bidx, a.account_no, c.id AS customer_id,
            p.id AS product_id, a.open_date, a.status = 'active' AS is_active
        FROM ok_accounts a JOIN account_keys k USING (account_no) JOIN crm_ids c USING (customer_no)
        JOIN crm_product_ids p ON p.code = a.product_code"""
    )
    pull(
        con,
        "have_accounts",
        [("id", "BIGINT"), ("account_bidx", "TEXT"), ("customer_id", "BIGINT"), ("product_id", "BIGINT"),
         ("open_date", "DATE"), ("is_active", "BOOLEAN")],
        table,
    )  # fmt: skip
    new = rows(
        con,
        """SELECT w.account_no, w.bidx, w.customer_id, w.product_id, w.open_date, w.is_active
        FROM want_accounts w ANTI JOIN have_accounts h ON h.account_bidx = w.bidx ORDER BY w.customer_id, w.bidx""",
    )
    inserted = bulk_insert(
        table,
        ["account_no", "account_bidx", "customer_id", "product_id", "open_date", "is_active"],
        ((encrypt(no), *rest) for no, *rest in new),
    )
    updated = apply(
        con,
        table=table,
        name="intake_accounts",
        columns=[("id", "BIGINT"), ("customer_id", "BIGINT"), ("product_id", "BIGINT"), ("open_date", "DATE"),
                 ("is_active", "BOOLEAN")],
        sql="""SELECT h.id, w.customer_id, w.product_id, w.open_date, w.is_active
            FROM want_accounts w JOIN have_accounts h ON h.account_bidx = w.bidx
            WHERE (w.customer_id, w.product_id, w.open_date, w.is_active)
                IS DISTINCT FROM (h.customer_id, h.product_id, h.open_date, h.is_active) ORDER BY h.id""",
        update=["customer_id", "product_id", "open_date", "is_active"],
    )  # fmt: skip
    return {"accounts_inserted": inserted, "accounts_updated": updated}


def write_holdings(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The CRM keeps the latest holdings snapshot. The load's latest date replaces the holdings of
    every client accepted today (a client without rows that day holds nothing); a snapshot older than
    the CRM's is left out. Clients rejected today keep theirs."""
    table = Holding._meta.db_table
    latest = scalar(con, "SELECT max(as_of) FROM ok_holdings")
    current = Holding.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    if latest is None or (current is not None and latest < current):
        return {"holdings_written": 0}
    stage(
        "intake_holding_clients",
        [("id", "BIGINT")],
        rows(
            con,
            """SELECT id FROM crm_ids WHERE customer_no IN (SELECT customer_no FROM ok_customers)
            UNION SELECT c.id FROM ok_holdings h JOIN crm_ids c USING (customer_no) WHERE h.as_of = ?
            ORDER BY 1""",
            [latest],
        ),
    )
    delete_staged(table, "intake_holding_clients", column="customer_id")
    drop("intake_holding_clients")
    # A holding's account number is stored encrypted like its account's: the account's ciphertext is
    # reused (found by the blind index) rather than encrypting millions of numbers again every day.
    pull(con, "account_ciphers", [("account_bidx", "TEXT"), ("account_no", "TEXT")], Account._meta.db_table)
    found = rows(
        con,
        """SELECT h.as_of, c.id, p.id, h.account_no, a.account_no, k.bidx, round(h.balance, 2)::DECIMAL(18, 2),
            h.maturity_date
        FROM ok_holdings h JOIN account_keys k USING (account_no) JOIN crm_ids c USING (customer_no)
        JOIN crm_product_ids p ON p.code = h.product_code LEFT JOIN account_ciphers a ON a.account_bidx = k.bidx
        WHERE h.as_of = ? ORDER BY c.id, k.bidx""",
        [latest],
    )
    written = bulk_insert(
        table,
        ["as_of", "customer_id", "product_id", "account_no", "account_bidx", "balance", "maturity_date"],
        (
            (day, cid, pid, cipher or encrypt(no), bidx, bal, mat)
            for day, cid, pid, no, cipher, bidx, bal, mat in found
        ),
    )
    con.execute("DROP TABLE account_ciphers")
    return {"holdings_written": written}

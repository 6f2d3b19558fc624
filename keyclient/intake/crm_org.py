"""The HR extract (`org_units`, `staff`): the org tree's last checks and its writes into the CRM.

Runs before the clients are written, in the load's transaction, so a client may name a unit or an
RM that lands today. Set-based: DuckDB compares the accepted rows with a copy of the CRM rows
(`have_units`, `have_staff`) and works out what to insert and update; the CRM database gets the
rows in bulk and one `UPDATE … FROM` per table. Nothing is ever deleted: a unit is closed and a
leaver deactivated through their `status`; units and staff missing from the file stay as they are.

Every field the extract sets gets one field-change row per unit or user it changes (new ones
included, from an empty old value), actor `job:intake`: a new login and its role are an access
decision the auditors review. A unit's parent and a user's unit are recorded by code.

| extract | CRM | fields the extract owns |
|---|---|---|
| org_units | `org.OrgUnit` | code, name, level, parent (and so the path), province, city, status |
| staff | `org.User` | username (= staff no), display name, role, grade, unit, active (from status) |
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from keyclient.audit.actors import Actor, actor_columns
from keyclient.audit.models import FieldChange
from keyclient.core.bulk import bulk_insert
from keyclient.customers.writer import CHANGE_COLUMNS
from keyclient.intake.staging import apply, pull, rows, scalar
from keyclient.org.choices import StaffStatus, UnitStatus
from keyclient.org.models import OrgUnit, User
from keyclient.org.services import head_office

UNIT_COLUMNS = [
    ("id", "BIGINT"), ("code", "TEXT"), ("name", "TEXT"), ("level", "TEXT"), ("parent_id", "BIGINT"),
    ("path", "TEXT"), ("province", "TEXT"), ("city", "TEXT"), ("status", "TEXT"),
]  # fmt: skip
UNIT_TRACKED = ("name", "level", "parent", "province", "city", "status")
STAFF_COLUMNS = [
    ("id", "BIGINT"), ("username", "TEXT"), ("display_name", "TEXT"), ("role", "TEXT"), ("grade", "TEXT"),
    ("org_unit_id", "BIGINT"), ("is_active", "BOOLEAN"),
]  # fmt: skip
STAFF_TRACKED = ("display_name", "role", "grade", "org_unit", "is_active")


# Validation --------------------------------------------------------------------------------------


def remember_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Before `org_units` is validated: the file and line of each code's first row (the row that is
    kept when a code repeats), so the tree check can name the line of a unit it rejects."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE org_unit_lines AS SELECT trim(CAST(org_code AS VARCHAR)) AS code,
            first(_file ORDER BY _file, _line) AS file, first(_line ORDER BY _file, _line) AS line
        FROM raw_org_units WHERE nullif(trim(CAST(org_code AS VARCHAR)), '') IS NOT NULL GROUP BY 1"""
    )


def check_tree(con: duckdb.DuckDBPyConnection) -> None:
    """After `org_units` is validated: every accepted unit must hang under a root (a unit without a
    parent), through accepted units of the file or units of the CRM. A unit under a rejected parent
    or in a cycle of parents is rejected too, and leaves `ok_org_units`."""
    pull(con, "have_units", UNIT_COLUMNS, OrgUnit._meta.db_table)
    _unit_tree(con, "checked_tree")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE unreached AS SELECT o.org_code, o.parent_code,
            o.parent_code IN (SELECT org_code FROM ok_org_units) AS in_cycle
        FROM ok_org_units o ANTI JOIN checked_tree t ON t.code = o.org_code"""
    )
    con.execute(
        """INSERT INTO rejects SELECT 'org_units', l.file, l.line, 'parent_code',
            CASE WHEN u.in_cycle THEN 'a cycle of parents through ' || u.parent_code
                 ELSE 'parent ' || u.parent_code || ' is rejected' END
        FROM unreached u JOIN org_unit_lines l ON l.code = u.org_code"""
    )
    con.execute("DELETE FROM ok_org_units WHERE org_code IN (SELECT org_code FROM unreached)")
    con.execute("DROP TABLE unreached")
    con.execute("DROP TABLE checked_tree")
    con.execute("DROP TABLE org_unit_lines")


def _unit_tree(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """`name`: the tree after this load — the file's accepted units over the CRM's (`have_units`) —
    with each unit's materialised path; units that hang under no root are left out."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS WITH RECURSIVE nodes AS (
            SELECT org_code AS code, name, level, parent_code AS parent, coalesce(province, '') AS province,
                coalesce(city, '') AS city, coalesce(status, ?) AS status, true AS in_file FROM ok_org_units
            UNION ALL
            SELECT u.code, u.name, u.level, p.code, u.province, u.city, u.status, false FROM have_units u
            LEFT JOIN have_units p ON p.id = u.parent_id
            WHERE u.code NOT IN (SELECT org_code FROM ok_org_units)
        ), paths(code, path) AS (
            SELECT code, '/' || code || '/' FROM nodes WHERE parent IS NULL
            UNION ALL SELECT n.code, p.path || n.code || '/' FROM nodes n JOIN paths p ON n.parent = p.code
        ) SELECT n.*, p.path FROM nodes n JOIN paths p USING (code)""",  # noqa: S608 - our table's name
        [UnitStatus.ACTIVE.value],
    )


# Writes ------------------------------------------------------------------------------------------


def write_hr(con: duckdb.DuckDBPyConnection, *, actor: Actor, extracts: set[str]) -> dict[str, int]:
    """Write the org units and staff of this load, then settle the head office: the DuckDB table
    `head_office_code` holds the code clients without `home_org_code` (and staff without `org_code`)
    belong to — the CRM's head office, created once when a row needs it and the bank has none."""
    counts: dict[str, int] = {}
    if "org_units" in extracts:
        counts.update(write_units(con, actor=actor))
    without = ["SELECT count(*) FROM ok_customers WHERE home_org_code IS NULL"]
    if "staff" in extracts:
        without.append("SELECT count(*) FROM ok_staff WHERE org_code IS NULL")
    needs = any(scalar(con, sql) for sql in without)
    code = head_office(actor=actor).code if needs else None
    con.execute("CREATE OR REPLACE TABLE head_office_code AS SELECT CAST(? AS VARCHAR) AS code", [code])
    if "staff" in extracts:
        counts.update(write_staff(con, actor=actor))
    return counts


def write_units(con: duckdb.DuckDBPyConnection, *, actor: Actor) -> dict[str, int]:
    """Insert the new units, then set name, level, parent, path, place and status where they differ
    (a moved unit's whole subtree gets its new path)."""
    table = OrgUnit._meta.db_table
    pull(con, "have_units", UNIT_COLUMNS, table)
    _unit_tree(con, "want_units")
    inserted = bulk_insert(
        table,
        ["code", "name", "level", "path", "province", "city", "status"],
        rows(
            con,
            """SELECT code, name, level, path, province, city, status FROM want_units
            ANTI JOIN have_units USING (code) ORDER BY path""",
        ),
    )
    pull(con, "now_units", UNIT_COLUMNS, table)
    updated = apply(
        con,
        table=table,
        name="intake_units",
        columns=[
            (c, "BIGINT" if c in ("id", "parent_id") else "TEXT") for c, _ in UNIT_COLUMNS if c != "code"
        ],
        sql="""SELECT h.id, w.name, w.level, p.id AS parent_id, w.path, w.province, w.city, w.status
            FROM want_units w JOIN now_units h USING (code) LEFT JOIN now_units p ON p.code = w.parent
            WHERE (w.name, w.level, p.id, w.path, w.province, w.city, w.status)
                IS DISTINCT FROM (h.name, h.level, h.parent_id, h.path, h.province, h.city, h.status)
            ORDER BY h.id""",
        update=["name", "level", "parent_id", "path", "province", "city", "status"],
    )
    changes = _record_changes(
        con,
        actor=actor,
        model=OrgUnit._meta.label,
        tracked=UNIT_TRACKED,
        sql="""SELECT n.id, w.name, w.level, w.parent, w.province, w.city, w.status,
                h.name, h.level, hp.code, h.province, h.city, h.status
            FROM want_units w JOIN now_units n USING (code)
            LEFT JOIN have_units h USING (code) LEFT JOIN have_units hp ON hp.id = h.parent_id
            WHERE w.in_file""",
    )
    return {"org_units_inserted": inserted, "org_units_updated": updated, "org_unit_changes": changes}


def write_staff(con: duckdb.DuckDBPyConnection, *, actor: Actor) -> dict[str, int]:
    """Insert new staff as users without a usable password (they sign in once an administrator sets
    one, or through the bank's sign-on), and update name, role, grade, unit and active where they
    differ. A leaver is deactivated: the row, their clients and their history stay."""
    table = User._meta.db_table
    pull(con, "have_staff", STAFF_COLUMNS, table)
    pull(con, "unit_codes", [("id", "BIGINT"), ("code", "TEXT")], OrgUnit._meta.db_table)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE want_staff AS SELECT s.staff_no AS username, s.name AS display_name,
            s.role, coalesce(s.grade, '') AS grade, u.id AS org_unit_id, u.code AS unit,
            coalesce(s.status, ?) = ? AS is_active
        FROM ok_staff s JOIN unit_codes u ON u.code = coalesce(s.org_code, (SELECT code FROM head_office_code))""",
        [StaffStatus.ACTIVE.value, StaffStatus.ACTIVE.value],
    )
    now = timezone.now()
    unusable = make_password(None)  # one unusable password for all: nobody signs in with it
    inserted = bulk_insert(
        table,
        ["username", "display_name", "role", "grade", "org_unit_id", "is_active", "password",
         "is_superuser", "is_staff", "first_name", "last_name", "email", "date_joined"],
        (
            (*row, unusable, False, False, "", "", "", now)
            for row in rows(
                con,
                """SELECT username, display_name, role, grade, org_unit_id, is_active FROM want_staff
                ANTI JOIN have_staff USING (username) ORDER BY username""",
            )
        ),
    )  # fmt: skip
    pull(con, "now_staff", STAFF_COLUMNS, table)
    updated = apply(
        con,
        table=table,
        name="intake_staff",
        columns=[(c, t) for c, t in STAFF_COLUMNS if c != "username"],
        sql="""SELECT h.id, w.display_name, w.role, w.grade, w.org_unit_id, w.is_active
            FROM want_staff w JOIN now_staff h USING (username)
            WHERE (w.display_name, w.role, w.grade, w.org_unit_id, w.is_active)
                IS DISTINCT FROM (h.display_name, h.role, h.grade, h.org_unit_id, h.is_active)
            ORDER BY h.id""",
        update=["display_name", "role", "grade", "org_unit_id", "is_active"],
    )
    changes = _record_changes(
        con,
        actor=actor,
        model=User._meta.label,
        tracked=STAFF_TRACKED,
        sql="""SELECT n.id, w.display_name, w.role, w.grade, w.unit, CAST(w.is_active AS VARCHAR),
                h.display_name, h.role, h.grade, hu.code, CAST(h.is_active AS VARCHAR)
            FROM want_staff w JOIN now_staff n USING (username)
            LEFT JOIN have_staff h USING (username) LEFT JOIN unit_codes hu ON hu.id = h.org_unit_id""",
    )
    return {"staff_inserted": inserted, "staff_updated": updated, "staff_changes": changes}


def _record_changes(
    con: duckdb.DuckDBPyConnection, *, actor: Actor, model: str, tracked: Sequence[str], sql: str
) -> int:
    """One field-change row per tracked field that differs. `sql` gives the record's id, then the
    new values of `tracked` in order, then the old ones (NULL for a new record)."""
    n = len(tracked)
    fields = ", ".join(
        f"{{'field': '{f}', 'new': coalesce(CAST(c{i + 1} AS VARCHAR), ''), 'old': coalesce(CAST(c{i + 1 + n} AS VARCHAR), '')}}"
        for i, f in enumerate(tracked)
    )
    names = ", ".join(f"c{i}" for i in range(2 * n + 1))
    found = f"""SELECT c0 AS id, x.field, x.old, x.new FROM (
            SELECT c0, unnest([{fields}]) AS x FROM ({sql}) AS q({names}))
        WHERE x.old <> x.new ORDER BY c0, x.field"""  # noqa: S608 - declared field names, the caller's query
    who = actor_columns(actor)
    at = timezone.now()

    def changes() -> Iterator[tuple[Any, ...]]:
        for pk, field, old, new in rows(con, found):
            yield (at, who["actor_id"], who["actor_name"], model, str(pk), None, field, old, new)

    return bulk_insert(FieldChange._meta.db_table, CHANGE_COLUMNS, changes())

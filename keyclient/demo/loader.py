"""Load a generated demo bank (see `keyclient.demo.generator`) into the CRM database.

DuckDB reads the extracts and does every join and aggregation; Python only streams the finished
rows into the database (`keyclient.core.bulk`). Everything happens in one transaction: a failure
leaves the database as it was. This is the demo's shortcut; production intake validates each row
and goes through the lake and the pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyotp
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from keyclient.audit.actors import Job
from keyclient.audit.services import record_event
from keyclient.core.bulk import bulk_insert, reset_sequence
from keyclient.customers.models import ContactPoint, Customer, CustomerTag, ServiceTeamMember, Tag
from keyclient.customers.services import search_keys
from keyclient.org.models import OrgUnit, Team, User
from keyclient.products.models import Account, BalanceSnapshot, Holding, Product, SignificantTransaction
from keyclient.products.services import account_bidx
from keyclient.relationships.models import CustomerLink
from keyclient.security.crypto import encrypt
from keyclient.security.models import TOTPDevice

Progress = Callable[[str], None]

# Tables the loader fills, children first so that clearing them respects foreign keys.
LOADED_MODELS = [
    SignificantTransaction,
    BalanceSnapshot,
    Holding,
    Account,
    Product,
    CustomerLink,
    ServiceTeamMember,
    CustomerTag,
    Tag,
    ContactPoint,
    Customer,
]

# Preliminary tiers until the tier policy (valuation) runs: monthly average AUM in CNY.
INDIVIDUAL_TIER_SQL = """CASE
    WHEN madb >= 10000000 THEN 'private_banking' WHEN madb >= 6000000 THEN 'diamond'
    WHEN madb >= 500000 THEN 'platinum' WHEN madb >= 50000 THEN 'gold' ELSE 'mass' END"""
CORPORATE_TIER_SQL = """CASE
    WHEN madb + loan >= 200000000 THEN 'strategic_head_office' WHEN madb + loan >= 50000000 THEN 'strategic_branch'
    WHEN madb + loan >= 10000000 THEN 'strategic_sub_branch' ELSE 'corporate_general' END"""


@dataclass
class LoadReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    logins: list[dict[str, str]] = field(default_factory=list)


class Extracts:
    """The generated files, readable by DuckDB whether Parquet or CSV."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ext = "parquet" if any(root.glob("customers.parquet")) else "csv"
        if not (root / f"customers.{self.ext}").exists():
            raise FileNotFoundError(
                f"{root} holds no customers.parquet or customers.csv: run `keyclient demo generate` first"
            )

    def __call__(self, name: str) -> str:
        single = self.root / f"{name}.{self.ext}"
        pattern = str(single) if single.exists() else str(self.root / name / "*" / f"*.{self.ext}")
        reader = "read_parquet" if self.ext == "parquet" else "read_csv_auto"
        extra = ", hive_partitioning = false" if not single.exists() else ""
        return f"{reader}('{pattern}'{extra})"


def load_demo_bank(
    root: Path,
    *,
    password: str,
    replace: bool = False,
    history: bool = True,
    progress: Progress | None = None,
) -> LoadReport:
    """Load the extracts under `root`; `replace` clears a previous load first."""
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    src = Extracts(root)
    con = duckdb.connect()
    report = LoadReport()
    with transaction.atomic():
        if Customer.objects.exists():
            if not replace:
                raise RuntimeError(
                    "The database already holds clients; pass --replace to load the demo bank again"
                )
            _clear()
        units = _load_org(con, src)
        staff = _load_staff(con, src, units, password)
        report.logins = demo_logins()
        _enrol_demo_logins(report.logins)
        say(f"org: {len(units)} units, {len(staff)} staff")
        con.register("unit_ids", pa.table({"org_code": list(units), "unit_id": list(units.values())}))
        con.register("staff_ids", pa.table({"staff_no": list(staff), "user_id": list(staff.values())}))
        products = _load_products(con, src)
        con.register(
            "product_ids", pa.table({"product_code": list(products), "product_id": list(products.values())})
        )
        report.counts["products"] = len(products)
        report.counts["customers"] = _load_customers(con, src)
        say(f"customers: {report.counts['customers']}")
        report.counts["contact_points"] = _load_contacts(con)
        report.counts["tags"] = _load_tags(con)
        report.counts["links"] = _load_links(con, src)
        report.counts["service_team"] = _load_service_team()
        if history:
            report.counts["accounts"] = _load_accounts(con, src)
            report.counts["holdings"] = _load_holdings(con, src)
            report.counts["balance_snapshots"] = _load_balances(con, src)
            report.counts["significant_transactions"] = _load_transactions(con, src)
            say(
                f"history: {report.counts['holdings']} holdings, {report.counts['balance_snapshots']} snapshots"
            )
        for model in (Customer, Product, Account, ContactPoint, Tag, CustomerLink):
            reset_sequence(model._meta.db_table)
    report.seconds = time.monotonic() - started
    return report


def _clear() -> None:
    from keyclient.audit.models import AccessEvent

    if AccessEvent.objects.exists():
        raise RuntimeError(
            "This demo bank has been used: its audit trail is append-only and is not erased by a reload. "
            "Start over with `make demo-reset` (deletes var/) instead."
        )
    for model in LOADED_MODELS:
        model.objects.all()._raw_delete(model.objects.db)  # set-based; the loader owns these tables
    User.objects.filter(is_superuser=False).delete()
    Team.objects.all().delete()
    for level in ("outlet", "sub_branch", "branch", "head_office"):  # children before parents
        OrgUnit.objects.filter(level=level).delete()


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """Stream the rows of a DuckDB query as tuples, in batches."""
    result = con.execute(sql)
    while batch := result.fetchmany(50_000):
        yield from batch


def _load_org(con: duckdb.DuckDBPyConnection, src: Extracts) -> dict[str, int]:
    rows = con.execute(
        f"SELECT org_code, name, level, parent_code, province, city FROM {src('org_units')} "
        "ORDER BY CASE level WHEN 'head_office' THEN 0 WHEN 'branch' THEN 1 WHEN 'sub_branch' THEN 2 ELSE 3 END, org_code"
    ).fetchall()
    ids: dict[str, int] = {}
    paths: dict[str, str] = {}
    for code, name, level, parent_code, province, city in rows:
        path = f"{paths[parent_code] if parent_code else '/'}{code}/"
        unit = OrgUnit.objects.create(
            code=code,
            name=name,
            level=level,
            parent_id=ids.get(parent_code),
            path=path,
            province=province or "",
            city=city or "",
        )
        ids[code], paths[code] = unit.pk, path
    return ids


def _load_staff(
    con: duckdb.DuckDBPyConnection, src: Extracts, units: dict[str, int], password: str
) -> dict[str, int]:
    rows = con.execute(
        f"SELECT staff_no, name, org_code, role, team_code FROM {src('staff')} ORDER BY staff_no"
    ).fetchall()
    teams: dict[str, Team] = {}
    for _no, _name, org_code, _role, team_code in rows:
        if team_code and team_code not in teams:
            teams[team_code] = Team(code=team_code, name=f"{team_code}", org_unit_id=units[org_code])
    Team.objects.bulk_create(teams.values())
    unit_names = dict(OrgUnit.objects.values_list("pk", "name"))
    for number, team in enumerate(teams.values(), start=1):
        team.name = f"{unit_names[team.org_unit_id]} · {number:02d}"
    Team.objects.bulk_update(teams.values(), ["name"])
    hashed = make_password(password)  # one hash shared by all demo staff: hashing thousands is slow
    users = [
        User(
            username=no,
            display_name=name,
            password=hashed,
            role=role,
            org_unit_id=units[org_code],
            team_id=teams[team_code].pk if team_code else None,
        )
        for no, name, org_code, role, team_code in rows
    ]
    User.objects.bulk_create(users, batch_size=2000)
    return dict(User.objects.filter(username__in=[r[0] for r in rows]).values_list("username", "pk"))


def _enrol_demo_logins(logins: list[dict[str, str]]) -> None:
    """Give the printed demo logins a confirmed authenticator, so the demo needs no phone:
    `keyclient demo code <staff no>` prints the current code (see `demo_code`)."""
    users = User.objects.filter(username__in=[login["username"] for login in logins])
    now = timezone.now()
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=user, secret=pyotp.random_base32(length=32), confirmed_at=now) for user in users
    )
    for user in users:
        record_event(
            actor=Job("demo.load"), verb="two_factor_enrolled", after={"user": user.username, "demo": True}
        )


def demo_code(username: str) -> str:
    """The current TOTP code of a demo login's authenticator."""
    device = TOTPDevice.objects.filter(user__username=username, confirmed_at__isnull=False).first()
    if device is None:
        raise LookupError(f"{username} has no demo authenticator: only the printed demo logins do")
    return pyotp.TOTP(device.secret).now()


def demo_logins() -> list[dict[str, str]]:
    """The first staff member of each role: the demo's printed logins."""
    logins = []
    for role in [
        "relationship_manager",
        "team_lead",
        "branch_head",
        "head_office",
        "risk_officer",
        "compliance",
        "administrator",
    ]:
        user = User.objects.filter(role=role).select_related("org_unit").order_by("username").first()
        if user:
            logins.append(
                {
                    "role": user.get_role_display(),
                    "username": user.username,
                    "name": user.display_name,
                    "unit": user.org_unit.name,
                }
            )
    return logins


def _load_products(con: duckdb.DuckDBPyConnection, src: Extracts) -> dict[str, int]:
    rows = con.execute(
        f"SELECT product_code, name, category, risk_rating, currency, term_days, rate, fee_rate FROM {src('products')} ORDER BY product_code"
    ).fetchall()
    Product.objects.bulk_create(
        Product(
            code=code,
            name=name,
            category=cat,
            risk_rating=risk,
            currency=cur,
            term_days=term,
            rate=round(rate, 5),
            fee_rate=round(fee, 5),
        )
        for code, name, cat, risk, cur, term, rate, fee in rows
    )
    return dict(Product.objects.values_list("code", "pk"))


def _load_customers(con: duckdb.DuckDBPyConnection, src: Extracts) -> int:
    from keyclient.customers.pinyin import names_initials

    as_of = con.execute(f"SELECT max(date) FROM {src('daily_balances')}").fetchone()[0]
    con.execute(
        f"""CREATE TABLE last_month AS SELECT customer_no, avg(deposit + investment) AS madb, arg_max(loan, date) AS loan
        FROM {src("daily_balances")} WHERE date >= date_trunc('month', DATE '{as_of}') GROUP BY customer_no"""
    )
    con.execute(
        f"""CREATE TABLE cust AS SELECT row_number() OVER (ORDER BY c.customer_no) AS id, c.*,
            coalesce(m.madb, 0) AS madb, coalesce(m.loan, 0) AS loan, u.unit_id, s.user_id
        FROM {src("customers")} c
        JOIN unit_ids u ON u.org_code = c.home_org_code
        LEFT JOIN staff_ids s ON s.staff_no = c.rm_staff_no
        LEFT JOIN last_month m ON m.customer_no = c.customer_no"""
    )
    rows = con.execute(
        f"""SELECT id, customer_no, kind, name, coalesce(gender, ''), birth_date, coalesce(industry, ''),
            coalesce(registration_no, ''), id_type, coalesce(province, ''), coalesce(city, ''), unit_id, user_id,
            status, open_date, coalesce(risk_tolerance, ''), risk_assessed_on,
            CASE WHEN kind = 'individual' THEN {INDIVIDUAL_TIER_SQL} ELSE {CORPORATE_TIER_SQL} END,
            round(madb, 2)::DECIMAL(18, 2), DATE '{as_of}', id_number, coalesce(mobile, '')
        FROM cust ORDER BY id"""
    )
    columns = [
        "id", "customer_no", "kind", "name", "gender", "birth_date", "industry", "registration_no", "id_type",
        "province", "city", "home_org_unit_id", "primary_rm_id", "status", "open_date", "risk_tolerance",
        "risk_assessed_on", "tier", "aum", "aum_as_of",
    ]  # fmt: skip
    derived = ["name_initials", "id_number_bidx", "id_last4_bidx", "mobile_bidx", "mobile_last4_bidx"]
    now = _now()

    def stream() -> Any:
        # Encryption and keyed hashes are per value by nature; everything else was set-based in DuckDB.
        while batch := rows.fetchmany(20_000):
            initials = names_initials(row[3] for row in batch)
            for row, name_key in zip(batch, initials, strict=True):
                id_number, mobile = row[-2], row[-1]
                keys = search_keys(name="", id_number=id_number, mobile=mobile)
                yield (
                    *row[:-2], name_key, keys["id_number_bidx"], keys["id_last4_bidx"], keys["mobile_bidx"],
                    keys["mobile_last4_bidx"], encrypt(id_number), encrypt(mobile), now, now,
                )  # fmt: skip

    return bulk_insert(
        Customer._meta.db_table,
        [*columns, *derived, "id_number", "mobile", "created_at", "updated_at"],
        stream(),
    )


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def _load_contacts(con: duckdb.DuckDBPyConnection) -> int:
    sql = """SELECT id, kind, label, value, is_primary FROM (
        SELECT id, 'mobile' AS kind, '' AS label, mobile AS value, true AS is_primary, 1 AS o FROM cust WHERE mobile IS NOT NULL
        UNION ALL SELECT id, 'phone', '', phone2, false, 2 FROM cust WHERE phone2 IS NOT NULL
        UNION ALL SELECT id, 'email', '', email, true, 3 FROM cust WHERE email IS NOT NULL
        UNION ALL SELECT id, 'address', '', address, true, 4 FROM cust WHERE address IS NOT NULL
    ) ORDER BY id, o"""
    rows = (
        (cid, kind, label, encrypt(value), primary) for cid, kind, label, value, primary in _rows(con, sql)
    )
    return bulk_insert(
        ContactPoint._meta.db_table, ["customer_id", "kind", "label", "value", "is_primary"], rows
    )


def _load_tags(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        """CREATE TABLE cust_tags AS SELECT DISTINCT id, trim(t) AS tag FROM
        (SELECT id, unnest(string_split(tags, ';')) AS t FROM cust WHERE tags IS NOT NULL AND tags <> '') WHERE trim(t) <> ''"""
    )
    names = [r[0] for r in con.execute("SELECT DISTINCT tag FROM cust_tags ORDER BY tag").fetchall()]
    Tag.objects.bulk_create(Tag(name=n) for n in names)
    tag_ids = dict(Tag.objects.values_list("name", "pk"))
    con.register("tag_ids", pa.table({"tag": list(tag_ids), "tag_id": list(tag_ids.values())}))
    sql = "SELECT c.id, t.tag_id FROM cust_tags c JOIN tag_ids t USING (tag) ORDER BY 1, 2"
    return bulk_insert(CustomerTag._meta.db_table, ["customer_id", "tag_id"], _rows(con, sql))


def _load_links(con: duckdb.DuckDBPyConnection, src: Extracts) -> int:
    sql = f"""SELECT DISTINCT ON (a.id, b.id, l.link_type) a.id, b.id, l.link_type, coalesce(l.role, ''), l.start_date, l.source
        FROM {src("links")} l JOIN cust a ON a.customer_no = l.from_customer_no
        JOIN cust b ON b.customer_no = l.to_customer_no WHERE a.id <> b.id ORDER BY 1, 2, 3"""
    return bulk_insert(
        CustomerLink._meta.db_table,
        ["from_customer_id", "to_customer_id", "link_type", "role", "start_date", "source"],
        _rows(con, sql),
    )


def _load_service_team() -> int:
    """Private-banking clients get their RM's team lead as senior sponsor (set-based, in the database)."""
    team = ServiceTeamMember._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {team} (customer_id, member_id, team_role, since)
            SELECT c.id, lead.id, 'senior_sponsor', c.aum_as_of
            FROM {Customer._meta.db_table} c
            JOIN {User._meta.db_table} rm ON rm.id = c.primary_rm_id
            JOIN {User._meta.db_table} lead ON lead.team_id = rm.team_id AND lead.role = 'team_lead'
            WHERE c.tier = 'private_banking' AND lead.id <> rm.id"""
        )
        return cursor.rowcount


def _load_accounts(con: duckdb.DuckDBPyConnection, src: Extracts) -> int:
    sql = f"""SELECT a.account_no, c.id, p.product_id, a.open_date, a.status = 'active'
        FROM {src("accounts")} a JOIN cust c USING (customer_no) JOIN product_ids p USING (product_code) ORDER BY 1"""
    return bulk_insert(
        Account._meta.db_table,
        ["account_no", "account_bidx", "customer_id", "product_id", "open_date", "is_active"],
        ((encrypt(no), account_bidx(no), *rest) for no, *rest in _rows(con, sql)),
    )


def _load_holdings(con: duckdb.DuckDBPyConnection, src: Extracts) -> int:
    sql = f"""SELECT h.as_of, c.id, p.product_id, h.account_no, round(h.balance, 2)::DECIMAL(18, 2), h.maturity_date
        FROM {src("holdings")} h JOIN cust c USING (customer_no) JOIN product_ids p USING (product_code)
        WHERE h.as_of = (SELECT max(as_of) FROM {src("holdings")}) ORDER BY 2, 4"""
    return bulk_insert(
        Holding._meta.db_table,
        ["as_of", "customer_id", "product_id", "account_no", "account_bidx", "balance", "maturity_date"],
        ((d, c, p, encrypt(no), account_bidx(no), bal, mat) for d, c, p, no, bal, mat in _rows(con, sql)),
    )


def _load_balances(con: duckdb.DuckDBPyConnection, src: Extracts) -> int:
    sql = f"""SELECT last_day(b.date) AS as_of, c.id,
            round(arg_max(b.deposit + b.investment, b.date), 2)::DECIMAL(18, 2),
            round(avg(b.deposit + b.investment), 2)::DECIMAL(18, 2),
            round(arg_max(b.deposit, b.date), 2)::DECIMAL(18, 2),
            round(arg_max(b.investment, b.date), 2)::DECIMAL(18, 2),
            round(arg_max(b.loan, b.date), 2)::DECIMAL(18, 2)
        FROM {src("daily_balances")} b JOIN cust c USING (customer_no) GROUP BY 1, 2 ORDER BY 2, 1"""
    return bulk_insert(
        BalanceSnapshot._meta.db_table,
        ["as_of", "customer_id", "aum", "aum_madb", "deposit", "investment", "loan"],
        _rows(con, sql),
    )


def _load_transactions(con: duckdb.DuckDBPyConnection, src: Extracts, threshold: float = 50_000.0) -> int:
    """Transactions worth attention over the last three months: large ones and transfers to other banks."""
    sql = f"""SELECT t.txn_id, t.date, c.id, round(t.amount, 2)::DECIMAL(18, 2), t.direction, t.txn_type,
            coalesce(t.channel, ''), coalesce(t.counterparty_bank_code, ''), coalesce(t.counterparty_bank_name, ''),
            coalesce(t.counterparty_name, '')
        FROM {src("transactions")} t JOIN cust c USING (customer_no)
        WHERE t.date > (SELECT max(date) FROM {src("transactions")}) - INTERVAL 92 DAY
          AND (t.amount >= {threshold} OR (t.txn_type = 'transfer_out' AND t.amount >= {threshold / 5}
               AND t.counterparty_bank_code IS NOT NULL AND t.counterparty_bank_code <> '999'))
        ORDER BY t.txn_id"""
    return bulk_insert(
        SignificantTransaction._meta.db_table,
        [
            "txn_id",
            "date",
            "customer_id",
            "amount",
            "direction",
            "txn_type",
            "channel",
            "counterparty_bank_code",
            "counterparty_bank_name",
            "counterparty_name",
        ],
        _rows(con, sql),
    )

"""The demo-bank generator at 20,000 clients: layout, identifiers, keys, org, books, wealth, names."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from keyclient.demo.generator.identity import MOBILE_PREFIXES, valid_luhn, valid_resident_id, valid_uscc

from .test_generator_bank import PARTITIONED, SCHEMAS, N, bank, db, one

__all__ = ["bank", "db"]  # fixtures


def test_layout_names_and_types(bank: tuple[Path, dict]) -> None:
    root, summary = bank
    for name, columns in SCHEMAS.items():
        if name in PARTITIONED:
            parts = sorted((root / name).glob("month=*/part-0.parquet"))
            assert [p.parent.name for p in parts][-1] == "month=2026-10"
            assert len(parts) == 12
            assert parts[0].parent.name == "month=2025-11"
            path = parts[0]
        else:
            path = root / f"{name}.parquet"
        schema = pq.read_schema(path)
        assert dict(zip(schema.names, schema.types, strict=True)) == columns, name
        rows = sum(pq.read_metadata(p).num_rows for p in ([path] if name not in PARTITIONED else parts))
        assert rows == summary["rows"][name]
    assert summary["rows"]["customers"] == N
    assert summary["progress_calls"][-1] == ("months", 12, 12)


def test_identifiers_are_valid(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute(
        "SELECT customer_no, kind, gender, birth_date, id_type, id_number, registration_no, mobile FROM customers"
    ).fetchall()
    assert len({r[0] for r in rows}) == N
    prefixes = {str(p) for p in MOBILE_PREFIXES}
    residents = 0
    for no, kind, gender, birth, id_type, number, reg, mobile in rows:
        assert re.fullmatch(r"1\d{9}", no)
        assert re.fullmatch(r"\d{11}", mobile) and mobile[:3] in prefixes
        if kind == "corporate":
            assert id_type == "uscc" and number == reg and valid_uscc(number)
            assert gender is None and birth is None
        elif id_type == "passport":
            assert re.fullmatch(r"E\d{8}", number)
        else:
            residents += 1
            assert id_type == "resident_id" and valid_resident_id(number), number
            assert number[6:14] == birth.strftime("%Y%m%d")
            assert (int(number[16]) % 2 == 1) == (gender == "M")
            assert reg is None
    assert residents > 0.9 * N
    assert one(db, "SELECT count(DISTINCT id_number) = count(*) FROM customers")[0]
    assert one(db, "SELECT count(DISTINCT mobile) = count(*) FROM customers")[0]
    accounts = [r[0] for r in db.execute("SELECT account_no FROM accounts").fetchall()]
    assert len(set(accounts)) == len(accounts)
    assert all(len(a) == 19 and a.isdigit() and valid_luhn(a) for a in accounts)


def test_foreign_keys_resolve(db: duckdb.DuckDBPyConnection) -> None:
    checks = {
        "customer home unit": """SELECT count(*) FROM customers c LEFT JOIN org_units o ON o.org_code = c.home_org_code
            WHERE o.org_code IS NULL OR o.level NOT IN ('sub_branch', 'outlet') OR o.province <> c.province""",
        "customer rm": """SELECT count(*) FROM customers c JOIN org_units h ON h.org_code = c.home_org_code
            LEFT JOIN staff s ON s.staff_no = c.rm_staff_no LEFT JOIN org_units u ON u.org_code = s.org_code
            WHERE c.rm_staff_no IS NOT NULL AND (s.role IS DISTINCT FROM 'relationship_manager'
            OR left(u.org_code, 2) <> left(h.org_code, 2))""",
        "account customer": "SELECT count(*) FROM accounts a LEFT JOIN customers c USING (customer_no) WHERE c.kind IS NULL",
        "account product": "SELECT count(*) FROM accounts a LEFT JOIN products p USING (product_code) WHERE p.name IS NULL",
        "account unit": "SELECT count(*) FROM accounts a LEFT JOIN org_units o ON o.org_code = a.org_code WHERE o.name IS NULL",
        "holding account": """SELECT count(*) FROM holdings h LEFT JOIN accounts a USING (account_no)
            WHERE a.customer_no IS DISTINCT FROM h.customer_no OR a.product_code IS DISTINCT FROM h.product_code""",
        "transaction account": """SELECT count(*) FROM transactions t LEFT JOIN accounts a USING (account_no)
            WHERE a.customer_no IS DISTINCT FROM t.customer_no""",
        "daily customer": "SELECT count(*) FROM (SELECT DISTINCT customer_no FROM daily_balances) d LEFT JOIN customers c USING (customer_no) WHERE c.kind IS NULL",
        "link ends": """SELECT count(*) FROM links l LEFT JOIN customers a ON a.customer_no = l.from_customer_no
            LEFT JOIN customers b ON b.customer_no = l.to_customer_no WHERE a.kind IS NULL OR b.kind IS NULL
            OR l.from_customer_no = l.to_customer_no""",
        "leaver": "SELECT count(*) FROM leavers g LEFT JOIN customers c USING (customer_no) WHERE c.kind IS DISTINCT FROM 'individual'",
        "staff unit": "SELECT count(*) FROM staff s LEFT JOIN org_units o USING (org_code) WHERE o.name IS NULL",
        "unit parent": """SELECT count(*) FROM org_units o LEFT JOIN org_units p ON p.org_code = o.parent_code
            WHERE o.parent_code IS NOT NULL AND p.name IS NULL""",
    }  # fmt: skip
    for name, sql in checks.items():
        assert one(db, sql)[0] == 0, name
    assert (
        one(
            db,
            "SELECT count(*) FROM (SELECT from_customer_no, to_customer_no, link_type FROM links GROUP BY ALL HAVING count(*) > 1)",
        )[0]
        == 0
    )


def test_org_tree_and_demo_logins(db: duckdb.DuckDBPyConnection) -> None:
    levels = dict(db.execute("SELECT level, count(*) FROM org_units GROUP BY 1").fetchall())
    assert levels["head_office"] == 1 and levels["branch"] == 8
    assert one(db, "SELECT name, parent_code FROM org_units WHERE org_code = '000000'") == ("总行", None)
    per_branch = [
        r[0]
        for r in db.execute(
            "SELECT count(*) FROM org_units WHERE level = 'sub_branch' GROUP BY parent_code"
        ).fetchall()
    ]
    assert all(2 <= k <= 4 for k in per_branch)
    per_sub = [
        r[0]
        for r in db.execute(
            "SELECT count(*) FROM org_units WHERE level = 'outlet' GROUP BY parent_code"
        ).fetchall()
    ]
    assert len(per_sub) == levels["sub_branch"] and all(1 <= k <= 2 for k in per_sub)
    names = [r[0] for r in db.execute("SELECT name FROM org_units").fetchall()]
    assert {"北京分行", "北京海淀支行", "北京海淀中关村网点"} <= set(names)
    first = {
        role: (no, org, team)
        for role, no, org, team in db.execute(
            "SELECT role, arg_min(staff_no, staff_no), arg_min(org_code, staff_no), arg_min(team_code, staff_no) FROM staff GROUP BY 1"
        ).fetchall()
    }
    assert set(first) == {
        "relationship_manager",
        "team_lead",
        "branch_head",
        "head_office",
        "risk_officer",
        "compliance",
        "administrator",
    }
    rm_no, rm_org, rm_team = first["relationship_manager"]
    first_sub = one(db, "SELECT min(org_code) FROM org_units WHERE level = 'sub_branch'")[0]
    assert rm_org == first_sub and rm_team == one(db, "SELECT min(team_code) FROM staff")[0]
    assert first["team_lead"][1:] == (rm_org, rm_team)
    assert (
        first["branch_head"][1]
        == one(db, f"SELECT parent_code FROM org_units WHERE org_code = '{rm_org}'")[0]
    )
    book = one(
        db,
        f"SELECT count(*), max(m.aum) FROM customers c JOIN madb m USING (customer_no) WHERE rm_staff_no = '{rm_no}'",
    )
    assert book[0] >= 100 and book[1] >= 1e6


def test_rm_books_and_coverage(db: duckdb.DuckDBPyConnection) -> None:
    lo, median, hi = one(
        db,
        "SELECT min(n), median(n), max(n) FROM (SELECT count(*) n FROM customers WHERE rm_staff_no IS NOT NULL GROUP BY rm_staff_no)",
    )
    assert 150 <= median <= 400 and lo >= 100 and hi <= 600
    rms = one(db, "SELECT count(*) FROM staff WHERE role = 'relationship_manager'")[0]
    assert one(db, "SELECT count(DISTINCT rm_staff_no) FROM customers")[0] == rms
    covered = one(
        db,
        "SELECT avg((rm_staff_no IS NOT NULL)::INT) FROM customers JOIN madb USING (customer_no) WHERE aum >= 50000",
    )[0]
    assert covered >= 0.95
    assert (
        one(
            db,
            "SELECT avg((rm_staff_no IS NOT NULL)::INT) FROM customers JOIN madb USING (customer_no) WHERE aum < 10000",
        )[0]
        < 0.5
    )


def test_wealth_is_heavy_tailed(db: duckdb.DuckDBPyConnection, bank: tuple[Path, dict]) -> None:
    _, summary = bank
    ind = "FROM madb JOIN customers USING (customer_no) WHERE kind = 'individual'"
    private, diamond, platinum, gold = one(
        db,
        f"SELECT count_if(aum >= 1e7), count_if(aum >= 6e6), count_if(aum >= 5e5), count_if(aum >= 5e4) {ind}",
    )
    assert 150 <= private <= 600
    assert gold > 2 * platinum > 4 * diamond and diamond > private
    assert summary["private_banking"] == private
    share = one(
        db,
        f"SELECT sum(aum) FILTER (WHERE r <= 0.2) / sum(aum) FROM (SELECT aum, percent_rank() OVER (ORDER BY aum DESC) r {ind})",
    )[0]
    assert 0.75 <= share <= 0.90
    assert abs(share - summary["pareto_top20_share"]) < 0.01
    rows = db.execute(
        """SELECT kind, avg(deposit), avg(loan) FROM daily_balances JOIN customers USING (customer_no)
        WHERE date = DATE '2026-10-31' GROUP BY 1"""
    ).fetchall()
    dep = {kind: (deposit, loan) for kind, deposit, loan in rows}
    assert dep["corporate"][0] > 5 * dep["individual"][0] and dep["corporate"][1] > 5 * dep["individual"][1]


def test_names_households_and_tags(db: duckdb.DuckDBPyConnection) -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]{2,4}")
    people = [r[0] for r in db.execute("SELECT name FROM customers WHERE kind = 'individual'").fetchall()]
    assert all(cjk.fullmatch(n) for n in people)
    firms = [r[0] for r in db.execute("SELECT name FROM customers WHERE kind = 'corporate'").fetchall()]
    assert all(n.endswith("公司") for n in firms) and len(set(firms)) == len(firms)
    assert (
        one(
            db,
            "SELECT count(*) FROM customers WHERE kind = 'corporate' AND NOT regexp_matches(industry, '^[A-T] ')",
        )[0]
        == 0
    )
    same = one(
        db,
        """SELECT avg((a.address = b.address)::INT), avg((left(a.name, 1) = left(b.name, 1))::INT) FILTER (WHERE l.role = 'child')
        FROM links l JOIN customers a ON a.customer_no = l.from_customer_no JOIN customers b ON b.customer_no = l.to_customer_no
        WHERE l.link_type = 'household'""",
    )
    assert same == (1.0, 1.0)
    kinds = dict(db.execute("SELECT link_type, count(*) FROM links GROUP BY 1").fetchall())
    assert set(kinds) == {
        "household",
        "group_member",
        "executive",
        "shareholder",
        "payroll",
        "supplier",
        "referral",
    }
    tags = {t for r in db.execute("SELECT tags FROM customers").fetchall() for t in r[0].split(";") if t}
    assert {"企业主", "高管", "代发客户", "房贷客户", "教育需求", "跨境需求", "上市公司高管"} <= tags
    stale = one(
        db,
        "SELECT avg((risk_assessed_on < DATE '2025-10-31')::INT) FROM customers WHERE risk_tolerance IS NOT NULL",
    )[0]
    assert 0.15 <= stale <= 0.45

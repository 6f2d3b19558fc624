"""Benchmark: the client list (/clients/) at 1,000,000 clients in PostgreSQL, over real HTTP.

Acceptance point: a filtered page and a search answer in under 150 ms p95.

1. Starts a throwaway PostgreSQL 15 (temp data dir, free port; `--keep DIR` keeps a filled one for
   reruns), migrates, and fills it through the real path: `keyclient demo generate`, `demo org`,
   `intake load --history` (the last month's balances and transactions) and `pipeline run` for the
   last date (`--fill sql` fills the same tables with generate_series instead, for when the
   generator is unavailable). VACUUM ANALYZE after the fill.
2. Starts `keyclient runserver --noreload` (DEBUG off) against it; each persona (head office, the
   largest branch's head, the largest team's lead, the RM with the largest book) logs in over HTTP:
   CSRF token from the form, POST /login/, then the TOTP step the role requires.
3. Per persona and scenario (filters, searches, paging), the full page and the htmx fragment:
   warm-ups, then timed GETs over one keep-alive connection; p50/p95/max, and CPU ms per request of
   the app server and of PostgreSQL. Then, in-process, the SQL each scenario runs (captured queries)
   and EXPLAIN (ANALYZE, BUFFERS) of the slowest scenario and of every scenario at p95 >= 150 ms.
4. Prints a table and writes JSON (bench/results/client_list.json by default).

    .venv/bin/python bench/client_list.py                       # 1,000,000 clients, throwaway
    .venv/bin/python bench/client_list.py --keep /tmp/kc-1m     # keep the filled DB for reruns
    .venv/bin/python bench/client_list.py --keep /tmp/kc-1m --apply-sql idx.sql --json out.json

See bench/README.md. Traffic goes to 127.0.0.1 only. PostgreSQL and the app server are stopped at
the end, even on error.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    RESULTS,
    ROOT,
    AppServer,
    ThrowawayPostgres,
    app_env,
    cpu_delta,
    cpu_seconds,
    keyclient,
    machine,
    say,
    summary,
    tree_cpu_snapshot,
    write_json,
)

TARGET_P95_MS = 150.0
DEMO_PASSWORD = os.environ.get("KEYCLIENT_DEMO_PASSWORD", "Keyclient-Demo-2026")
FILL_MARKER = "fill.json"
TOTP_TABLE = "security_totpdevice"


# ------------------------------------------------------------------------------------------------
# Filling the database
# ------------------------------------------------------------------------------------------------
def generator_available() -> str | None:
    """None when `keyclient.demo.generator.generate` imports; else why not."""
    if not (ROOT / "keyclient" / "demo" / "generator" / "__init__.py").exists():
        return "keyclient/demo/generator/__init__.py does not exist"
    import subprocess

    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", "from keyclient.demo.generator import generate"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return None if done.returncode == 0 else done.stderr.strip().splitlines()[-1]


def fill_with_generator(
    env: dict[str, str], con: Any, customers: int, seed: int, extracts: Path, reuse_extracts: bool
) -> dict[str, Any]:
    """The real path, the way `make demo` loads a bank: `keyclient demo generate`, `demo org`, then
    `intake load --history` and `pipeline run` for the last date. The list needs the client master
    and one month end (AUM, tier), so a mapping file gives the intake only the last month's daily
    balances and transactions: a year of them at 1,000,000 clients would cost an hour here."""
    info: dict[str, Any] = {"method": "generator", "extracts": str(extracts)}
    if reuse_extracts and (any(extracts.glob("customers.*")) or (extracts / "customers").is_dir()):
        say(f"fill: reusing extracts in {extracts}")
        info["generate_s"] = 0.0
    else:
        say(f"fill: keyclient demo generate --customers {customers} --seed {seed} --out {extracts}")
        started = time.perf_counter()
        out = keyclient(
            ["demo", "generate", "--customers", str(customers), "--seed", str(seed), "--out", str(extracts)],
            env,
        )
        info["generate_s"] = round(time.perf_counter() - started, 1)
        info["generate_output"] = out.strip().splitlines()[-15:]
    month = sorted(p.name for p in (extracts / "daily_balances").glob("month=*"))[-1]
    as_of = duckdb.sql(
        f"SELECT max(date) FROM read_parquet('{extracts / 'daily_balances' / month / '*.parquet'}')"
    ).fetchall()[0][0]
    mapping = Path(env["KEYCLIENT_VAR_DIR"]) / "last-month.toml"
    mapping.parent.mkdir(parents=True, exist_ok=True)
    mapping.write_text(
        f'[files]\ndaily_balances = "daily_balances/{month}/*.parquet"\n'
        f'transactions = "transactions/{month}/*.parquet"\n',
        encoding="utf-8",
    )
    steps = {
        "org_s": ["demo", "org", str(extracts)],
        "intake_s": [
            "intake",
            "load",
            str(extracts),
            "--date",
            str(as_of),
            "--history",
            "--mapping",
            str(mapping),
        ],
        "pipeline_s": ["pipeline", "run", "--date", str(as_of)],
    }
    info["load_output"] = []
    for name, args in steps.items():
        say(f"fill: keyclient {' '.join(args)}")
        started = time.perf_counter()
        out = keyclient(args, env)
        info[name] = round(time.perf_counter() - started, 1)
        info["load_output"] += out.strip().splitlines()[-12:]
    info["load_s"] = round(sum(info[name] for name in steps), 1)
    # `demo org` gives the printed demo logins an authenticator whose key only the database knows;
    # the personas log in as any staff member does, enrolling on their first login.
    con.execute(f"DELETE FROM {TOTP_TABLE}")
    return info


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩芳娜敏静丽艳秀英霞燕玲桂丹萍红娟婷雪慧琳颖子一晓思雅文安家嘉小新"
)
BRANDS = "华瑞恒通鑫达盛源泰德嘉宏远兴隆安信诚金天海新光明科创博聚汇丰益佳合中联正祥润永和顺昌荣锦"
INDUSTRY_WORDS = (
    "精密机械",
    "电子科技",
    "新材料",
    "生物医药",
    "国际贸易",
    "商贸",
    "建设工程",
    "房地产开发",
    "信息技术",
    "物流",
)


def fill_with_sql(con: Any, customers: int, seed: int, password_hash: str) -> dict[str, Any]:
    """A stand-in fill with generate_series into the same tables (development only).

    Personal fields are left empty and the blind indexes are plain md5 stand-ins (the app's keyed
    HMAC is not reproduced here), so a last-four search finds nothing in this fill.

    31 branches × 12 sub-branches × 2 outlets, RMs at ~250 covered clients each, surnames by real
    frequency (王 7 %, 李 7 %, 张 7 % …), log-normal AUM with the loader's tier thresholds.
    """
    from keyclient.customers.pinyin import char_initial

    started = time.perf_counter()
    rng_seed = (seed % 1000) / 1000.0
    units: list[tuple[Any, ...]] = [
        (1, "000000", "总行", "head_office", None, "/000000/", "北京市", "北京市")
    ]
    sites: list[dict[str, Any]] = []
    uid = 1
    weights = []
    for b in range(1, 32):
        uid += 1
        bcode, bid = f"{b:02d}0000", uid
        units.append((bid, bcode, f"第{b}分行", "branch", 1, f"/000000/{bcode}/", "省", "市"))
        for s in range(1, 13):
            uid += 1
            scode, sid = f"{b:02d}{s:02d}00", uid
            units.append(
                (sid, scode, f"第{b}分行{s}支行", "sub_branch", bid, f"/000000/{bcode}/{scode}/", "省", "市")
            )
            outlets = []
            for o in (1, 2):
                uid += 1
                ocode = f"{b:02d}{s:02d}{o:02d}"
                units.append(
                    (
                        uid,
                        ocode,
                        f"{scode}网点{o}",
                        "outlet",
                        sid,
                        f"/000000/{bcode}/{scode}/{ocode}/",
                        "省",
                        "市",
                    )
                )
                outlets.append(uid)
            sites.append({"branch": bid, "sub": sid, "outlets": outlets})
            weights.append(1 / b**0.6 / s**0.5)
    total_w = sum(weights)
    covered = customers * 0.35
    staff: list[tuple[Any, ...]] = []
    teams: list[tuple[Any, ...]] = []

    def person(role: str, unit: int, team: int | None) -> int:
        staff.append((len(staff) + 1, f"E{len(staff) + 1:05d}", f"员工{len(staff) + 1}", role, unit, team))
        return len(staff)

    for role, count in (("head_office", 3), ("risk_officer", 2), ("compliance", 2), ("administrator", 2)):
        for _ in range(count):
            person(role, 1, None)
    branch_done: set[int] = set()
    lo = 0.0
    for site, w in zip(sites, weights, strict=True):
        if site["branch"] not in branch_done:
            branch_done.add(site["branch"])
            person("branch_head", site["branch"], None)
        share = w / total_w
        site["lo"], lo = lo, lo + share
        rms = max(2, round(covered * share / 250))
        n_teams = 1 if rms < 8 else 2
        site["rm_first"], site["rm_count"] = 0, rms
        for t in range(n_teams):
            team_id = len(teams) + 1
            teams.append((team_id, f"T{team_id:04d}", f"团队{team_id}", site["sub"]))
            person("team_lead", site["sub"], team_id)
            for _ in range(rms // n_teams + (t < rms % n_teams)):
                rm = person("relationship_manager", site["sub"], team_id)
                site["rm_first"] = site["rm_first"] or rm
    with con.transaction():
        cur = con.cursor()
        cur.execute("SELECT setseed(%s)", [rng_seed])
        with cur.copy(
            "COPY org_orgunit (id, code, name, level, parent_id, path, province, city) FROM STDIN"
        ) as cp:
            for row in units:
                cp.write_row(row)
        with cur.copy("COPY org_team (id, code, name, org_unit_id) FROM STDIN") as cp:
            for row in teams:
                cp.write_row(row)
        with cur.copy(
            "COPY org_user (id, username, display_name, role, org_unit_id, team_id, password, is_superuser, "
            "first_name, last_name, email, is_staff, is_active, date_joined) FROM STDIN"
        ) as cp:
            for sid, no, name, role, unit, team in staff:
                cp.write_row(
                    (
                        sid,
                        no,
                        name,
                        role,
                        unit,
                        team,
                        password_hash,
                        False,
                        "",
                        "",
                        "",
                        False,
                        True,
                        "2026-01-01",
                    )
                )
        cur.execute(
            "CREATE TEMP TABLE bench_site (lo float8, sub int, out1 int, out2 int, rm_first int, rm_count int)"
        )
        with cur.copy("COPY bench_site FROM STDIN") as cp:
            for s in sites:
                cp.write_row(
                    (s["lo"], s["sub"], s["outlets"][0], s["outlets"][1], s["rm_first"], s["rm_count"])
                )
        cur.execute("CREATE INDEX ON bench_site (lo)")
        sur_ini = "".join(char_initial(c) for c in SURNAMES)
        giv_ini = "".join(char_initial(c) for c in GIVEN)
        brand_ini = "".join(char_initial(c) for c in BRANDS)
        ind_ini = ["".join(char_initial(c) for c in w) for w in INDUSTRY_WORDS]
        # surname frequencies: roughly Zipf with 王/李/张 near 7 %
        cur.execute(
            """CREATE TEMP TABLE raw AS SELECT i, random() r_site, random() r_cov, random() r_rm, random() r_unit,
                greatest(random(), 1e-12) u1, random() u2, random() r_kind, power(random(), 1.9) r_sur,
                random() r_g1, random() r_g2, random() r_g2n, random() r_stat, random() r_b1, random() r_b2,
                random() r_ind, floor(random() * 1e4)::int AS m4, floor(random() * 1e4)::int AS d4,
                floor(random() * 1e6)::int AS m6, floor(random() * 1e8)::bigint AS d8
            FROM generate_series(1, %s) i""",
            [customers],
        )
        # The AUM goes to the client's position (ADR 0006): a scratch column of the fill, dropped below.
        cur.execute("ALTER TABLE customers_customer ADD COLUMN bench_aum numeric(18, 2)")
        cur.execute(
            """
            INSERT INTO customers_customer (id, customer_no, kind, name, name_initials, gender, birth_date, industry,
                registration_no, id_type, id_number, id_number_bidx, id_last4_bidx, mobile, mobile_bidx,
                mobile_last4_bidx, province, city,
                home_org_unit_id, primary_rm_id, status, open_date, risk_tolerance, risk_assessed_on, tier, bench_aum,
                created_at, updated_at)
            SELECT i, '6' || lpad(i::text, 11, '0'), kind, name, initials, '', NULL, '', '', 'resident_id',
                '', md5(id_number), md5('4' || right(id_number, 4)), '', md5(mobile), md5('4' || right(mobile, 4)),
                '省', '市',
                CASE WHEN covered THEN s.sub WHEN r_unit < 0.4 THEN s.out1 WHEN r_unit < 0.8 THEN s.out2 ELSE s.sub END,
                CASE WHEN covered THEN s.rm_first + floor(r_rm * s.rm_count)::int END,
                CASE WHEN r_stat < 0.9 THEN 'active' WHEN r_stat < 0.97 THEN 'dormant' ELSE 'closed' END,
                DATE '2010-01-01' + (i %% 5000), 'C3', NULL,
                CASE WHEN kind = 'individual' THEN
                    CASE WHEN aum >= 10000000 THEN 'private_banking' WHEN aum >= 6000000 THEN 'diamond'
                    WHEN aum >= 500000 THEN 'platinum' WHEN aum >= 50000 THEN 'gold' ELSE 'mass' END
                ELSE CASE WHEN aum >= 200000000 THEN 'strategic_head_office' WHEN aum >= 50000000 THEN 'strategic_branch'
                    WHEN aum >= 10000000 THEN 'strategic_sub_branch' ELSE 'corporate_general' END END,
                aum, now(), now()
            FROM (
                SELECT r.*, CASE WHEN r_kind < 0.05 THEN 'corporate' ELSE 'individual' END AS kind,
                    CASE WHEN r_kind < 0.05 THEN
                        substr(%(brands)s, 1 + floor(r_b1 * %(nb)s)::int, 1) || substr(%(brands)s, 1 + floor(r_b2 * %(nb)s)::int, 1)
                        || (%(ind)s::text[])[1 + floor(r_ind * %(nind)s)::int] || '有限公司'
                    ELSE substr(%(sur)s, 1 + floor(r_sur * %(nsur)s)::int, 1) || substr(%(giv)s, 1 + floor(r_g1 * %(ngiv)s)::int, 1)
                        || CASE WHEN r_g2n < 0.7 THEN substr(%(giv)s, 1 + floor(r_g2 * %(ngiv)s)::int, 1) ELSE '' END
                    END AS name,
                    CASE WHEN r_kind < 0.05 THEN
                        substr(%(brands_i)s, 1 + floor(r_b1 * %(nb)s)::int, 1) || substr(%(brands_i)s, 1 + floor(r_b2 * %(nb)s)::int, 1)
                        || (%(ind_i)s::text[])[1 + floor(r_ind * %(nind)s)::int] || 'yxgs'
                    ELSE substr(%(sur_i)s, 1 + floor(r_sur * %(nsur)s)::int, 1) || substr(%(giv_i)s, 1 + floor(r_g1 * %(ngiv)s)::int, 1)
                        || CASE WHEN r_g2n < 0.7 THEN substr(%(giv_i)s, 1 + floor(r_g2 * %(ngiv)s)::int, 1) ELSE '' END
                    END AS initials,
                    round(least(exp(CASE WHEN r_kind < 0.05 THEN 14.5 ELSE 10.3 END
                        + CASE WHEN r_kind < 0.05 THEN 1.8 ELSE 1.9 END * sqrt(-2 * ln(u1)) * cos(2 * pi() * u2)),
                        1e12)::numeric, 2) AS aum,
                    '13' || lpad(((i::bigint * 7919) %% 100000)::text, 5, '0') || lpad(m4::text, 4, '0') AS mobile,
                    lpad((110000 + m6 %% 500000)::text, 6, '0') || lpad(d8::text, 8, '0') || lpad((i %% 1000)::text, 3, '0')
                        || (d4 %% 10)::text AS id_number
                FROM raw r
            ) c
            CROSS JOIN LATERAL (SELECT * FROM bench_site b WHERE b.lo <= c.r_site ORDER BY b.lo DESC LIMIT 1) s,
            LATERAL (SELECT r_cov < 0.30 OR aum >= 500000 AS covered) cv
            """,
            {
                "brands": BRANDS,
                "brands_i": brand_ini,
                "nb": len(BRANDS),
                "ind": list(INDUSTRY_WORDS),
                "ind_i": ind_ini,
                "nind": len(INDUSTRY_WORDS),
                "sur": SURNAMES,
                "sur_i": sur_ini,
                "nsur": len(SURNAMES),
                "giv": GIVEN,
                "giv_i": giv_ini,
                "ngiv": len(GIVEN),
            },
        )
        cur.execute(
            """INSERT INTO customers_customerposition (customer_id, aum, aum_as_of, tier, kind, status,
                home_org_unit_id, primary_rm_id)
            SELECT id, bench_aum, DATE '2026-10-31', tier, kind, status, home_org_unit_id, primary_rm_id
            FROM customers_customer"""
        )
        cur.execute("ALTER TABLE customers_customer DROP COLUMN bench_aum")
        # Private-banking clients get their RM's team lead as senior sponsor (as the loader does).
        cur.execute(
            """INSERT INTO customers_serviceteammember (customer_id, member_id, team_role, since)
            SELECT c.id, lead.id, 'senior_sponsor', DATE '2026-10-31' FROM customers_customer c
            JOIN org_user rm ON rm.id = c.primary_rm_id
            JOIN org_user lead ON lead.team_id = rm.team_id AND lead.role = 'team_lead'
            WHERE c.tier = 'private_banking' AND lead.id <> rm.id"""
        )
        for table in (
            "org_orgunit",
            "org_team",
            "org_user",
            "customers_customer",
            "customers_serviceteammember",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    return {"method": "sql", "load_s": round(time.perf_counter() - started, 1), "generate_s": 0.0}


def password_hash(env: dict[str, str]) -> str:
    out = keyclient(
        [
            "shell",
            "-c",
            f"from django.contrib.auth.hashers import make_password; print(make_password({DEMO_PASSWORD!r}))",
        ],
        env,
    )
    return out.strip().splitlines()[-1]


def vacuum_analyze(con: Any) -> float:
    started = time.perf_counter()
    con.execute("VACUUM (ANALYZE)")
    return round(time.perf_counter() - started, 1)


# ------------------------------------------------------------------------------------------------
# Personas and scenarios
# ------------------------------------------------------------------------------------------------
@dataclass
class Persona:
    key: str
    username: str
    role: str
    user_id: int
    unit_id: int
    scope_clients: int
    scenarios: list[tuple[str, str]] = field(default_factory=list)  # (name, query string)


def pick_personas(con: Any) -> list[Persona]:
    """Real users by role, each the heaviest of its kind (largest subtree, team, book)."""
    units = {r[0]: r[1] for r in con.execute("SELECT id, path FROM org_orgunit")}
    per_unit = dict(
        con.execute("SELECT home_org_unit_id, count(*) FROM customers_customer GROUP BY 1").fetchall()
    )
    total = sum(per_unit.values())

    def subtree(path: str) -> int:
        return sum(n for u, n in per_unit.items() if units[u].startswith(path))

    def subtree_units(path: str) -> list[int]:
        return [u for u, p in units.items() if p.startswith(path)]

    books = con.execute(
        """SELECT u.id, u.username, u.org_unit_id, u.team_id, count(c.id) FROM org_user u
        JOIN customers_customer c ON c.primary_rm_id = u.id WHERE u.role = 'relationship_manager' AND u.is_active
        GROUP BY u.id ORDER BY 5 DESC, u.username"""
    ).fetchall()
    rm_book = {r[0]: r[4] for r in books}

    def cno_prefixes(where: str, params: list[Any]) -> tuple[str, str]:
        """A client-number prefix matching ~1,000 rows and a short one matching many, never 4/11/18 digits."""
        row = con.execute(
            f"SELECT customer_no FROM customers_customer c WHERE {where} ORDER BY id "
            "OFFSET (SELECT count(*) / 2 FROM customers_customer c WHERE " + where + ") LIMIT 1",
            params + params,
        ).fetchone()
        number = row[0] if row else "6"
        long_len = len(number) - 3
        while long_len in (4, 11, 18):
            long_len -= 1
        short_len = 5 if len(number) > 6 else 2
        return number[:long_len], number[:short_len]

    personas: list[Persona] = []
    ho = con.execute(
        "SELECT id, username, org_unit_id FROM org_user WHERE role = 'head_office' AND is_active ORDER BY username LIMIT 1"
    ).fetchone()
    branch = max(
        (u for u, p in units.items() if p.count("/") == 3), key=lambda u: subtree(units[u])
    )  # largest branch
    top_rm = books[0]
    long_p, short_p = cno_prefixes("true", [])
    personas.append(
        Persona(
            "head_office",
            ho[1],
            "head_office",
            ho[0],
            ho[2] or 0,
            total,
            _scenarios(branch, top_rm[0], top_rm[1], long_p, short_p),
        )
    )
    bh = con.execute(
        """SELECT u.id, u.username, u.org_unit_id, o.path FROM org_user u JOIN org_orgunit o ON o.id = u.org_unit_id
        WHERE u.role = 'branch_head' AND u.is_active"""
    ).fetchall()
    if bh:
        bh_id, bh_name, bh_unit, bh_path = max(bh, key=lambda r: subtree(r[3]))
        inside = subtree_units(bh_path)
        sub = max((u for u in inside if u != bh_unit), key=lambda u: subtree(units[u]), default=bh_unit)
        rm_in = next((r for r in books if r[2] in inside), top_rm)
        long_p, short_p = cno_prefixes("home_org_unit_id = ANY(%s)", [inside])
        personas.append(
            Persona(
                "branch_head",
                bh_name,
                "branch_head",
                bh_id,
                bh_unit,
                subtree(bh_path),
                _scenarios(sub, rm_in[0], rm_in[1], long_p, short_p),
            )
        )
    tl = con.execute(
        """SELECT lead.id, lead.username, lead.org_unit_id, lead.team_id, count(c.id) FROM org_user lead
        JOIN org_user rm ON rm.team_id = lead.team_id JOIN customers_customer c ON c.primary_rm_id = rm.id
        WHERE lead.role = 'team_lead' AND lead.is_active GROUP BY lead.id ORDER BY 5 DESC LIMIT 1"""
    ).fetchone()
    if tl:
        rm_t = next((r for r in books if r[3] == tl[3]), top_rm)
        long_p, short_p = cno_prefixes(
            "primary_rm_id IN (SELECT id FROM org_user WHERE team_id = %s)", [tl[3]]
        )
        personas.append(
            Persona(
                "team_lead",
                tl[1],
                "team_lead",
                tl[0],
                tl[2],
                tl[4],
                _scenarios(tl[2], rm_t[0], rm_t[1], long_p, short_p),
            )
        )
    long_p, short_p = cno_prefixes("primary_rm_id = %s", [top_rm[0]])
    personas.append(
        Persona(
            "rm",
            top_rm[1],
            "relationship_manager",
            top_rm[0],
            top_rm[2],
            rm_book[top_rm[0]],
            _scenarios(top_rm[2], top_rm[0], top_rm[1], long_p, short_p),
        )
    )
    return personas


def _scenarios(
    org_unit: int, rm: int, rm_staff_no: str, cno_long: str, cno_short: str
) -> list[tuple[str, str]]:
    """Query strings; `{rm}` becomes the RM's id or staff number, whichever the form asks for."""
    rm_param = f"rm={{rm:{rm}:{rm_staff_no}}}"
    return [
        ("default", ""),
        ("tier=private_banking", "tier=private_banking"),
        ("tier=gold", "tier=gold"),
        ("kind=corporate", "kind=corporate"),
        ("org_unit", f"org_unit={org_unit}"),
        ("rm", rm_param),
        ("tier=gold&org_unit", f"tier=gold&org_unit={org_unit}"),
        ("q=王", "q=" + urllib.parse.quote("王")),
        ("q=张", "q=" + urllib.parse.quote("张")),
        ("q=王&tier=platinum", "q=" + urllib.parse.quote("王") + "&tier=platinum"),
        ("q=zw", "q=zw"),
        ("q=lj", "q=lj"),
        ("q=1234", "q=1234"),
        (f"q=cno:{cno_long}", f"q={cno_long}"),
        (f"q=cno:{cno_short}", f"q={cno_short}"),
        ("page=20", "page=20"),
        ("tier=gold&page=20", "tier=gold&page=20"),
    ]


# ------------------------------------------------------------------------------------------------
# HTTP
# ------------------------------------------------------------------------------------------------
class Browser:
    """One keep-alive HTTP/1.1 connection with a cookie jar."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.reconnects = 0

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        hdrs = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "zh-hans", **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.conn.sock is None:
            self.reconnects += 1
        self.conn.request(method, path, body=body, headers=hdrs)
        resp = self.conn.getresponse()
        data = resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return resp.status, dict(resp.getheaders()), data

    def login(self, username: str, password: str, secrets_file: Path | None = None) -> None:
        """Password step, then (roles that need it) the TOTP step: enrolment on first login, reading
        the key from the enrolment page; later logins compute the code from the key kept in
        `secrets_file`."""
        status, _, page = self.request("GET", "/login/")
        body = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": _csrf(page, "/login/", status),
            }
        )
        status, headers, _ = self.request(
            "POST", "/login/", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        location = headers.get("Location", "")
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed: HTTP {status} {location}")
        for _attempt in range(3):
            step = urllib.parse.urlsplit(location).path
            if step not in ("/login/enrol/", "/login/verify/"):
                return  # no second factor for this role, or done
            status, _, page = self.request("GET", location)
            if status == 302:
                continue
            secrets = json.loads(secrets_file.read_text()) if secrets_file and secrets_file.exists() else {}
            if step == "/login/enrol/":
                match = re.search(rb'data-testid="totp-secret">([A-Z2-7 ]+)<', page)
                if not match:
                    raise RuntimeError(f"{username}: no TOTP key on the enrolment page")
                secrets[username] = match.group(1).decode().replace(" ", "")
                if secrets_file:
                    secrets_file.write_text(json.dumps(secrets, indent=1))
            elif username not in secrets:
                raise RuntimeError(f"{username} has a TOTP device but its key is not in {secrets_file}")
            import pyotp

            fields = {
                "code": pyotp.TOTP(secrets[username]).now(),
                "csrfmiddlewaretoken": _csrf(page, step, status),
            }
            nxt = re.search(rb'name="next" value="([^"]*)"', page)
            if nxt:
                fields["next"] = nxt.group(1).decode()
            status, headers, _ = self.request(
                "POST",
                step,
                urllib.parse.urlencode(fields),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            if status == 302:
                location = headers.get("Location", "")
                if urllib.parse.urlsplit(location).path not in ("/login/enrol/", "/login/verify/"):
                    return
            else:  # a code of the current 30 s step was used already (a rerun): wait for the next step
                time.sleep(31 - time.time() % 30)
                location = step
        raise RuntimeError(f"{username}: two-factor step did not complete")

    def close(self) -> None:
        self.conn.close()


def healthz_floor(port: int, n: int = 30) -> dict[str, float]:
    """Timings of GET /healthz (one `SELECT 1`, no template) over keep-alive: what every request costs
    before the app does anything."""
    browser = Browser(port)
    timings = []
    for i in range(n + 3):
        started = time.perf_counter()
        browser.request("GET", "/healthz")
        if i >= 3:
            timings.append((time.perf_counter() - started) * 1000)
    browser.close()
    return summary(timings)


def _csrf(page: bytes, path: str, status: int) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not match:
        raise RuntimeError(f"GET {path} gave HTTP {status} without a CSRF token")
    return match.group(1).decode()


SHOWING = re.compile(r"(\d[\d,]*)\s*–\s*(\d[\d,]*)\D{1,12}?(\d[\d,]*)(\+?)")


def rows_shown(html: bytes) -> str:
    """The "Showing 1–50 of 10000+" figure of the page, or "0"."""
    text = html.decode(errors="replace")
    meta = text.split('class="table-meta"', 1)[-1][:400]
    match = SHOWING.search(meta)
    if not match:
        return "0"
    return f"{match.group(3)}{match.group(4)}"


def time_scenarios(
    port: int,
    app_pid: int,
    pg_pid: int,
    personas: list[Persona],
    warmups: int,
    requests: int,
    only: re.Pattern[str] | None,
    htmx: bool,
    secrets_file: Path,
    budget_s: float,
) -> list[dict[str, Any]]:
    results = []
    for persona in personas:
        browser = Browser(port)
        browser.login(persona.username, DEMO_PASSWORD, secrets_file)
        _, _, page = browser.request("GET", "/clients/")
        # The RM filter is a list of ids (<select>) or a staff number (text): ask for what the form has.
        rm_is_select = re.search(rb'<select[^>]*name="rm"', page) is not None
        variants = [(n, q, False) for n, q in persona.scenarios]
        if htmx:
            variants += [(f"{n} [htmx]", q, True) for n, q in persona.scenarios]
        for name, query, fragment in variants:
            if only and not only.search(f"{persona.key}:{name}"):
                continue
            query = re.sub(
                r"\{rm:(\d+):([^}]*)\}",
                lambda m, select=rm_is_select: m.group(1) if select else urllib.parse.quote(m.group(2)),
                query,
            )
            url = "/clients/" + (f"?{query}" if query else "")
            headers = (
                {"HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1:{port}/clients/"}
                if fragment
                else {}
            )
            timings = []
            shown = ""
            size = 0
            budget_end = float("inf")
            for i in range(warmups + requests):
                if i == warmups:
                    cpu_app, cpu_db = cpu_seconds(app_pid), tree_cpu_snapshot(pg_pid)
                    budget_end = time.perf_counter() + budget_s
                elif i > warmups + 4 and time.perf_counter() > budget_end:
                    break  # a scenario this slow fails anyway: keep the run bounded
                started = time.perf_counter()
                status, _, body = browser.request("GET", url, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    raise RuntimeError(f"{persona.key} {url}: HTTP {status}")
                if i >= warmups:
                    timings.append(elapsed)
                shown, size = rows_shown(body), len(body)
            stats = summary(timings)
            app_ms = (cpu_seconds(app_pid) - cpu_app) * 1000 / len(timings)
            db_ms = cpu_delta(cpu_db, tree_cpu_snapshot(pg_pid)) * 1000 / len(timings)
            results.append(
                {
                    "persona": persona.key,
                    "username": persona.username,
                    "scenario": name,
                    "url": url,
                    "htmx": fragment,
                    "rows": shown,
                    "bytes": size,
                    **stats,
                    "app_cpu_ms": round(app_ms, 1),
                    "db_cpu_ms": round(db_ms, 1),
                    "timings_ms": [round(t, 2) for t in timings],
                }
            )
            say(
                f"  {persona.key:<12} {name:<24} p50 {stats['p50_ms']:7.1f}  p95 {stats['p95_ms']:7.1f}  "
                f"app cpu {app_ms:6.1f}  db cpu {db_ms:6.1f}  rows {shown}"
            )
        results[-1]["reconnects"] = browser.reconnects
        browser.close()
    return results


# ------------------------------------------------------------------------------------------------
# SQL of each scenario, in-process (Django's test client + captured queries) and EXPLAIN
# ------------------------------------------------------------------------------------------------
def django_in_process(env: dict[str, str]) -> None:
    os.environ.update({**env, "KEYCLIENT_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver"})
    for extra in reversed(env.get("PYTHONPATH", "").split(os.pathsep)):
        if extra and extra not in sys.path:
            sys.path.insert(0, extra)
    import django

    django.setup()


def sql_profile(results: list[dict[str, Any]], personas: list[Persona], runs: int = 3) -> None:
    """Add sql_ms (summed query time, median of `runs`), queries and the SQL to each result."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from keyclient.org.models import User

    by_key = {p.key: p for p in personas}
    clients: dict[str, Any] = {}
    for result in results:
        persona = by_key[result["persona"]]
        if persona.key not in clients:
            client = Client()
            user = User.objects.get(pk=persona.user_id)
            client.force_login(user)
            with contextlib.suppress(ImportError):
                from keyclient.security.totp import mark_verified

                session = client.session
                mark_verified(session, user)
                session.save()
            clients[persona.key] = client
        sums, totals, captured = [], [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                extra = {"HTTP_HX_REQUEST": "true"} if result.get("htmx") else {}
                response = clients[persona.key].get(result["url"], **extra)
                totals.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            captured = [q for q in ctx.captured_queries if "django_session" not in q["sql"]]
            sums.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        result["sql_ms"] = round(sorted(sums)[len(sums) // 2], 1)
        result["in_process_ms"] = round(sorted(totals)[len(totals) // 2], 1)
        result["queries"] = len(ctx.captured_queries)
        result["sql"] = [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"]} for q in captured]


def explain(result: dict[str, Any], min_ms: float = 2.0) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of a scenario's queries that took `min_ms` or more (at most 4)."""
    from django.db import connection

    plans = []
    heavy = sorted(result.get("sql", []), key=lambda q: -q["ms"])[:4]
    for query in heavy:
        if query["ms"] < min_ms and plans:
            continue
        sql = re.sub(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(OUT)? HOLD FOR ', "", query["sql"])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(r[0] for r in cursor.fetchall())
        plans.append({"ms": query["ms"], "sql": sql, "plan": plan})
    return plans


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------
def print_table(results: list[dict[str, Any]]) -> None:
    head = (
        f"{'persona':<12} {'scenario':<26} {'rows':>7} {'p50':>7} {'p95':>7} {'max':>7} {'appcpu':>6} "
        f"{'dbcpu':>6} {'sql':>6} {'KB':>5}  ok"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        ok = "yes" if r["p95_ms"] < TARGET_P95_MS else "NO"
        sql = f"{r['sql_ms']:6.1f}" if "sql_ms" in r else "     -"
        print(
            f"{r['persona']:<12} {r['scenario'][:26]:<26} {r['rows']:>7} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} "
            f"{r['max_ms']:7.1f} {r['app_cpu_ms']:6.1f} {r['db_cpu_ms']:6.1f} {sql} {r['bytes'] / 1024:5.0f}  {ok}"
        )
    print(
        "(ms; rows = the page's 'of N' figure (capped by the app); appcpu/dbcpu = CPU ms per request of runserver / "
        "PostgreSQL; sql = summed query time of one in-process request; KB = HTML size)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--fill",
        choices=["auto", "generator", "sql"],
        default="auto",
        help="auto: the generator when importable, else SQL generate_series",
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the filled database (and extracts) here; reruns reuse it"
    )
    parser.add_argument("--extracts", type=Path, help="generated extracts to load (reused if present)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        help="seconds of timed requests per scenario; a slower scenario stops early (at least 5)",
    )
    parser.add_argument("--only", help="regex on 'persona:scenario' to run a subset")
    parser.add_argument(
        "--apply-sql",
        type=Path,
        action="append",
        default=[],
        help="SQL file run (then ANALYZE) before measuring: try an index in the throwaway DB",
    )
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument(
        "--nodelay",
        action="store_true",
        help="runserver with TCP_NODELAY: removes the dev server's ~40 ms Nagle/delayed-ACK stall",
    )
    parser.add_argument(
        "--no-htmx",
        action="store_true",
        help="skip the htmx variants (HX-Request: the table fragment the filter form fetches)",
    )
    parser.add_argument(
        "--pg", action="append", default=[], metavar="NAME=VALUE", help="extra server setting"
    )
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of the app (e.g. DJANGO_SETTINGS_MODULE and PYTHONPATH of an "
        "experimental settings module that patches a proposal in, without editing the app)",
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "client_list.json")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {
        "benchmark": "client_list",
        "target_p95_ms": TARGET_P95_MS,
        "customers": args.customers,
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    pg_settings = dict(s.split("=", 1) for s in args.pg)
    work = Path(tempfile.mkdtemp(prefix="kc-bench-"))
    try:
        with ThrowawayPostgres(keep=args.keep, settings=pg_settings) as pg:
            report["postgres"] = {
                "version": pg.version(),
                "settings": pg.settings,
                "datadir": str(pg.datadir),
            }
            say(f"postgres {report['postgres']['version']} on 127.0.0.1:{pg.port} ({pg.datadir})")
            pg.ensure_database()
            # The var dir holds the field-encryption and blind-index keys: keep it with a kept database.
            env = app_env(
                pg.url(),
                (pg.base / "var") if args.keep else (work / "var"),
                **dict(e.split("=", 1) for e in args.app_env),
            )
            report["app_env"] = args.app_env
            started = time.perf_counter()
            keyclient(["migrate", "--noinput"], env)
            report["migrate_s"] = round(time.perf_counter() - started, 1)
            marker = pg.base / FILL_MARKER if args.keep else None
            fill = json.loads(marker.read_text()) if marker and marker.exists() else None
            wanted = {"customers": args.customers, "seed": args.seed}
            if (
                fill
                and all(fill.get(k) == v for k, v in wanted.items())
                and args.fill in ("auto", fill["method"])
            ):
                say(f"fill: reusing the {fill['method']} fill in {pg.datadir}")
                fill = {**fill, "reused": True}
            else:
                method = args.fill
                why_not = generator_available() if method in ("auto", "generator") else "sql fill requested"
                if method == "auto":
                    method = "generator" if why_not is None else "sql"
                    if why_not:
                        say(f"fill: generator unavailable ({why_not}); filling with SQL generate_series")
                with pg.connect() as con:
                    if (method == "sql" or fill) and con.execute(
                        "SELECT EXISTS (SELECT 1 FROM customers_customer)"
                    ).fetchone()[0]:
                        raise SystemExit("the kept database holds another fill; remove --keep DIR to refill")
                    if method == "generator":
                        extracts = args.extracts or (
                            (args.keep / "extracts") if args.keep else work / "extracts"
                        )
                        fill = fill_with_generator(
                            env, con, args.customers, args.seed, extracts, reuse_extracts=True
                        )
                    else:
                        fill = fill_with_sql(con, args.customers, args.seed, password_hash(env))
                    fill["vacuum_analyze_s"] = vacuum_analyze(con)
                fill.update(wanted)
                if marker:
                    marker.write_text(json.dumps(fill, ensure_ascii=False, indent=2))
                say(
                    f"fill: {fill['method']} generate {fill.get('generate_s', 0)} s, load {fill['load_s']} s, "
                    f"vacuum analyze {fill['vacuum_analyze_s']} s"
                )
            report["fill"] = fill
            with pg.connect() as con:
                applied = []
                for path in args.apply_sql:
                    started = time.perf_counter()
                    for statement in re.split(
                        r";\s*\n", path.read_text()
                    ):  # one by one: VACUUM refuses a block
                        if statement.strip() and not all(
                            line.strip().startswith("--") or not line.strip()
                            for line in statement.splitlines()
                        ):
                            con.execute(statement)
                    applied.append(
                        {
                            "file": str(path),
                            "sql": path.read_text(),
                            "s": round(time.perf_counter() - started, 1),
                        }
                    )
                    say(f"applied {path} in {applied[-1]['s']} s")
                if applied:
                    con.execute("ANALYZE")
                report["applied_sql"] = applied
                report["counts"] = {
                    t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("customers_customer", "org_orgunit", "org_user", "customers_serviceteammember")
                }
                report["customer_table_mb"] = round(
                    con.execute("SELECT pg_total_relation_size('customers_customer')").fetchone()[0] / 2**20
                )
                personas = pick_personas(con)
            report["personas"] = [
                {"key": p.key, "username": p.username, "role": p.role, "scope_clients": p.scope_clients}
                for p in personas
            ]
            for p in personas:
                say(f"persona {p.key}: {p.username} ({p.scope_clients:,} clients in scope)")
            server_log = args.json.with_suffix(".runserver.log")
            server_log.parent.mkdir(parents=True, exist_ok=True)
            report["server"] = "runserver --noreload" + (" with TCP_NODELAY" if args.nodelay else "")
            with AppServer(env, server_log, nodelay=args.nodelay) as server:
                say(
                    f"runserver on 127.0.0.1:{server.port}; {args.warmups} warm-ups + {args.requests} timed requests each"
                )
                only = re.compile(args.only) if args.only else None
                started = time.perf_counter()
                assert server.proc is not None
                report["transport_floor"] = healthz_floor(server.port)
                say(
                    f"transport floor (GET /healthz, no app work): p50 {report['transport_floor']['p50_ms']} ms"
                    f"{'' if args.nodelay else ' (runserver + Nagle/delayed ACK; see --nodelay)'}"
                )
                results = time_scenarios(
                    server.port,
                    server.proc.pid,
                    pg.postmaster_pid(),
                    personas,
                    args.warmups,
                    args.requests,
                    only,
                    not args.no_htmx,
                    pg.base / "totp_secrets.json" if args.keep else work / "totp_secrets.json",
                    args.budget,
                )
                report["http_s"] = round(time.perf_counter() - started, 1)
            report["machine"]["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
            django_in_process(env)
            sql_profile(results, personas)
            if not args.no_explain and results:
                slowest = max(results, key=lambda r: r["p95_ms"])
                targets = [slowest] + [
                    r for r in results if r["p95_ms"] >= TARGET_P95_MS and r is not slowest
                ]
                for r in targets[:6]:
                    r["explain"] = explain(r)
                report["slowest"] = {k: slowest[k] for k in ("persona", "scenario", "url", "p95_ms")}
            from django.db import connections

            connections.close_all()
            report["results"] = results
            print_table(results)
            if results and "explain" in max(results, key=lambda r: r["p95_ms"]):
                slowest = max(results, key=lambda r: r["p95_ms"])
                print(
                    f"\nSlowest: {slowest['persona']} {slowest['scenario']} p95 {slowest['p95_ms']} ms — EXPLAIN (ANALYZE, BUFFERS):"
                )
                for plan in slowest["explain"]:
                    print(f"\n-- {plan['ms']} ms\n{plan['sql']}\n{plan['plan']}")
            failing = [r for r in results if r["p95_ms"] >= TARGET_P95_MS]
            report["pass"] = not failing
            print(
                f"\n{'PASS' if not failing else 'FAIL'}: {len(failing)} of {len(results)} scenarios at p95 ≥ {TARGET_P95_MS:.0f} ms"
            )
    finally:
        report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with contextlib.suppress(Exception):
            write_json(args.json, report)
            say(f"wrote {args.json}")
        shutil.rmtree(work, ignore_errors=True)
    return 0 if report.get("pass") else 1


if __name__ == "__main__":
    sys.exit(main())

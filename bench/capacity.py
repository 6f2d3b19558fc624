"""Benchmark: the coverage dashboard and the assignment suggestions at 1,000,000 clients, PostgreSQL.

(Named capacity.py: a bench/coverage.py would shadow the `coverage` package on the path.)

Acceptance points: the dashboard p95 < 150 ms; suggestions for 1,000,000 clients and 5,000 RMs in
under 60 s.

1. Starts a throwaway PostgreSQL 15 (`--keep DIR` keeps a filled one for reruns), migrates and fills
   it with `bench/client_list.py`'s SQL fill (1,000,000 clients, ~1,400 RMs, 35 % of the clients
   with an RM); then adds RMs at the sub-branches up to `--rms` (5,000), spreads each sub-branch's
   book over its RMs, gives every RM a grade (round robin), and VACUUM ANALYZE.
2. In-process (Django's test client, DEBUG off, no network): per persona (head office, the largest
   branch's head, the largest team's lead) one GET that computes the figures (`?fresh=1`), then
   warm-ups and timed GETs of /coverage/ (figures from the cache, see keyclient/capacity/figures.py):
   p50/p95/max.
3. `suggest()` for head office (every client and RM) and for the largest branch: wall time of the
   plan (queries + min-cost flow + naming the clients), with the plan's size.
4. The solver alone on synthetic counts: 1,000,000 clients over 5,000 RMs in 500 units.

    .venv/bin/python bench/capacity.py                      # throwaway
    .venv/bin/python bench/capacity.py --keep /tmp/kc-cov   # keep the filled DB for reruns

Prints a table and writes JSON (bench/results/coverage.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client_list import django_in_process, fill_with_sql, password_hash, vacuum_analyze
from common import RESULTS, ThrowawayPostgres, app_env, keyclient, machine, say, summary, write_json

MARKER = "coverage_fill.json"


def widen(con: Any, rms: int) -> dict[str, Any]:
    """Up to `rms` RMs at the sub-branches (round robin over those that have RMs), each sub-branch's
    covered clients spread over its RMs, and a grade for every RM."""
    started = time.perf_counter()
    with con.transaction():
        cur = con.cursor()
        have = cur.execute("SELECT count(*) FROM org_user WHERE role = 'relationship_manager'").fetchone()[0]
        cur.execute(
            """INSERT INTO org_user (id, username, display_name, role, org_unit_id, team_id, password, is_superuser,
                first_name, last_name, email, is_staff, is_active, date_joined, grade)
            SELECT m.id0 + g, 'R' || lpad((m.id0 + g)::text, 6, '0'), '客户经理' || g, 'relationship_manager',
                s.org_unit_id, s.team_id, '!', false, '', '', '', false, true, DATE '2026-01-01', ''
            FROM generate_series(1, %s) g
            CROSS JOIN (SELECT max(id) AS id0 FROM org_user) m
            JOIN (SELECT row_number() OVER (ORDER BY org_unit_id) - 1 AS k, org_unit_id, min(team_id) AS team_id
                  FROM org_user WHERE role = 'relationship_manager' GROUP BY org_unit_id) s
              ON s.k = mod(g, (SELECT count(DISTINCT org_unit_id) FROM org_user WHERE role = 'relationship_manager'))""",
            [max(0, rms - have)],
        )
        cur.execute(
            """UPDATE org_user SET grade = (ARRAY['junior', 'intermediate', 'senior', 'principal'])[1 + mod(id, 4)]
            WHERE role = 'relationship_manager'"""
        )
        cur.execute(
            """CREATE TEMP TABLE rm_ix AS SELECT id, org_unit_id,
                row_number() OVER (PARTITION BY org_unit_id ORDER BY id) - 1 AS k,
                count(*) OVER (PARTITION BY org_unit_id) AS n
            FROM org_user WHERE role = 'relationship_manager'"""
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('org_user', 'id'), (SELECT max(id) FROM org_user))")
        cur.execute(
            """UPDATE customers_customer c SET primary_rm_id = r.id
            FROM org_user u, rm_ix r
            WHERE c.primary_rm_id = u.id AND r.org_unit_id = u.org_unit_id AND r.k = mod(c.id, r.n)"""
        )
        total = cur.execute("SELECT count(*) FROM org_user WHERE role = 'relationship_manager'").fetchone()[0]
    return {"rms": total, "widen_s": round(time.perf_counter() - started, 1)}


def time_dashboard(runs: int) -> list[dict[str, Any]]:
    from django.db.models import Count
    from django.test import Client

    from keyclient.customers.models import Customer
    from keyclient.org.models import User
    from keyclient.security.totp import mark_verified

    branch = (
        Customer.objects.values("home_org_unit__path")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    branch_code = branch["home_org_unit__path"].split("/")[2]
    team = (
        User.objects.filter(role="relationship_manager")
        .values("team_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[0]
    )
    personas = {
        "head_office": User.objects.filter(role="head_office").order_by("pk").first(),
        "branch_head": User.objects.filter(role="branch_head", org_unit__code=branch_code).first(),
        "team_lead": User.objects.filter(role="team_lead", team_id=team["team_id"]).first(),
    }
    results = []
    for key, user in personas.items():
        client = Client()
        client.force_login(user)
        session = client.session
        mark_verified(session, user)
        session.save()
        started = time.perf_counter()
        assert client.get("/coverage/?fresh=1").status_code == 200
        cold = (time.perf_counter() - started) * 1000
        for _ in range(3):
            assert client.get("/coverage/").status_code == 200
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get("/coverage/")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results.append({"persona": key, "cold_ms": round(cold), **summary(times)})
        say(
            f"dashboard {key}: computed {cold:.0f} ms; then p50 {results[-1]['p50_ms']:.0f} ms, p95 {results[-1]['p95_ms']:.0f} ms"
        )
    return results


def time_suggestions() -> list[dict[str, Any]]:
    from django.db.models import Count

    from keyclient.capacity.scope import coverage_scope
    from keyclient.capacity.suggestions import suggest
    from keyclient.customers.models import Customer
    from keyclient.org.models import User

    branch = (
        Customer.objects.values("home_org_unit__path")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    code = branch["home_org_unit__path"].split("/")[2]
    results = []
    for key, user in (
        ("head_office", User.objects.filter(role="head_office").order_by("pk").first()),
        ("branch_head", User.objects.filter(role="branch_head", org_unit__code=code).first()),
    ):
        scope = coverage_scope(user)
        started = time.perf_counter()
        plan = suggest(scope)
        took = time.perf_counter() - started
        results.append({
            "persona": key, "seconds": round(took, 2), "lines": len(plan.lines), "moved": plan.solution.moved,
            "over_after": plan.solution.over, "uncovered_after": plan.solution.unplaced,
            "rms": scope.rms.count(), "clients": scope.clients.count(),
        })  # fmt: skip
        say(f"suggestions {key}: {took:.1f} s, {len(plan.lines)} lines")
    return results


def time_solver(
    clients: int = 1_000_000, rms: int = 5_000, units: int = 500, seed: int = 7
) -> dict[str, Any]:
    """The flow alone on synthetic counts: books of every tier, a third of the RMs overloaded."""
    from keyclient.capacity.norms import default_rules, validate
    from keyclient.capacity.solver import Rm, solve

    rng = random.Random(seed)
    norms = validate(default_rules())
    grades = ["junior", "intermediate", "senior", "principal"]
    people = [Rm(i, i % units, grades[i % 4]) for i in range(1, rms + 1)]
    tiers = ["gold", "platinum", "diamond", "private_banking", "corporate_general", "strategic_sub_branch"]
    books: dict[tuple[int, str], int] = {}
    per_book = 7 * clients // (10 * rms * len(tiers))  # 70 % in books, 30 % uncovered, on average
    per_pool = 3 * clients // (10 * units * len(tiers))
    for r in people:
        for t in tiers:
            books[(r.id, t)] = rng.randint(0, 2 * per_book)
    uncovered = {(u, t): rng.randint(0, 2 * per_pool) for u in range(units) for t in tiers}
    started = time.perf_counter()
    solution = solve(rms=people, norms=norms, books=books, fixed={}, uncovered=uncovered)
    return {
        "clients": sum(books.values()) + sum(uncovered.values()), "rms": rms, "units": units,
        "seconds": round(time.perf_counter() - started, 2), "moved": solution.moved,
        "over_after": solution.over, "uncovered_after": solution.unplaced,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rms", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--json", type=Path, default=RESULTS / "coverage.json")
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": machine(), "load_before": os.getloadavg()}
    work = Path(tempfile.mkdtemp(prefix="kc-coverage-"))
    with ThrowawayPostgres(keep=args.keep) as pg:
        pg.ensure_database()
        env = app_env(pg.url(), (pg.base / "var") if args.keep else (work / "var"))
        keyclient(["migrate", "--noinput"], env)
        marker = pg.base / MARKER
        if marker.exists():
            report["fill"] = {**json.loads(marker.read_text()), "reused": True}
        else:
            with pg.connect() as con:
                # Columns added since client_list.py's SQL fill was written, which its COPY leaves out.
                for table, column, default in (
                    ("org_orgunit", "status", "'active'"),
                    ("org_user", "grade", "''"),
                ):
                    con.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default}")
                filled = con.execute("SELECT EXISTS (SELECT 1 FROM customers_customer)").fetchone()[0]
                fill = {} if filled else fill_with_sql(con, args.customers, args.seed, password_hash(env))
                fill.update(widen(con, args.rms))
                fill["vacuum_analyze_s"] = vacuum_analyze(con)
            marker.write_text(json.dumps(fill))
            report["fill"] = fill
        say(f"fill: {report['fill']}")
        django_in_process(env)
        report["solver"] = time_solver(rms=args.rms)
        say(f"solver alone: {report['solver']}")
        report["dashboard"] = time_dashboard(args.runs)
        report["suggestions"] = time_suggestions()
    report["load_after"] = os.getloadavg()
    say(f"load average before {report['load_before']}, after {report['load_after']}")
    print(json.dumps({k: report[k] for k in ("solver", "dashboard", "suggestions")}, indent=1))
    write_json(args.json, report)


if __name__ == "__main__":
    main()

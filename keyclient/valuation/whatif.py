"""What-if of a tier policy version: its rules applied to the latest month end's figures, next to the
published rules applied to the same figures, without saving anything.

The figures are the valuation's running state in the lake (`valuation/month=<date>/state.parquet`,
written by the month-end run: kind, monthly averages, 12-month contribution, the four indicator
scores). DuckDB recomputes the contribution score, value score, tier basis and qualifying tier with
the engine's own expressions (`engine.contribution_score_sql` …), so that a draft equal to the
published rules moves nobody. Risk, prominence and relatedness scores are used as the run computed
them: their inputs are not in the state, so draft changes to their parameters show at the next run.

The clients are those in the user's scope (`Customer.objects.visible_to`); their home unit and primary
RM come from the CRM in one set-based fetch, the org tree in another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from keyclient.core.arrow import fetch_arrow
from keyclient.core.duck import execute
from keyclient.org.models import OrgUnit, User
from keyclient.valuation import engine
from keyclient.valuation.analytics import Matrix, build_matrices, counts_by, scoped_clients, tier_label
from keyclient.valuation.month_end import state_root
from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER, RANK

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer

RMS_SHOWN = 50
KEY_TIERS = [str(t) for t in (*reversed(INDIVIDUAL_LADDER[1:]), *reversed(CORPORATE_LADDER[1:]))]


def latest_state() -> tuple[date, Path] | None:
    """The latest month end whose valuation state is in the lake, and its file."""
    root = state_root()
    found = []
    for folder in root.glob("month=*") if root.exists() else []:
        target = folder / "state.parquet"
        if target.exists():
            try:
                found.append((date.fromisoformat(folder.name[6:]), target))
            except ValueError:
                continue
    return max(found) if found else None


@dataclass
class BranchMoves:
    code: str
    name: str
    clients: int
    upgrades: int
    downgrades: int

    @property
    def moved(self) -> int:
        return self.upgrades + self.downgrades


@dataclass
class RmLoad:
    """Key clients (above the base tier) of one primary RM, per tier, now and under the draft."""

    rm_id: int | None
    name: str
    now: list[int]  # per KEY_TIERS column shown
    draft: list[int]
    now_total: int
    draft_total: int

    @property
    def change(self) -> int:
        return self.draft_total - self.now_total

    @property
    def cells(self) -> list[tuple[int, int]]:
        return list(zip(self.now, self.draft, strict=True))


@dataclass
class WhatIf:
    as_of: date
    clients: int
    matrices: list[Matrix]
    moved: int
    upgrades: int
    downgrades: int
    branches: list[BranchMoves]
    tiers: list[tuple[str, str]]  # the key tiers shown in the RM table
    rms: list[RmLoad]
    rm_totals: RmLoad | None
    rms_with_key_clients: int = 0
    rms_changed: int = 0
    rms_hidden: int = 0
    notes: list[str] = field(default_factory=list)


def _qualifying(rules: dict[str, Any], p: str) -> str:
    """The tier each row of `bank_state` qualifies for under `rules` (the engine's expressions, reading
    the parameters `engine.rule_params(rules, p)`). Scores are percentiles over the whole bank, so they
    are computed over every client before the scope is applied."""
    return f"""SELECT customer_no, {engine.qualified_tier_sql(rules, p)} AS tier FROM (
        SELECT *, {engine.value_score_sql(p)} AS value_score, {engine.basis_sql(p)} AS basis FROM (
            SELECT *, {engine.value_points_sql(p)} AS value_points FROM (
                SELECT *, {engine.contribution_score_sql()} AS contribution_score FROM bank_state)))"""  # noqa: S608 - the engine's expressions; the rules are bound parameters


def _register_crm(con: duckdb.DuckDBPyConnection, user: Viewer) -> None:
    clients = scoped_clients(user).order_by().values_list("customer_no", "home_org_unit_id", "primary_rm_id")
    schema = pa.schema([("customer_no", pa.string()), ("unit_id", pa.int64()), ("rm_id", pa.int64())])
    if clients.query.is_empty():
        table = schema.empty_table()
    else:
        sql, params = clients.query.sql_with_params()
        table = fetch_arrow(sql, params, schema)
    con.register("scope_arrow", table)
    units = OrgUnit.objects.order_by().values_list("id", "path", "level", "code", "name")
    sql, params = units.query.sql_with_params()
    con.register(
        "units_arrow",
        fetch_arrow(
            sql,
            params,
            pa.schema([("id", pa.int64()), ("path", pa.string()), ("level", pa.string()),
                       ("code", pa.string()), ("name", pa.string())]),
        ),
    )  # fmt: skip


def what_if(user: Viewer, *, rules: dict[str, Any], baseline: dict[str, Any]) -> WhatIf | None:
    """`rules` (a draft) against `baseline` (the published rules) on the latest month end's figures of
    the clients in `user`'s scope; None before the first month-end run. Reads only."""
    latest = latest_state()
    if latest is None:
        return None
    as_of, path = latest
    con = duckdb.connect()
    try:
        _register_crm(con, user)
        con.execute(
            """CREATE TEMP TABLE bank_state AS
            SELECT customer_no, kind, contribution_12m, deposit_madb, investment_madb, loan_madb,
                risk_score, prominence_score, relatedness_score
            FROM read_parquet($path)""",
            {"path": str(path)},
        )
        execute(
            con,
            f"""CREATE TEMP TABLE moves AS
            SELECT s.customer_no, s.unit_id, s.rm_id, f.tier AS from_tier, t.tier AS to_tier
            FROM scope_arrow s JOIN ({_qualifying(baseline, "b_")}) f USING (customer_no)
            JOIN ({_qualifying(rules, "d_")}) t USING (customer_no)""",  # noqa: S608 - the engine's expressions; the rules are bound parameters
            {**engine.rule_params(baseline, "b_"), **engine.rule_params(rules, "d_")},
        )
        counts = counts_by(
            con.execute("SELECT from_tier, to_tier, count(*) FROM moves GROUP BY ALL").fetchall()
        )
        matrices = build_matrices(counts)
        result = WhatIf(
            as_of=as_of,
            clients=sum(counts.values()),
            matrices=matrices,
            moved=sum(m.moves["up"] + m.moves["down"] for m in matrices),
            upgrades=sum(m.moves["up"] for m in matrices),
            downgrades=sum(m.moves["down"] for m in matrices),
            branches=_branches(con),
            tiers=[],
            rms=[],
            rm_totals=None,
        )
        _rm_capacity(con, result)
        return result
    finally:
        con.close()


def _branches(con: duckdb.DuckDBPyConnection) -> list[BranchMoves]:
    """Moves by the branch above each client's home unit (clients homed above any branch: head office)."""
    ranks = pa.table({"tier": list(RANK), "rank": pa.array(list(RANK.values()), pa.int32())})
    con.register("tier_ranks", ranks)
    rows = con.execute(
        """SELECT coalesce(b.code, ''), coalesce(b.name, ''), count(*), count(*) FILTER (WHERE t.rank > f.rank),
            count(*) FILTER (WHERE t.rank < f.rank)
        FROM moves m LEFT JOIN units_arrow u ON u.id = m.unit_id
        LEFT JOIN tier_ranks f ON f.tier = m.from_tier LEFT JOIN tier_ranks t ON t.tier = m.to_tier
        LEFT JOIN (SELECT path, code, name FROM units_arrow WHERE level = 'branch') b
            ON starts_with(u.path, b.path)
        GROUP BY ALL ORDER BY count(*) FILTER (WHERE t.rank <> f.rank) DESC, 1"""
    ).fetchall()
    return [BranchMoves(code=r[0], name=r[1], clients=r[2], upgrades=r[3], downgrades=r[4]) for r in rows]


def _rm_capacity(con: duckdb.DuckDBPyConnection, result: WhatIf) -> None:
    """Key clients per primary RM and tier, now and under the draft: the RMs whose load changes most
    first (at most RMS_SHOWN of them), and the totals over every RM."""
    # The tiers are parameters $t0, $t1…: the SQL text holds only their number.
    tiers = {f"t{i}": t for i, t in enumerate(KEY_TIERS)}
    keys = ", ".join(f"${name}" for name in tiers)
    columns = ", ".join(
        f"count(*) FILTER (WHERE from_tier = ${name}) AS now_{i}, count(*) FILTER (WHERE to_tier = ${name}) AS draft_{i}"
        for i, name in enumerate(tiers)
    )
    counted = (
        f"count(*) FILTER (WHERE from_tier IN ({keys})) AS now_total, "
        f"count(*) FILTER (WHERE to_tier IN ({keys})) AS draft_total, {columns}"
    )
    grand = con.execute(f"SELECT {counted} FROM moves", tiers).fetchone()  # noqa: S608 - counts per parameter
    assert grand is not None
    shown = [i for i, _t in enumerate(KEY_TIERS) if grand[2 + 2 * i] or grand[3 + 2 * i]]
    result.tiers = [(KEY_TIERS[i], tier_label(KEY_TIERS[i])) for i in shown]

    def load(rm_id: int | None, name: str, row: tuple) -> RmLoad:
        return RmLoad(
            rm_id=rm_id,
            name=name,
            now=[row[2 + 2 * i] for i in shown],
            draft=[row[3 + 2 * i] for i in shown],
            now_total=row[0],
            draft_total=row[1],
        )

    result.rm_totals = load(None, "", grand)
    rows = con.execute(
        f"""WITH per_rm AS (
            SELECT rm_id, {counted} FROM moves WHERE rm_id IS NOT NULL GROUP BY rm_id
        )
        SELECT *, count(*) OVER () AS rms,
            sum(CASE WHEN draft_total <> now_total THEN 1 ELSE 0 END) OVER () AS changed
        FROM per_rm WHERE now_total > 0 OR draft_total > 0
        ORDER BY abs(draft_total - now_total) DESC, draft_total DESC, rm_id LIMIT $shown""",  # noqa: S608 - counts per parameter
        {**tiers, "shown": RMS_SHOWN},
    ).fetchall()
    if not rows:
        return
    result.rms_with_key_clients, result.rms_changed = int(rows[0][-2]), int(rows[0][-1])
    result.rms_hidden = result.rms_with_key_clients - len(rows)
    names = {
        pk: f"{name or username} ({username})"
        for pk, name, username in User.objects.filter(pk__in=[r[0] for r in rows]).values_list(
            "pk", "display_name", "username"
        )
    }
    result.rms = [load(r[0], names.get(r[0], str(r[0])), r[1:-2]) for r in rows]

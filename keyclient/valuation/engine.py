"""The month-end valuation, set-based on DuckDB: the four value indicators, the value score, CLV, the
tier each client qualifies for, and the tier lifecycle (upgrade now, downgrade after N months below).

`compute(con, as_of, rules)` reads the relations listed in `INPUTS` from `con` (the caller fills them;
`ensure_inputs` creates any it left out, empty) and leaves one table, `valued`: one row per client with
every column of `ValueScore` and `TierAssignment` plus the state the next month needs. The formulas
are documented in docs/valuation.md; the rules come from the published `TierPolicy`.
"""

# ruff: noqa: S608 - SQL text built from validated numeric rules and declared tier names, never user input.

from __future__ import annotations

import calendar
import math
from datetime import date
from typing import Any

import duckdb

from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER, LOAN_CLASSES, RANK

INPUTS: dict[str, str] = {
    # one row per client known to the CRM
    "clients": "customer_no VARCHAR, id BIGINT, kind VARCHAR, risk_assessed_on DATE, current_tier VARCHAR",
    # the pipeline's month-end indicators (monthly averages of daily balances, the month's contribution)
    "month_end": "customer_no VARCHAR, aum DOUBLE, deposit_madb DOUBLE, investment_madb DOUBLE, loan_madb DOUBLE, "
    "contribution_month DOUBLE, outflow_other_banks_30d DOUBLE",
    "loans": "customer_no VARCHAR, balance DOUBLE, overdue_days INTEGER, classification VARCHAR",
    "holdings": "customer_no VARCHAR, balance DOUBLE, risk_rating VARCHAR",
    "links": "from_customer_no VARCHAR, to_customer_no VARCHAR",
    "client_tags": "customer_no VARCHAR, tag VARCHAR",
    "facts": "customer_no VARCHAR, kind VARCHAR",
    "overrides": "customer_no VARCHAR, kind VARCHAR, tier VARCHAR",
    # earlier months' state (see STATE_COLUMNS): contributions for the 12 months, last month's lifecycle
    "history": "customer_no VARCHAR, as_of DATE, contribution_month DOUBLE",
    "prev": "customer_no VARCHAR, tier VARCHAR, rule_tier VARCHAR, months_below INTEGER",
}  # fmt: skip

# What a month keeps for the next ones (the valuation's running state, one Parquet file per month end).
STATE_COLUMNS = (
    "customer_no", "as_of", "kind", "contribution_month", "deposit_madb", "investment_madb", "loan_madb",
    "contribution_12m", "contribution_score", "risk_score", "prominence_score", "relatedness_score",
    "value_score", "tier", "rule_tier", "months_below",
)  # fmt: skip


def ensure_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Create, empty, every input relation the caller did not provide."""
    present = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() UNION ALL "
                                             "SELECT view_name FROM duckdb_views()").fetchall()}  # fmt: skip
    for name, columns in INPUTS.items():
        if name not in present:
            con.execute(f"CREATE TEMP TABLE {name} ({columns})")


def lit(value: object) -> str:
    """A SQL string literal (paths, dates)."""
    return "'" + str(value).replace("'", "''") + "'"


def _num(value: Any) -> str:
    return repr(float(value))


def _ln_scale(x: str, full: float) -> str:
    """100 × ln(1 + x) / ln(1 + full), within [0, 100]: money indicators are heavy-tailed."""
    return f"least(100.0, 100.0 * ln(1 + greatest({x}, 0)) / {_num(math.log1p(full))})"


def _case(column: str, mapping: dict[str, Any], default: str) -> str:
    whens = " ".join(
        f"WHEN '{k}' THEN {_num(v) if not isinstance(v, str) else repr(v)}" for k, v in mapping.items()
    )
    return f"CASE {column} {whens} ELSE {default} END"


def contribution_score_sql(rules: dict[str, Any]) -> str:
    """The contribution score (0–100) from `kind` and `contribution_12m`."""
    full_c = rules["score"]["contribution_full"]
    return (
        f"round(CASE WHEN kind = 'corporate' THEN {_ln_scale('contribution_12m', full_c['corporate'])} "
        f"ELSE {_ln_scale('contribution_12m', full_c['individual'])} END, 2)"
    )


def value_score_sql(rules: dict[str, Any]) -> str:
    """The value score (0–100) from the four indicator scores (`*_score` columns)."""
    weights = rules["score"]["weights"]
    w_sum = float(weights["contribution"]) + float(weights["prominence"]) + float(weights["relatedness"])
    return (
        f"round(greatest(0, least(100, ({_num(weights['contribution'])} * contribution_score "
        f"+ {_num(weights['prominence'])} * prominence_score "
        f"+ {_num(weights['relatedness'])} * relatedness_score "
        f"- {_num(weights['risk'])} * risk_score) / {_num(w_sum)})), 2)"
    )


def basis_sql(rules: dict[str, Any]) -> str:
    """The tier basis: asset-weighted monthly average AUM (individuals), 12-month contribution (corporates)."""
    weights_ind = rules["individual"]["asset_weights"]
    return (
        f"round(CASE WHEN kind = 'corporate' THEN contribution_12m ELSE {_num(weights_ind['deposit'])} "
        f"* deposit_madb + {_num(weights_ind['investment'])} * investment_madb END, 2)"
    )


def qualified_tier_sql(rules: dict[str, Any], prefix: str = "") -> str:
    """The tier the rules give, from `kind`, `basis`, `value_score`, `contribution_12m`, `deposit_madb`
    and `loan_madb` (the engine and the what-if of a draft policy share it)."""
    ind = rules["individual"]["tiers"]
    corp = rules["corporate"]["tiers"]
    ind_whens = " ".join(
        f"WHEN basis >= {_num(t['min_aum'])} AND value_score >= {_num(t.get('min_value_score', 0))} "
        f"THEN '{t['tier']}'"
        for t in ind
    )
    corp_whens = " ".join(
        f"WHEN value_score >= {_num(t.get('min_value_score', 0))} AND (contribution_12m >= "
        f"{_num(t['min_contribution'])} OR deposit_madb >= {_num(t['min_deposit'])} OR loan_madb >= "
        f"{_num(t['min_loan'])}) THEN '{t['tier']}'"
        for t in corp
    )
    return (
        f"CASE WHEN {prefix}kind = 'corporate' THEN CASE {corp_whens} ELSE '{CORPORATE_LADDER[0]}' END "
        f"ELSE CASE {ind_whens} ELSE '{INDIVIDUAL_LADDER[0]}' END END"
    )


def compute(con: duckdb.DuckDBPyConnection, as_of: date, rules: dict[str, Any]) -> None:
    """Fill `valued` for the month ending `as_of` (see the module docstring)."""
    ensure_inputs(con)
    score = rules["score"]
    risk = score["risk"]
    prom = score["prominence"]
    rel = score["relatedness"]
    clv = rules["clv"]
    kyc_cutoff = _months_before(as_of, int(risk["kyc_valid_months"]))
    class_points = _case("classification", risk["loan_class_points"], "0")
    class_rank = _case("classification", {c: n for n, c in enumerate(LOAN_CLASSES)}, "-1")
    risk_tags = ", ".join(repr(str(t)) for t in risk.get("risk_tags", [])) or "NULL"
    tag_points = prom.get("tag_points") or {}
    kind_points = prom.get("kind_points") or {}

    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_base AS
        WITH hist AS (
            SELECT customer_no,
                sum(contribution_month) AS c11,
                sum(contribution_month) FILTER (WHERE m <= 2) AS c_recent2,
                sum(contribution_month) FILTER (WHERE m BETWEEN 3 AND 5) AS c_prior3
            FROM (SELECT customer_no, contribution_month, date_diff('month', as_of, DATE '{as_of}') AS m FROM history)
            WHERE m BETWEEN 1 AND 11 GROUP BY customer_no
        )
        SELECT c.customer_no, c.id, c.kind, c.risk_assessed_on, c.current_tier,
            coalesce(me.aum, 0) AS aum, coalesce(me.deposit_madb, 0) AS deposit_madb,
            coalesce(me.investment_madb, 0) AS investment_madb, coalesce(me.loan_madb, 0) AS loan_madb,
            coalesce(me.contribution_month, 0) AS contribution_month,
            coalesce(me.outflow_other_banks_30d, 0) AS outflow_other_banks_30d,
            coalesce(me.contribution_month, 0) + coalesce(h.c11, 0) AS contribution_12m,
            coalesce(me.contribution_month, 0) + coalesce(h.c_recent2, 0) AS c_last3,
            coalesce(h.c_prior3, 0) AS c_prior3
        FROM clients c LEFT JOIN month_end me USING (customer_no) LEFT JOIN hist h USING (customer_no)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_ind AS
        WITH lo AS (
            SELECT customer_no, max(overdue_days) AS max_overdue, max({class_points}) AS class_points,
                arg_max(classification, {class_rank}) AS worst_class
            FROM loans GROUP BY customer_no
        ), ho AS (
            SELECT customer_no, sum(balance) AS total,
                coalesce(max(balance) FILTER (WHERE risk_rating >= 'R3'), 0) AS top_risky
            FROM holdings GROUP BY customer_no
        ), fl AS (
            SELECT customer_no, count(DISTINCT tag) AS flags FROM client_tags WHERE tag IN ({risk_tags})
            GROUP BY customer_no
        ), pr AS (
            SELECT customer_no, sum(points) AS points FROM (
                SELECT DISTINCT customer_no, kind, {_case("kind", kind_points, "0")} AS points FROM facts
                UNION ALL
                SELECT DISTINCT customer_no, tag, {_case("tag", tag_points, "0")} FROM client_tags
            ) GROUP BY customer_no
        ), pairs AS (
            SELECT DISTINCT a, b FROM (
                SELECT from_customer_no AS a, to_customer_no AS b FROM links
                UNION ALL SELECT to_customer_no, from_customer_no FROM links
            ) WHERE a <> b
        ), re AS (
            SELECT p.a AS customer_no, count(*) AS link_count,
                sum(o.deposit_madb + o.investment_madb) AS linked_aum, sum(o.contribution_12m) AS linked_contribution
            FROM pairs p JOIN v_base o ON o.customer_no = p.b GROUP BY p.a
        )
        SELECT b.*,
            CASE WHEN b.c_prior3 > 0 THEN least(9.99, greatest(-9.99, (b.c_last3 - b.c_prior3) / b.c_prior3))
                ELSE 0 END AS contribution_trend,
            coalesce(lo.worst_class, '') AS worst_loan_class, coalesce(lo.max_overdue, 0) AS max_overdue_days,
            least(100, greatest(coalesce(lo.class_points, 0),
                {_num(risk["points_per_30_days_overdue"])} * ceil(coalesce(lo.max_overdue, 0) / 30.0))) AS loan_points,
            CASE WHEN coalesce(ho.total, 0) > 0 THEN ho.top_risky / ho.total ELSE 0 END AS concentration,
            coalesce(fl.flags, 0) AS risk_flags,
            (b.risk_assessed_on IS NULL OR b.risk_assessed_on < DATE '{kyc_cutoff}') AS kyc_stale,
            coalesce(pr.points, 0)::INTEGER AS prominence_points,
            coalesce(re.link_count, 0) AS link_count, coalesce(re.linked_aum, 0) AS linked_aum,
            coalesce(re.linked_contribution, 0) AS linked_contribution
        FROM v_base b LEFT JOIN lo USING (customer_no) LEFT JOIN ho USING (customer_no)
        LEFT JOIN fl USING (customer_no) LEFT JOIN pr USING (customer_no) LEFT JOIN re USING (customer_no)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_scores AS
        SELECT *,
            {contribution_score_sql(rules)} AS contribution_score,
            round(least(100, loan_points
                + CASE WHEN concentration > {_num(risk["concentration_above"])} THEN {_num(risk["concentration_points"])} ELSE 0 END
                + risk_flags * {_num(risk["flag_points"])}
                + CASE WHEN kyc_stale THEN {_num(risk["kyc_stale_points"])} ELSE 0 END), 2) AS risk_score,
            round(least(100, prominence_points), 2) AS prominence_score,
            round({_num(rel["aum_share"])} * {_ln_scale("linked_aum + linked_contribution", rel["linked_aum_full"])}
                + {_num(1 - float(rel["aum_share"]))} * least(100.0, 100.0 * link_count / {_num(rel["link_count_full"])}), 2)
                AS relatedness_score
        FROM v_ind"""
    )  # fmt: skip
    cap, penalty = float(clv["trend_cap"]), float(clv["outflow_penalty"])
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_value AS
        SELECT *,
            {value_score_sql(rules)} AS value_score,
            round({_num(clv["base_retention"])} * (1 - {_num(penalty)}
                * least(1, outflow_other_banks_30d / greatest(aum + outflow_other_banks_30d, 1))), 4) AS retention,
            least({_num(cap)}, greatest({_num(-cap)}, contribution_trend)) AS growth,
            {basis_sql(rules)} AS basis
        FROM v_scores"""
    )  # fmt: skip
    horizon, discount = int(clv["horizon_years"]), float(clv["discount_rate"])
    rank = _case("{col}", RANK, "NULL")
    months = {
        t["tier"]: t.get("downgrade_months", 3)
        for k in ("individual", "corporate")
        for t in rules[k]["tiers"]
    }
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_tier AS
        SELECT v.*,
            round(CASE WHEN abs(q - 1) < 1e-9 THEN contribution_12m * {horizon}
                ELSE contribution_12m * q * (1 - pow(q, {horizon})) / (1 - q) END, 2) AS clv,
            {qualified_tier_sql(rules, "v.")} AS qualified_tier,
            p.prev_tier, p.prev_rule_tier, coalesce(p.prev_months_below, 0) AS prev_months_below,
            o.override_kind, o.override_tier
        FROM (SELECT *, (1 + growth) * retention / {_num(1 + discount)} AS q FROM v_value) v
        LEFT JOIN (SELECT customer_no, tier AS prev_tier, rule_tier AS prev_rule_tier,
            months_below AS prev_months_below FROM prev) p USING (customer_no)
        LEFT JOIN (SELECT customer_no, kind AS override_kind, tier AS override_tier FROM overrides) o
            USING (customer_no)"""
    )
    same_ladder = (
        "prev_rule_tier IS NOT NULL AND ((kind = 'corporate') = (prev_rule_tier IN "
        f"({', '.join(repr(str(t)) for t in CORPORATE_LADDER)})))"
    )
    q_rank, p_rank = rank.format(col="qualified_tier"), rank.format(col="prev_rule_tier")
    below = f"({same_ladder} AND {q_rank} < {p_rank})"
    due = f"prev_months_below + 1 >= {_case('prev_rule_tier', months, '1')}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE valued AS
        SELECT *,
            CASE WHEN override_kind = 'override' THEN override_tier
                WHEN override_kind = 'disqualify' THEN CASE WHEN kind = 'corporate' THEN '{CORPORATE_LADDER[0]}'
                    ELSE '{INDIVIDUAL_LADDER[0]}' END
                ELSE rule_tier END AS tier,
            CASE WHEN override_kind = 'override' THEN 'override' WHEN override_kind = 'disqualify' THEN 'disqualified'
                WHEN months_below > 0 THEN 'watch' ELSE 'active' END AS state,
            coalesce(prev_tier, current_tier, '') AS previous_tier
        FROM (
            SELECT *,
                CASE WHEN {below} AND NOT ({due}) THEN prev_rule_tier ELSE qualified_tier END AS rule_tier,
                CASE WHEN {below} AND NOT ({due}) THEN prev_months_below + 1 ELSE 0 END AS months_below
            FROM v_tier
        )"""
    )


def _months_before(day: date, months: int) -> date:
    """The same day `months` earlier (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

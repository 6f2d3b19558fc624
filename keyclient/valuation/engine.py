"""The month-end valuation, set-based on DuckDB: the four value indicators, the value score, CLV, the
tier each client qualifies for, and the tier lifecycle (upgrade now, downgrade after N months below).

`compute(con, as_of, rules)` reads the relations listed in `INPUTS` from `con` (the caller fills them;
`ensure_inputs` creates any it left out, empty) and leaves one table, `valued`: one row per client with
every column of `ValueScore` and `TierAssignment` plus the state the next month needs. The formulas
are documented in docs/valuation.md; the rules come from the published `TierPolicy`.
"""

from __future__ import annotations

import calendar
import math
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from keyclient.core.duck import execute
from keyclient.valuation.choices import LOAN_CLASS_UNKNOWN
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

# The policy's rules keyed by a name (a tag, a kind of fact, a loan class, a tier) as tables: `policy_tables`.
POLICY_TABLES: dict[str, pa.Schema] = {
    "policy_tag_points": pa.schema([("tag", pa.string()), ("points", pa.float64())]),
    "policy_kind_points": pa.schema([("kind", pa.string()), ("points", pa.float64())]),
    "policy_risk_tags": pa.schema([("tag", pa.string())]),
    "policy_loan_classes": pa.schema([("classification", pa.string()), ("points", pa.float64()),
                                      ("severity", pa.int32())]),
    "policy_tiers": pa.schema([("tier", pa.string()), ("corporate", pa.bool_()), ("rank", pa.int32()),
                               ("downgrade_months", pa.int32())]),
}  # fmt: skip


def ensure_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Create, empty, every input relation the caller did not provide."""
    present = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() UNION ALL "
                                             "SELECT view_name FROM duckdb_views()").fetchall()}  # fmt: skip
    for name, columns in INPUTS.items():
        if name not in present:
            con.execute(f"CREATE TEMP TABLE {name} ({columns})")


def lit(value: object) -> str:
    """A SQL string literal, for our own file paths only (policy values are bound: see `compute`)."""
    return "'" + str(value).replace("'", "''") + "'"


def _num(value: Any) -> Decimal | float:
    """A policy number as a parameter of the type DuckDB gives the same number written as a literal
    (DECIMAL, or DOUBLE in exponent form), so that the arithmetic and its rounding are those of the
    rules as written."""
    text = repr(float(value))
    return float(text) if "e" in text or not math.isfinite(float(value)) else Decimal(text)


def rule_params(rules: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The numbers and tier names the shared expressions below read, as parameters `$<prefix><name>`:
    a policy's values reach DuckDB as data, never as SQL text."""
    weights = rules["score"]["weights"]
    params: dict[str, Any] = {
        "w_contribution": _num(weights["contribution"]),
        "w_prominence": _num(weights["prominence"]),
        "w_relatedness": _num(weights["relatedness"]),
        "w_risk": _num(weights["risk"]),
        "w_sum": _num(
            float(weights["contribution"]) + float(weights["prominence"]) + float(weights["relatedness"])
        ),
        "weight_deposit": _num(rules["individual"]["asset_weights"]["deposit"]),
        "weight_investment": _num(rules["individual"]["asset_weights"]["investment"]),
        "individual_base": str(INDIVIDUAL_LADDER[0]),
        "corporate_base": str(CORPORATE_LADDER[0]),
    }
    for n, t in enumerate(rules["individual"]["tiers"]):
        params.update({f"i{n}_tier": str(t["tier"]), f"i{n}_min_aum": _num(t["min_aum"]),
                       f"i{n}_min_value_score": _num(t.get("min_value_score", 0))})  # fmt: skip
    for n, t in enumerate(rules["corporate"]["tiers"]):
        params.update({f"c{n}_tier": str(t["tier"]), f"c{n}_min_value_score": _num(t.get("min_value_score", 0)),
                       f"c{n}_min_contribution": _num(t["min_contribution"]),
                       f"c{n}_min_deposit": _num(t["min_deposit"]), f"c{n}_min_loan": _num(t["min_loan"])})  # fmt: skip
    return {prefix + name: value for name, value in params.items()}


def percentile_sql(x: str, partition: str = "") -> str:
    """The position of a positive `x` in the bank's own distribution, 0–100: 100 × the share of the rows
    (of the same `partition`, e.g. `kind`) with a positive `x` that are at or below it, so the largest
    scores 100 on a bank of any size. 0 for `x` ≤ 0 (or NULL). A window over every row of the relation:
    the same for any currency or unit (multiplying every amount by a factor keeps each position)."""
    over = ", ".join(filter(None, [partition, f"({x} > 0)"]))
    return f"CASE WHEN {x} > 0 THEN 100.0 * cume_dist() OVER (PARTITION BY {over} ORDER BY {x}) ELSE 0 END"


def contribution_score_sql() -> str:
    """The contribution score (0–100): the 12-month contribution's percentile among the clients of the
    same kind with a positive contribution (`percentile_sql`)."""
    return f"round({percentile_sql('contribution_12m', 'kind')}, 2)"


def value_points_sql(p: str = "") -> str:
    """The weighted sum of the four indicator scores (`*_score` columns), within 0–100: the value
    score's input (`value_score_sql`)."""
    return (
        f"round(greatest(0, least(100, (${p}w_contribution * contribution_score "
        f"+ ${p}w_prominence * prominence_score "
        f"+ ${p}w_relatedness * relatedness_score "
        f"- ${p}w_risk * risk_score) / ${p}w_sum)), 2)"
    )


def value_score_sql(p: str = "") -> str:
    """The value score (0–100) from `value_points` (`value_points_sql`): its percentile among the
    clients of the same kind with positive points, so the bank's most valuable clients score near 100
    whatever the mix of indicators gives them in points."""
    return f"round({percentile_sql('value_points', 'kind')}, 2)"


def basis_sql(p: str = "") -> str:
    """The tier basis: asset-weighted monthly average AUM (individuals), 12-month contribution (corporates)."""
    return (
        f"round(CASE WHEN kind = 'corporate' THEN contribution_12m ELSE ${p}weight_deposit "
        f"* deposit_madb + ${p}weight_investment * investment_madb END, 2)"
    )


def qualified_tier_sql(rules: dict[str, Any], p: str = "", prefix: str = "") -> str:
    """The tier the rules give, from `kind`, `basis`, `value_score`, `contribution_12m`, `deposit_madb`
    and `loan_madb` (the engine and the what-if of a draft policy share it). Only the number of tiers
    shapes the SQL; their bars and names are the parameters of `rule_params(rules, p)`."""
    ind_whens = " ".join(
        f"WHEN basis >= ${p}i{n}_min_aum AND value_score >= ${p}i{n}_min_value_score THEN ${p}i{n}_tier"
        for n in range(len(rules["individual"]["tiers"]))
    )
    corp_whens = " ".join(
        f"WHEN value_score >= ${p}c{n}_min_value_score AND (contribution_12m >= ${p}c{n}_min_contribution "
        f"OR deposit_madb >= ${p}c{n}_min_deposit OR loan_madb >= ${p}c{n}_min_loan) THEN ${p}c{n}_tier"
        for n in range(len(rules["corporate"]["tiers"]))
    )
    return (
        f"CASE WHEN {prefix}kind = 'corporate' THEN CASE {corp_whens} ELSE ${p}corporate_base END "
        f"ELSE CASE {ind_whens} ELSE ${p}individual_base END END"
    )


def policy_tables(con: duckdb.DuckDBPyConnection, rules: dict[str, Any]) -> None:
    """The rules keyed by a name, registered as the relations of `POLICY_TABLES`: tag points, points per kind of
    prominence fact, risk tags, loan classes (points and severity), tiers (ladder, rank, months below
    before a downgrade). Names are joined as data, so any name a policy may hold works."""
    score = rules["score"]
    prominence, risk = score.get("prominence") or {}, score["risk"]
    class_points = risk["loan_class_points"]
    months = {str(t["tier"]): int(t.get("downgrade_months", 3))
              for kind in ("individual", "corporate") for t in rules[kind]["tiers"]}  # fmt: skip
    rows: dict[str, list[tuple[Any, ...]]] = {
        "policy_tag_points": [(str(k), float(v)) for k, v in (prominence.get("tag_points") or {}).items()],
        "policy_kind_points": [(str(k), float(v)) for k, v in (prominence.get("kind_points") or {}).items()],
        "policy_risk_tags": [(t,) for t in dict.fromkeys(str(t) for t in risk.get("risk_tags", []))],
        "policy_loan_classes": [
            (c, float(class_points[c]) if c in class_points else None,
             LOAN_CLASSES.index(c) if c in LOAN_CLASSES else None)
            for c in dict.fromkeys([*LOAN_CLASSES, *(str(k) for k in class_points)])
        ],
        "policy_tiers": [
            (tier, tier in {str(t) for t in CORPORATE_LADDER}, rank, months.get(tier, 1))
            for tier, rank in RANK.items()
        ],
    }  # fmt: skip
    for name, schema in POLICY_TABLES.items():
        columns = list(zip(*rows[name], strict=True)) if rows[name] else [[] for _f in schema]
        con.register(
            name, pa.table([pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)
        )


def compute(con: duckdb.DuckDBPyConnection, as_of: date, rules: dict[str, Any]) -> None:
    """Fill `valued` for the month ending `as_of` (see the module docstring).

    Every value of `rules` reaches DuckDB as data: numbers and tier names as bound parameters
    (`rule_params`), the rules keyed by a name as joined tables (`policy_tables`). The SQL text is
    built only from our own column names and the number of tiers."""
    ensure_inputs(con)
    policy_tables(con, rules)
    score = rules["score"]
    risk, rel, clv = score["risk"], score["relatedness"], rules["clv"]
    cap = float(clv["trend_cap"])
    params = {
        **rule_params(rules),
        "as_of": as_of,
        "kyc_cutoff": _months_before(as_of, int(risk["kyc_valid_months"])),
        "loan_class_unknown": LOAN_CLASS_UNKNOWN,
        "points_per_30_days_overdue": _num(risk["points_per_30_days_overdue"]),
        "concentration_above": _num(risk["concentration_above"]),
        "concentration_points": _num(risk["concentration_points"]),
        "flag_points": _num(risk["flag_points"]),
        "kyc_stale_points": _num(risk["kyc_stale_points"]),
        "aum_share": _num(rel["aum_share"]),
        "count_share": _num(1 - float(rel["aum_share"])),
        "link_count_full": _num(rel["link_count_full"]),
        "base_retention": _num(clv["base_retention"]),
        "outflow_penalty": _num(clv["outflow_penalty"]),
        "trend_cap": _num(cap),
        "trend_floor": _num(-cap),
        "horizon": int(clv["horizon_years"]),
        "discount": _num(1 + float(clv["discount_rate"])),
    }

    execute(
        con,
        """CREATE OR REPLACE TEMP TABLE v_base AS
        WITH hist AS (
            SELECT customer_no,
                sum(contribution_month) AS c11,
                sum(contribution_month) FILTER (WHERE m <= 2) AS c_recent2,
                sum(contribution_month) FILTER (WHERE m BETWEEN 3 AND 5) AS c_prior3
            FROM (SELECT customer_no, contribution_month, date_diff('month', as_of, $as_of) AS m FROM history)
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
        FROM clients c LEFT JOIN month_end me USING (customer_no) LEFT JOIN hist h USING (customer_no)""",
        params,
    )
    execute(
        con,
        """CREATE OR REPLACE TEMP TABLE v_ind AS
        WITH lo AS (
            SELECT l.customer_no, max(l.overdue_days) AS max_overdue, max(coalesce(c.points, 0)) AS class_points,
                arg_max(l.classification, coalesce(c.severity, -1)) AS worst_class,
                max(coalesce(c.severity, 0)) AS worst_severity,
                bool_or(l.classification IS NULL) AS class_unknown, bool_or(l.overdue_days IS NULL) AS overdue_unknown
            FROM loans l LEFT JOIN policy_loan_classes c USING (classification) GROUP BY l.customer_no
        ), ho AS (
            SELECT customer_no, sum(balance) AS total,
                coalesce(max(balance) FILTER (WHERE risk_rating >= 'R3'), 0) AS top_risky
            FROM holdings GROUP BY customer_no
        ), fl AS (
            SELECT customer_no, count(DISTINCT tag) AS flags FROM client_tags
            WHERE tag IN (SELECT tag FROM policy_risk_tags)
            GROUP BY customer_no
        ), pr AS (
            SELECT customer_no, sum(points) AS points FROM (
                SELECT f.customer_no, f.kind, coalesce(k.points, 0) AS points
                FROM (SELECT DISTINCT customer_no, kind FROM facts) f LEFT JOIN policy_kind_points k USING (kind)
                UNION ALL
                SELECT t.customer_no, t.tag, coalesce(k.points, 0)
                FROM (SELECT DISTINCT customer_no, tag FROM client_tags) t LEFT JOIN policy_tag_points k USING (tag)
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
            -- Shown: a loan without its class or overdue days is unknown (未知 / NULL), never 正常 or 0,
            -- unless a known class or overdue count of another loan is worse.
            CASE WHEN lo.customer_no IS NULL THEN ''
                WHEN lo.class_unknown AND lo.worst_severity = 0 THEN $loan_class_unknown
                ELSE lo.worst_class END AS worst_loan_class,
            CASE WHEN lo.customer_no IS NULL THEN 0
                WHEN lo.overdue_unknown AND coalesce(lo.max_overdue, 0) = 0 THEN NULL
                ELSE lo.max_overdue END AS max_overdue_days,
            least(100, greatest(coalesce(lo.class_points, 0),
                $points_per_30_days_overdue * ceil(coalesce(lo.max_overdue, 0) / 30.0))) AS loan_points,
            CASE WHEN coalesce(ho.total, 0) > 0 THEN ho.top_risky / ho.total ELSE 0 END AS concentration,
            coalesce(fl.flags, 0) AS risk_flags,
            b.risk_assessed_on < $kyc_cutoff AS kyc_stale,
            round(coalesce(pr.points, 0))::INTEGER AS prominence_points,
            coalesce(re.link_count, 0) AS link_count, coalesce(re.linked_aum, 0) AS linked_aum,
            coalesce(re.linked_contribution, 0) AS linked_contribution
        FROM v_base b LEFT JOIN lo USING (customer_no) LEFT JOIN ho USING (customer_no)
        LEFT JOIN fl USING (customer_no) LEFT JOIN pr USING (customer_no) LEFT JOIN re USING (customer_no)""",
        params,
    )
    execute(
        con,
        f"""CREATE OR REPLACE TEMP TABLE v_scores AS
        SELECT *,
            {contribution_score_sql()} AS contribution_score,
            round(least(100, loan_points
                + CASE WHEN concentration > $concentration_above THEN $concentration_points ELSE 0 END
                + risk_flags * $flag_points
                + CASE WHEN kyc_stale THEN $kyc_stale_points ELSE 0 END), 2) AS risk_score,
            round(least(100, prominence_points), 2) AS prominence_score,
            round($aum_share * {percentile_sql("linked_aum + linked_contribution")}
                + $count_share * least(100.0, 100.0 * link_count / $link_count_full), 2)
                AS relatedness_score
        FROM v_ind""",  # noqa: S608 - the SQL of our own expressions; every policy value is a bound parameter
        params,
    )
    execute(
        con,
        f"""CREATE OR REPLACE TEMP TABLE v_value AS
        SELECT *,
            {value_score_sql()} AS value_score,
            round($base_retention * (1 - $outflow_penalty
                * least(1, outflow_other_banks_30d / greatest(aum + outflow_other_banks_30d, 1))), 4) AS retention,
            least($trend_cap, greatest($trend_floor, contribution_trend)) AS growth,
            {basis_sql()} AS basis
        FROM (SELECT *, {value_points_sql()} AS value_points FROM v_scores)""",  # noqa: S608 - the SQL of our own expressions; every policy value is a bound parameter
        params,
    )
    execute(
        con,
        f"""CREATE OR REPLACE TEMP TABLE v_tier AS
        SELECT v.*,
            round(CASE WHEN abs(q - 1) < 1e-9 THEN contribution_12m * $horizon
                ELSE contribution_12m * q * (1 - pow(q, $horizon)) / (1 - q) END, 2) AS clv,
            {qualified_tier_sql(rules, prefix="v.")} AS qualified_tier,
            p.prev_tier, p.prev_rule_tier, coalesce(p.prev_months_below, 0) AS prev_months_below,
            o.override_kind, o.override_tier
        FROM (SELECT *, (1 + growth) * retention / $discount AS q FROM v_value) v
        LEFT JOIN (SELECT customer_no, tier AS prev_tier, rule_tier AS prev_rule_tier,
            months_below AS prev_months_below FROM prev) p USING (customer_no)
        LEFT JOIN (SELECT customer_no, kind AS override_kind, tier AS override_tier FROM overrides) o
            USING (customer_no)""",  # noqa: S608 - the SQL of our own expressions; every policy value is a bound parameter
        params,
    )
    # Below last month's tier on the same ladder: watch, and down after the tier's months below.
    execute(
        con,
        """CREATE OR REPLACE TEMP TABLE valued AS
        SELECT *,
            CASE WHEN override_kind = 'override' THEN override_tier
                WHEN override_kind = 'disqualify' THEN CASE WHEN kind = 'corporate' THEN $corporate_base
                    ELSE $individual_base END
                ELSE rule_tier END AS tier,
            CASE WHEN override_kind = 'override' THEN 'override' WHEN override_kind = 'disqualify' THEN 'disqualified'
                WHEN months_below > 0 THEN 'watch' ELSE 'active' END AS state,
            coalesce(prev_tier, current_tier, '') AS previous_tier
        FROM (
            SELECT t.* EXCLUDE (below, due),
                CASE WHEN t.below AND NOT t.due THEN t.prev_rule_tier ELSE t.qualified_tier END AS rule_tier,
                CASE WHEN t.below AND NOT t.due THEN t.prev_months_below + 1 ELSE 0 END AS months_below
            FROM (
                SELECT v.*, (v.prev_rule_tier IS NOT NULL
                        AND ((v.kind = 'corporate') = coalesce(p.corporate, false)) AND q.rank < p.rank) AS below,
                    v.prev_months_below + 1 >= coalesce(p.downgrade_months, 1) AS due
                FROM v_tier v
                LEFT JOIN policy_tiers q ON q.tier = v.qualified_tier
                LEFT JOIN policy_tiers p ON p.tier = v.prev_rule_tier
            ) t
        )""",
        params,
    )


def _months_before(day: date, months: int) -> date:
    """The same day `months` earlier (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

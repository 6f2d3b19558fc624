"""Currencies at intake: amounts in another currency are converted into the reporting currency
(`keyclient.core.money`) before they land, set-based in DuckDB, so the lake, the pipeline and valuation
only ever see reporting-currency amounts.

A row's currency is its `currency` column (empty: the reporting currency). Its rate is, in order:

1. the `fx_rates` extract's rate for that currency on the row's date, or the latest earlier one at most
   `MAX_RATE_AGE_DAYS` days old (rates of this load, then of earlier loads, read from the lake);
2. the mapping's fixed `[fx_rates]` rate for that currency.

A row in another currency without a rate is rejected, naming the currency and the date (never the
amount). What lands: the converted amounts (rounded to the cent), `currency` (the original one),
`fx_rate` (1 for the reporting currency) and `<amount>_original` (the amount as sent; empty when the
row was in the reporting currency), so every conversion can be checked from the lake.

`validate.validate` calls `attach` once the row's texts are parsed, adds `checks` to its rules and
builds the accepted rows with `ok_columns`; `landing.landed` adds `landed_columns`.
"""

from __future__ import annotations

import duckdb

from keyclient.core.duck import execute
from keyclient.core.money import reporting_currency
from keyclient.intake import lake
from keyclient.intake.formats import MONEY, Extract
from keyclient.intake.mapping import Mapping

# The longest closure of the mainland FX market (Spring Festival, National Day: up to 8 calendar days)
# with a weekend's margin: an older rate is a missing feed, and the rows are rejected rather than
# converted at a stale rate.
MAX_RATE_AGE_DAYS = 10


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def rates(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> None:
    """`fx_dated(currency, date, rate)`: this load's `fx_rates` plus earlier loads' from the lake (a date
    this load brings replaces the lake's); `fx_fixed(currency, rate)`: the mapping's rates."""
    sources = []
    loaded = bool(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ok_fx_rates'").fetchall()[0][0]
    )
    if loaded:
        sources.append("SELECT upper(currency) AS currency, date, rate FROM ok_fx_rates")
    params: dict[str, object] = {}
    folder = lake.lake_dir() / "fx_rates"
    if any(folder.glob("date=*/*.parquet")):
        params["landed"] = str(folder / "date=*" / "*.parquet")
        mine = "WHERE date NOT IN (SELECT date FROM ok_fx_rates)" if loaded else ""
        sources.append(
            "SELECT upper(currency) AS currency, date, rate FROM read_parquet($landed, "  # noqa: S608 - our table; the path bound
            f"hive_partitioning = true, hive_types = {{'date': DATE}}) {mine}"
        )
    union = (
        " UNION ALL ".join(sources)
        or "SELECT NULL::VARCHAR AS currency, NULL::DATE AS date, NULL::DOUBLE AS rate"
    )
    execute(
        con,
        f"CREATE OR REPLACE TEMP TABLE fx_dated AS SELECT * FROM ({union}) WHERE currency IS NOT NULL",  # noqa: S608 - our tables
        params,
    )
    con.execute("CREATE OR REPLACE TEMP TABLE fx_fixed (currency VARCHAR, rate DOUBLE)")
    if mapping.fx_rates:
        con.executemany("INSERT INTO fx_fixed VALUES (?, ?)", list(mapping.fx_rates.items()))


def attach(con: duckdb.DuckDBPyConnection, ext: Extract, table: str, mapping: Mapping) -> None:
    """Add to the parsed rows of a money extract (`table`) their currency `_fx_currency`, whether it is a
    foreign one (`_fx_foreign`) and its rate `_fx_rate` (NULL: none found).

    The rate is looked up once per distinct (currency, date) of the foreign rows (`fx_pick`, small), then
    joined by equality; an extract without foreign rows only gets constant columns (no rewrite)."""
    if ext.name not in MONEY:
        return
    rates(con, mapping)
    day = _q(ext.date_column + "__v")
    params = {"reporting": reporting_currency()}
    execute(
        con,
        f"""CREATE OR REPLACE TEMP TABLE fx_pick AS
        SELECT n.currency, n.day,
            CASE WHEN d.date >= n.day - INTERVAL {MAX_RATE_AGE_DAYS} DAY THEN d.rate ELSE f.rate END AS rate
        FROM (SELECT DISTINCT upper(currency) AS currency, {day} AS day FROM {table}
              WHERE upper(currency) <> $reporting) n
        ASOF LEFT JOIN fx_dated d ON d.currency = n.currency AND n.day >= d.date
        LEFT JOIN fx_fixed f ON f.currency = n.currency""",  # noqa: S608 - our tables and declared names; the currency bound
        params,
    )
    if not con.execute("SELECT count(*) FROM fx_pick").fetchall()[0][0]:
        for column, sql_type, value in (
            ("_fx_currency", "VARCHAR", lit(params["reporting"])),
            ("_fx_foreign", "BOOLEAN", "false"),
            ("_fx_rate", "DOUBLE", "1.0"),
        ):
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type} DEFAULT {value}")
        return
    execute(
        con,
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT v.*, coalesce(upper(v.currency), $reporting) AS _fx_currency,
            p.currency IS NOT NULL AS _fx_foreign, CASE WHEN p.currency IS NULL THEN 1.0 ELSE p.rate END AS _fx_rate
        FROM {table} v LEFT JOIN fx_pick p ON p.currency = upper(v.currency) AND p.day IS NOT DISTINCT FROM v.{day}""",  # noqa: S608 - our tables and declared names; the currency bound
        params,
    )


def checks(ext: Extract) -> list[tuple[str, str, str]]:
    """The rule of a money extract: a row in a currency without a rate is rejected (field, predicate, reason)."""
    if ext.name not in MONEY:
        return []
    day = _q(ext.date_column + "__v")
    reason = (
        f"'no exchange rate for ' || _fx_currency || ' on ' || {day} || "
        f"' (none in fx_rates on that date or up to {MAX_RATE_AGE_DAYS} days before, none in the mapping)'"
    )
    return [("currency", f"_fx_rate IS NULL AND {day} IS NOT NULL", reason)]


def ok_columns(ext: Extract) -> str:
    """The accepted rows' columns: amounts converted, the currency as sent (upper case), and the audit columns."""
    amounts = MONEY.get(ext.name, ())
    selects = []
    for c in ext.column_names:
        value = _q(c + "__v")
        if c in amounts:
            selects.append(
                f"CASE WHEN _fx_foreign THEN round({value} * _fx_rate, 2) ELSE {value} END AS {_q(c)}"
            )
        elif c == "currency" and amounts:
            selects.append("_fx_currency AS currency")
        else:
            selects.append(f"{value} AS {_q(c)}")
    if amounts:
        selects.append("_fx_rate AS fx_rate")
        selects += [
            f"CASE WHEN _fx_foreign THEN {_q(c + '__v')} END AS {_q(c + '_original')}" for c in amounts
        ]
    return ", ".join(selects)


def landed_columns(ext: Extract) -> list[str]:
    """The audit columns a money extract lands besides its declared ones."""
    amounts = MONEY.get(ext.name, ())
    return ["fx_rate", *(f"{c}_original" for c in amounts)] if amounts else []

"""A mapping's field expressions: restricted DuckDB SQL over the declared source columns, checked
against an allow-list before anything runs.

An expression may hold column references (a source column, or `<source>.<column>` of a joined
source), literals, arithmetic, comparison and logical operators, `||`, `IN (...)`, `BETWEEN`,
`LIKE`, `IS [NOT] NULL`, `CASE`, `CAST` / `TRY_CAST` / `::` and the scalar functions of `FUNCTIONS`.
Everything else is refused: subqueries, table functions and file access (`read_csv`,
`read_parquet`, `glob`…), statements, parameters, window and aggregate functions, lambdas.

`compile_expression` returns the SQL that runs: sqlglot's rendering of the checked tree, with each
column reference qualified by its source's alias and each string literal turned into a bound
parameter, so the text the bank wrote never reaches DuckDB as it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

# Scalar functions an expression may call, by the name a bank writes (DuckDB's names).
FUNCTIONS = frozenset(
    {
        "abs", "ceil", "ceiling", "coalesce", "concat", "concat_ws", "contains", "day", "ends_with",
        "floor", "greatest", "if", "least", "left", "length", "lower", "lpad", "ltrim", "make_date",
        "month", "nullif", "regexp_extract", "regexp_full_match", "regexp_matches", "regexp_replace",
        "replace", "right", "round", "rpad", "rtrim", "sign", "split_part", "starts_with", "strftime",
        "strip_accents", "strpos", "strptime", "substr", "substring", "trim", "trunc", "try_strptime",
        "upper", "year", "ifnull",
    }
)  # fmt: skip

# The tree nodes that are not function calls and may appear (operators, literals, CASE, CAST…).
NODES: tuple[type[exp.Expr], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Neg, exp.Not,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.DPipe,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or, exp.Is, exp.In, exp.Between,
    exp.Like, exp.ILike, exp.Case, exp.If, exp.Cast, exp.TryCast, exp.DataType, exp.DataTypeParam,
    exp.Var,
)  # fmt: skip

# sqlglot parses some functions into typed nodes; their DuckDB names (the rest are `Anonymous`).
_TYPED_NAMES: dict[type, str] = {
    exp.Abs: "abs", exp.Ceil: "ceil", exp.Coalesce: "coalesce", exp.Concat: "concat",
    exp.ConcatWs: "concat_ws", exp.Day: "day", exp.Floor: "floor", exp.Greatest: "greatest",
    exp.Least: "least", exp.Left: "left", exp.Length: "length", exp.Lower: "lower", exp.Pad: "lpad",
    exp.Month: "month", exp.Nullif: "nullif", exp.RegexpExtract: "regexp_extract",
    exp.RegexpLike: "regexp_matches", exp.RegexpReplace: "regexp_replace", exp.Replace: "replace",
    exp.Right: "right", exp.Round: "round", exp.StartsWith: "starts_with", exp.TimeToStr: "strftime",
    exp.StrToTime: "strptime", exp.Substring: "substr", exp.Trim: "trim", exp.Upper: "upper",
    exp.Year: "year", exp.DateFromParts: "make_date", exp.Sign: "sign", exp.StrPosition: "strpos",
    exp.SplitPart: "split_part", exp.Trunc: "trunc",
}  # fmt: skip


class ExpressionError(ValueError):
    """The expression is not allowed (the message says why)."""


@dataclass(frozen=True)
class ColumnRef:
    """A column an expression reads: `source` is "" for the extract's main source."""

    source: str
    column: str


def parse(text: str) -> exp.Expr:
    """The one expression of `text`, checked against the allow-list (raises `ExpressionError`)."""
    try:
        trees = sqlglot.parse(text, dialect="duckdb")
    except ParseError as exc:
        raise ExpressionError(
            f"not a valid expression: {exc.errors[0]['description'] if exc.errors else exc}"
        ) from exc
    if len(trees) != 1 or trees[0] is None:
        raise ExpressionError("one expression expected, not statements separated by ';'")
    tree = trees[0]
    for node in tree.walk():
        _check(node)
    return tree


def _check(node: exp.Expr) -> None:
    if isinstance(node, exp.Subquery | exp.Select | exp.Query | exp.Exists):
        raise ExpressionError("subqueries are not allowed")
    if isinstance(node, exp.Table | exp.From | exp.Join):
        raise ExpressionError("tables are not allowed")
    if isinstance(node, exp.Placeholder | exp.Parameter):
        raise ExpressionError("parameters are not allowed")
    if isinstance(node, exp.Star):
        raise ExpressionError("* is not allowed")
    if isinstance(node, exp.Window | exp.AggFunc):
        raise ExpressionError("window and aggregate functions are not allowed")
    if isinstance(node, exp.In) and node.args.get("query"):
        raise ExpressionError("subqueries are not allowed")
    if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
        raise ExpressionError(f"{node.sql(dialect='duckdb')}: only <source>.<column> references are allowed")
    if isinstance(node, NODES):
        return
    if isinstance(node, exp.Func):
        name = function_name(node)
        if name not in FUNCTIONS:
            raise ExpressionError(
                f"function {name}() is not allowed (docs/intake.md lists the functions an expression may call)"
            )
        return
    raise ExpressionError(f"{node.key.upper()} is not allowed")


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.Trim) and node.args.get("position"):
        return {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(str(node.args["position"]).upper(), "trim")
    return _TYPED_NAMES.get(type(node), node.sql_name().lower())


def references(tree: exp.Expr) -> list[ColumnRef]:
    """The columns `tree` reads, in order of appearance (once each)."""
    refs = [ColumnRef(str(c.table), str(c.name)) for c in tree.find_all(exp.Column)]
    return list(dict.fromkeys(refs))


def compile_expression(
    tree: exp.Expr, column: Callable[[ColumnRef], exp.Expr], params: dict[str, object], prefix: str
) -> str:
    """The SQL of the checked `tree`: each column reference becomes `column(ref)` (a qualified,
    quoted column) and each string literal a parameter `$<prefix><n>` added to `params`."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            return column(ColumnRef(str(node.table), str(node.name)))
        if isinstance(node, exp.Literal) and node.is_string:
            name = f"{prefix}{len(params)}"
            params[name] = str(node.this)
            return exp.Placeholder(this=name)
        return node

    return tree.copy().transform(rewrite).sql(dialect="duckdb")

"""DuckDB statements with named parameters: what a user, a bank or a policy supplies is bound as `$name`,
never written into the SQL text (docs/security.md, "SQL built from data")."""

from __future__ import annotations

import re
from typing import Any

import duckdb

_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Run `sql` with the `$name` parameters it uses bound from `params` (DuckDB refuses unused ones;
    a name `sql` uses and `params` lacks is a KeyError)."""
    return con.execute(sql, {name: params[name] for name in set(_PARAMETER.findall(sql))})

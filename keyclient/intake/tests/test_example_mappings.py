"""The example mappings read the public datasets in place (../shared/data, see its README): the
balances they map give the README's concentration references (top 20% of clients by balance)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from keyclient.intake.compile import read_extract
from keyclient.intake.formats import BY_NAME
from keyclient.intake.mapping import load_mapping
from keyclient.intake.sources import Reader, find_files
from keyclient.intake.validate import Staged

REPO = Path(__file__).resolve().parents[3]


def shared_data() -> Path | None:
    """`../shared/data` beside the checkout (or beside its worktree folder), or $KEYCLIENT_SHARED_DATA."""
    candidates = [Path(os.environ["KEYCLIENT_SHARED_DATA"])] if "KEYCLIENT_SHARED_DATA" in os.environ else []
    candidates += [REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data"]
    return next((c for c in candidates if (c / "README.md").is_file()), None)


TOP_20 = "round(100 * sum(v) FILTER (WHERE n <= t * 0.2) / sum(v), 2)"


@pytest.mark.parametrize(
    ("mapping", "folder", "rows", "all_clients", "positive"),
    [
        ("churn_modelling", "bank_churn", 10_000, 40.18, 27.03),
        ("bank_marketing", "bank_marketing", 45_211, 74.47, 69.70),
    ],
)
def test_an_example_mapping_reads_its_dataset(
    mapping: str, folder: str, rows: int, all_clients: float, positive: float, tmp_path: Path
) -> None:
    data = shared_data()
    if data is None:
        pytest.skip("the public datasets (../shared/data) are not beside this checkout")
    source = data / folder
    loaded = load_mapping(REPO / "examples" / "mappings" / f"{mapping}.toml")
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE rejects (extract VARCHAR, file VARCHAR, line BIGINT, field VARCHAR, reason VARCHAR)"
    )
    reader = Reader(con, source, loaded, tmp_path)
    # (the whole load, client master and pipeline included: tests/test_real_banks.py)
    staged = Staged(BY_NAME["daily_balances"], find_files(source, BY_NAME["daily_balances"], loaded))
    assert read_extract(con, staged, loaded, reader) == []
    assert con.execute("SELECT count(*) FROM rejects").fetchone() == (0,)
    assert con.execute(
        "SELECT count(*), count(DISTINCT customer_no), min(date), max(date) FROM raw_daily_balances"
    ).fetchone() == (
        rows,
        rows,
        loaded.fields["daily_balances"]["date"].text,
        loaded.fields["daily_balances"]["date"].text,
    )
    shares = con.execute(
        f"""WITH b AS (SELECT CAST(deposit AS DOUBLE) AS d FROM raw_daily_balances),
        everyone AS (SELECT greatest(d, 0) AS v, row_number() OVER (ORDER BY d DESC) AS n, count(*) OVER () AS t FROM b),
        holders AS (SELECT d AS v, row_number() OVER (ORDER BY d DESC) AS n, count(*) OVER () AS t FROM b WHERE d > 0)
        SELECT (SELECT {TOP_20} FROM everyone), (SELECT {TOP_20} FROM holders)"""
    ).fetchone()
    assert shares == (all_clients, positive)

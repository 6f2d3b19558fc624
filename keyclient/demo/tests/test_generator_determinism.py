"""Determinism, CSV output and the check-character arithmetic of the demo-bank generator."""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from keyclient.demo.generator import generate
from keyclient.demo.generator.identity import (
    account_numbers,
    resident_ids,
    uscc,
    valid_luhn,
    valid_resident_id,
    valid_uscc,
)


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = {}
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        runs[name] = tmp_path_factory.mktemp(f"small-{name}")
        generate(runs[name], customers=3_000, seed=seed, months=3, as_of=date(2026, 3, 31))
    return runs


def test_same_seed_gives_identical_files(small: dict[str, Path]) -> None:
    a, b = digests(small["a"]), digests(small["b"])
    assert len(a) == 9 + 2 * 3  # 8 single files + leavers + 3 partitions of each partitioned extract
    assert a == b


def test_other_seed_gives_other_data(small: dict[str, Path]) -> None:
    a, c = digests(small["a"]), digests(small["c"])
    assert a.keys() == c.keys()
    differ = {name for name in a if a[name] != c[name]}
    assert {
        "customers.parquet",
        "links.parquet",
        "accounts.parquet",
        "holdings.parquet",
        "loans.parquet",
    } <= differ
    assert "transactions/month=2026-03/part-0.parquet" in differ
    assert a["products.parquet"] == c["products.parquet"]


def test_rerun_into_same_directory_replaces_output(tmp_path: Path) -> None:
    generate(tmp_path, customers=400, seed=3, months=2)
    first = digests(tmp_path)
    generate(tmp_path, customers=400, seed=3, months=1)
    assert not (tmp_path / "transactions" / "month=2026-09").exists()
    generate(tmp_path, customers=400, seed=3, months=2)
    assert digests(tmp_path) == first


def test_csv_output(tmp_path: Path) -> None:
    summary = generate(tmp_path, customers=500, seed=5, fmt="csv", months=2)
    for name in ("org_units", "staff", "customers", "products", "accounts", "holdings", "loans", "links"):
        path = tmp_path / f"{name}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert len(rows) - 1 == summary["rows"][name]
    with (tmp_path / "customers.csv").open(encoding="utf-8", newline="") as fh:
        header, first = next(csv.reader(fh)), None
        reader = csv.DictReader(fh, fieldnames=header)
        first = next(r for r in reader if r["kind"] == "individual")
    assert header[:4] == ["customer_no", "kind", "name", "gender"]
    assert len(first["birth_date"]) == 10 and first["birth_date"][4] == "-"
    assert valid_resident_id(first["id_number"]) or first["id_type"] == "passport"
    parts = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/month=*/part-0.csv"))
    assert parts == [
        "daily_balances/month=2026-09/part-0.csv",
        "daily_balances/month=2026-10/part-0.csv",
        "transactions/month=2026-09/part-0.csv",
        "transactions/month=2026-10/part-0.csv",
    ]
    with (tmp_path / "transactions/month=2026-10/part-0.csv").open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        row = next(reader)
    assert set(row) >= {"txn_id", "date", "customer_no", "amount", "direction", "counterparty_name"}
    assert row["date"].startswith("2026-10-")
    assert (tmp_path / "ground_truth" / "leavers.csv").exists()


def test_check_characters_on_known_values() -> None:
    assert valid_resident_id("11010519491231002X")
    assert not valid_resident_id("110105194912310021")
    assert valid_uscc("91350100M000100Y43")
    assert not valid_uscc("91350100M000100Y44")
    assert valid_luhn("79927398713") and not valid_luhn("79927398710")
    ids = resident_ids(
        np.array([110105]), np.array(["1949-12-31"], dtype="datetime64[D]"), np.array([2])
    ).to_pylist()
    assert ids == ["11010519491231002X"]
    codes = uscc(np.array([330106, 440305]), np.arange(2)).to_pylist()
    assert all(valid_uscc(c) and c.startswith("91") for c in codes)
    accounts = account_numbers(np.array([621668] * 1000), np.arange(1000)).to_pylist()
    assert len(set(accounts)) == 1000 and all(len(a) == 19 and valid_luhn(a) for a in accounts)


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fmt"):
        generate(tmp_path, customers=100, fmt="xlsx")
    with pytest.raises(ValueError, match="months"):
        generate(tmp_path, customers=100, months=0)

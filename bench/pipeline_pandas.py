"""The pandas baseline of `bench/pipeline.py`: the pipeline's daily indicators for one date, written the
way a bank analyst would, in plain pandas, from the same lake partitions.

    python bench/pipeline_pandas.py --lake LAKE --date D [--compare indicators.parquet] --out step.json

No running state: every run reads what the indicators need from the lake (the month's daily balances,
90 days of transactions, the latest accounts, products and holdings), as the pipeline's bootstrap
run does. `--compare` checks the result against the indicators the pipeline wrote into the CRM
database (exported by `pipeline_steps.py run --export`) on every client: money within 0.01, counts
and dates equal.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

THIS_BANK = "999"  # counterparty bank code of the bank itself
MONEY_TOLERANCE = 0.01


def read_partition(lake: Path, extract: str, day: date, columns: list[str]) -> pd.DataFrame | None:
    files = sorted((lake / extract / f"date={day}").glob("*.parquet"))
    if not files:
        return None
    frame = pd.concat([pd.read_parquet(f, columns=columns) for f in files], ignore_index=True)
    frame["date"] = pd.Timestamp(day)
    return frame


def read_days(lake: Path, extract: str, days: list[date], columns: list[str]) -> pd.DataFrame:
    frames = [f for d in days if (f := read_partition(lake, extract, d, columns)) is not None]
    return pd.concat(frames, ignore_index=True)


def read_latest(lake: Path, extract: str, day: date, columns: list[str]) -> pd.DataFrame:
    """The latest snapshot partition on or before `day`."""
    found = sorted(p.name[5:] for p in (lake / extract).glob("date=*") if p.name[5:] <= str(day))
    frame = read_partition(lake, extract, date.fromisoformat(found[-1]), columns) if found else None
    return frame if frame is not None else pd.DataFrame(columns=columns)


def read_inputs(lake: Path, day: date) -> dict[str, pd.DataFrame]:
    month = [date(day.year, day.month, n) for n in range(1, day.day + 1)]
    window = [day - timedelta(days=back) for back in range(89, -1, -1)]
    return {
        "balances": read_days(
            lake, "daily_balances", month, ["customer_no", "deposit", "investment", "loan"]
        ),
        "transactions": read_days(
            lake,
            "transactions",
            window,
            ["customer_no", "account_bidx", "amount", "direction", "txn_type", "counterparty_bank_code"],
        ),
        "accounts": read_latest(lake, "accounts", day, ["account_bidx", "product_code"]),
        "products": read_latest(lake, "products", day, ["product_code", "fee_rate"]),
        "holdings": read_latest(
            lake, "holdings", day, ["customer_no", "product_code", "balance", "maturity_date"]
        ),
    }


def indicators(inputs: dict[str, pd.DataFrame], day: date, price: dict[str, float]) -> pd.DataFrame:
    """One row per client with a balance on `day`: the pipeline's DAILY indicators."""
    today = pd.Timestamp(day)
    tx = inputs["transactions"]
    bal = inputs["balances"]

    # Fee income per transaction: fees, plus purchases times the product's fee rate.
    fee_rate = (
        inputs["accounts"].merge(inputs["products"], on="product_code").set_index("account_bidx")["fee_rate"]
    )
    purchase = tx["txn_type"] == "product_purchase"
    fee = np.where(tx["txn_type"] == "fee", tx["amount"], 0.0)
    fee[purchase.to_numpy()] += (
        tx.loc[purchase, "amount"] * tx.loc[purchase, "account_bidx"].map(fee_rate).fillna(0.0)
    ).to_numpy()
    tx = tx.assign(
        inflow=tx["amount"].where(tx["direction"] == "C", 0.0),
        outflow=tx["amount"].where(tx["direction"] == "D", 0.0),
        other_bank=tx["amount"].where(
            (tx["txn_type"] == "transfer_out")
            & (tx["counterparty_bank_code"].fillna(THIS_BANK) != THIS_BANK),
            0.0,
        ),
        fee=fee,
    )

    w90 = tx.groupby("customer_no").agg(
        inflow_90d=("inflow", "sum"),
        outflow_90d=("outflow", "sum"),
        txn_count_90d=("amount", "size"),
        last_txn_date=("date", "max"),
    )
    last30 = tx[tx["date"] >= today - pd.Timedelta(days=29)]
    w30 = last30.groupby("customer_no").agg(
        inflow_30d=("inflow", "sum"),
        outflow_30d=("outflow", "sum"),
        outflow_other_banks_30d=("other_bank", "sum"),
        txn_count_30d=("amount", "size"),
    )

    # Month to date: sums of each day's balances and contribution; the divisor is the day of month.
    month_fees = (
        tx[tx["date"] >= pd.Timestamp(day.replace(day=1))]
        .groupby(["customer_no", "date"])["fee"]
        .sum()
        .rename("fee_income")
    )
    bal = bal.merge(month_fees, left_on=["customer_no", "date"], right_index=True, how="left")
    bal["aum"] = bal["deposit"] + bal["investment"]
    bal["contribution"] = (
        bal["deposit"] * price["deposit_spread"]
        + bal["loan"] * price["loan_spread"]
        + bal["investment"] * price["investment_margin"]
        - price["cost_to_serve"]
    ) / 365.0 + bal["fee_income"].fillna(0.0)
    mtd = bal.groupby("customer_no").agg(
        sum_aum=("aum", "sum"), sum_deposit=("deposit", "sum"), sum_loan=("loan", "sum"),
        contribution_mtd=("contribution", "sum"),
    )  # fmt: skip

    holdings = inputs["holdings"]
    maturity = pd.to_datetime(holdings["maturity_date"])
    held = (
        holdings[holdings["balance"] > 0]
        .groupby("customer_no")["product_code"]
        .nunique()
        .rename("products_held")
    )
    maturing = (
        holdings[(maturity > today) & (maturity <= today + pd.Timedelta(days=30))]
        .groupby("customer_no")["balance"]
        .agg(maturing_30d_count="size", maturing_30d_amount="sum")
    )

    out = bal[bal["date"] == today][["customer_no", "aum", "deposit", "investment", "loan"]].set_index(
        "customer_no"
    )
    out = out.join(mtd).join(w30).join(w90).join(held).join(maturing)
    out["aum_mtd_avg"] = out["sum_aum"] / day.day
    out["deposit_mtd_avg"] = out["sum_deposit"] / day.day
    out["loan_mtd_avg"] = out["sum_loan"] / day.day
    zero = [
        "inflow_30d", "outflow_30d", "inflow_90d", "outflow_90d", "outflow_other_banks_30d", "txn_count_30d",
        "txn_count_90d", "products_held", "maturing_30d_count", "maturing_30d_amount",
    ]  # fmt: skip
    out[zero] = out[zero].fillna(0)
    return out.drop(columns=["sum_aum", "sum_deposit", "sum_loan"]).reset_index()


def compare(ours: pd.DataFrame, path: Path, day: date) -> dict[str, Any]:
    """Every client and indicator against what the pipeline wrote: money within 0.01, the rest equal."""
    theirs = pd.read_parquet(path)
    merged = ours.merge(theirs, on="customer_no", how="outer", suffixes=("", "_pipeline"), indicator=True)
    only_pandas = int((merged["_merge"] == "left_only").sum())
    only_pipeline = int((merged["_merge"] == "right_only").sum())
    both = merged[merged["_merge"] == "both"]
    window_start = pd.Timestamp(day - timedelta(days=89))
    columns: dict[str, Any] = {}
    for name in [c for c in theirs.columns if c != "customer_no"]:
        mine, pipeline = both[name], both[f"{name}_pipeline"]
        if name == "last_txn_date":
            mine, pipeline = pd.to_datetime(mine), pd.to_datetime(pipeline)
            same = (mine == pipeline) | (mine.isna() & pipeline.isna())
            # A run with state remembers recency beyond the 90 days the baseline reads.
            older = mine.isna() & (pipeline < window_start)
            columns[name] = {"mismatches": int((~same & ~older).sum()), "beyond_window": int(older.sum())}
            continue
        diff = (mine.astype(float) - pipeline.astype(float)).abs()
        tolerance = (
            0.0 if name.startswith(("txn_count", "products_held", "maturing_30d_count")) else MONEY_TOLERANCE
        )
        columns[name] = {
            "mismatches": int((diff > tolerance + 1e-9).sum() + (mine.isna() != pipeline.isna()).sum()),
            "max_abs_diff": round(float(diff.max()), 6) if len(diff) else 0.0,
        }
    mismatches = sum(c["mismatches"] for c in columns.values())
    return {
        "clients_pandas": len(ours),
        "clients_pipeline": len(theirs),
        "only_pandas": only_pandas,
        "only_pipeline": only_pipeline,
        "mismatches": mismatches,
        "equal": mismatches == 0 and only_pandas == 0 and only_pipeline == 0,
        "columns": columns,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--date", type=date.fromisoformat, required=True)
    parser.add_argument("--pricing", type=json.loads, required=True, help="JSON: the pipeline's pricing()")
    parser.add_argument("--compare", type=Path, help="the pipeline's indicators for the date (Parquet)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    wall0, cpu0 = time.perf_counter(), time.process_time()
    inputs = read_inputs(args.lake, args.date)
    read_wall, read_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    result = indicators(inputs, args.date, args.pricing)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    out: dict[str, Any] = {
        "date": str(args.date),
        "pandas": pd.__version__,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "read": {"wall_s": round(read_wall, 3), "cpu_s": round(read_cpu, 3)},
        "compute": {"wall_s": round(wall - read_wall, 3), "cpu_s": round(cpu - read_cpu, 3)},
        "rows_read": {name: len(frame) for name, frame in inputs.items()},
        "clients": len(result),
    }
    out["rows_read_total"] = sum(out["rows_read"].values())
    del inputs
    if args.compare:
        started = time.perf_counter()
        out["compare"] = compare(result, args.compare, args.date)
        out["compare"]["wall_s"] = round(time.perf_counter() - started, 3)
    from pipeline_steps import peak_rss_mb  # the same high-water mark as the other steps

    out["peak_rss_mb"] = peak_rss_mb()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Balances that are not daily: as-of snapshots carried forward per client, gaps reported and never read
as zero, closed clients zero from their close date. Figures computed by hand in the comments."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from keyclient.audit.models import BusinessEvent
from keyclient.core import balance_frequency
from keyclient.pipeline import engine, targets
from keyclient.pipeline.services import run_date

X, Y = "7100000001", "7100000002"
OCT = [date(2026, 10, n) for n in range(1, 32)]


def balances(lake: Path, day: date, rows: list[tuple], frequency: str = balance_frequency.SNAPSHOT) -> None:
    """A landed balances partition (customer, deposit, investment, loan) with its declared frequency."""
    folder = lake / "daily_balances" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    names = ["customer_no", "deposit", "investment", "loan"]
    table = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
    pq.write_table(
        table.cast(pa.schema([(names[0], pa.string())] + [(n, pa.float64()) for n in names[1:]])),
        folder / "part-0.parquet",
    )
    balance_frequency.write(folder, frequency)


def customers(lake: Path, day: date, statuses: dict[str, str]) -> None:
    folder = lake / "customers" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"customer_no": list(statuses), "status": list(statuses.values())}),
        folder / "part-0.parquet",
    )


def daily(lake: Path, day: date, *, keep: bool = False) -> dict[str, dict]:
    """The DuckDB engine's `daily` rows of `day` by client (the day's state kept with `keep`)."""
    con = duckdb.connect()
    targets.compute_duckdb(con, lake, day)
    if keep:
        engine.write_state(con, lake, day)
    rows = con.sql("SELECT * FROM daily").to_arrow_table().to_pylist()
    return {
        r["customer_no"]: {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    }


def pick(rows: dict[str, dict], *names: str) -> dict[str, tuple]:
    return {c: tuple(r[n] for n in names) for c, r in rows.items()}


MADB = ("aum", "aum_mtd_avg", "deposit_mtd_avg", "loan_mtd_avg", "contribution_mtd")


def test_month_end_snapshots_give_the_madb_of_the_equivalent_daily_series(tmp_path: Path) -> None:
    """Month-end snapshots (30 Sep, 31 Oct) against the same balances sent every day: X holds 100,000 of
    deposits and 10,000 of investments through October, 200,000 and 0 from 31 Oct; Y a loan of 50,000.
    MADB of X = (30 × 110,000 + 200,000) / 31 = 112,903.23 either way (today's code: 200,000 / 31),
    deposits (30 × 100,000 + 200,000) / 31 = 103,225.81."""
    snap, every_day = tmp_path / "snap", tmp_path / "daily"
    sep30 = date(2026, 9, 30)
    balances(snap, sep30, [(X, 100_000, 10_000, 0), (Y, 0, 0, 50_000)])
    balances(snap, OCT[-1], [(X, 200_000, 0, 0), (Y, 0, 0, 50_000)])
    for d in [sep30, *OCT]:
        x = (200_000, 0, 0) if d == OCT[-1] else (100_000, 10_000, 0)
        balances(every_day, d, [(X, *x), (Y, 0, 0, 50_000)], balance_frequency.DAILY)
    want = pick(daily(every_day, OCT[-1]), *MADB)
    assert want[X][:3] == (200_000.0, 112_903.23, 103_225.81)
    assert want[Y][3] == 50_000.0
    assert pick(daily(snap, OCT[-1]), *MADB) == want
    # Day by day with the running state: the same (the 28th bootstraps, the next days roll on).
    for d in OCT[27:]:
        got = daily(snap, d, keep=True)
    assert pick(got, *MADB) == want


def test_irregular_snapshots_are_carried_forward_exactly(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    balances(lake, date(2026, 9, 20), [(X, 1000, 0, 0)])
    balances(lake, date(2026, 10, 5), [(X, 4000, 500, 0)])
    balances(lake, date(2026, 10, 10), [(Y, 310, 0, 0)])
    balances(lake, date(2026, 10, 18), [(X, 0, 0, 0)])  # an observed zero is a zero
    balances(lake, date(2026, 10, 25), [(X, 3100.10, 0, 0)])
    # X on 31 Oct: days 1–4 at 1,000, 5–17 at 4,500 (4,000 of deposits), 18–24 at 0, 25–31 at 3,100.10:
    # AUM 4,000 + 58,500 + 21,700.70 = 84,200.70 / 31 = 2,716.15; deposits 77,700.70 / 31 = 2,506.47.
    # Y: 22 days (10–31) at 310 = 6,820 / 31 = 220.00.
    month_end = {X: (3100.10, 2716.15, 2506.47), Y: (310.0, 220.0, 220.0)}
    assert pick(daily(lake, OCT[-1]), "aum", "aum_mtd_avg", "deposit_mtd_avg") == month_end
    # On 20 Oct: X 4,000 + 58,500 + 0 = 62,500 / 20 = 3,125.00, today 0; Y 11 days × 310 / 20 = 170.50.
    mid = {X: (0.0, 3125.0), Y: (310.0, 170.5)}
    assert pick(daily(lake, OCT[19]), "aum", "aum_mtd_avg") == mid
    for d in OCT[15:20]:  # the running state gives the same
        got = daily(lake, d, keep=True)
    assert pick(got, "aum", "aum_mtd_avg") == mid
    carried = pq.read_table(lake / "pipeline" / f"date={OCT[19]}" / "carried.parquet").to_pylist()
    assert sorted((r["customer_no"], r["as_of"], r["deposit"]) for r in carried) == [
        (X, date(2026, 10, 18), 0.0), (Y, date(2026, 10, 10), 310.0),
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_missing_daily_date_is_reported_and_read_as_the_date_before(settings, tmp_path: Path) -> None:
    """Daily balances on 1, 2, 4 and 5 Oct; 3 Oct never landed. X: 100 on 1–2, 200 on 4–5: the 3rd reads
    as the 2nd, so 700 / 5 = 140.00 (today's code counts the 3rd as zero: 600 / 5 = 120.00)."""
    lake = settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    for d, amount in [(OCT[0], 100), (OCT[1], 100), (OCT[3], 200), (OCT[4], 200)]:
        balances(lake, d, [(X, amount, 0, 0)], balance_frequency.DAILY)
    assert pick(daily(lake, OCT[4]), "aum", "aum_mtd_avg") == {X: (200.0, 140.0)}
    counts = run_date(OCT[4])
    assert counts["balance_gap_days"] == 1
    event = BusinessEvent.objects.filter(verb="pipeline.run").latest("id")
    assert event.after["balance_gap_days_listed"] == ["2026-10-03"]
    assert "stale_balance_clients" not in counts


@pytest.mark.django_db
def test_a_stale_snapshot_is_reported_and_still_carried(settings, tmp_path: Path) -> None:
    """X's latest snapshot is 31 Aug, older than the 35-day horizon on 10 Oct: reported, and its 500
    still held (not zero); Y's of 30 Sep is within it."""
    lake = settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    balances(lake, date(2026, 8, 31), [(X, 500, 0, 0), (Y, 1, 0, 0)])
    balances(lake, date(2026, 9, 30), [(Y, 2, 0, 0)])
    assert pick(daily(lake, OCT[9]), "aum", "aum_mtd_avg") == {X: (500.0, 500.0), Y: (2.0, 2.0)}
    counts = run_date(OCT[9])
    assert counts["stale_balance_clients"] == 1
    assert "balance_gap_days" not in counts  # snapshots have no missing dates
    event = BusinessEvent.objects.filter(verb="pipeline.run").latest("id")
    assert event.after["stale_balance_clients_listed"] == [X]


@pytest.mark.parametrize("frequency", [balance_frequency.SNAPSHOT, balance_frequency.DAILY])
def test_a_closed_client_is_zero_from_its_close_date(tmp_path: Path, frequency: str) -> None:
    """The client master says X is active on 1 Oct and closed from the load of 11 Oct (the close date);
    X's balance of 3,100 keeps coming (daily) or is carried (snapshot of 30 Sep). From 11 Oct X holds
    zero: MADB on 31 Oct = 10 days × 3,100 / 31 = 1,000.00 (today's code: 3,100); on 12 Oct 31,000 / 12."""
    lake = tmp_path / "lake"
    days = [date(2026, 9, 30), *OCT] if frequency == balance_frequency.DAILY else [date(2026, 9, 30)]
    for d in days:
        balances(lake, d, [(X, 3100, 0, 0), (Y, 10, 0, 0)], frequency)
    customers(lake, OCT[0], {X: "active", Y: "active"})
    customers(lake, OCT[10], {X: "closed", Y: "active"})
    customers(lake, OCT[20], {X: "closed", Y: "active"})
    assert pick(daily(lake, OCT[-1]), "aum", "aum_mtd_avg") == {X: (0.0, 1000.0), Y: (10.0, 10.0)}
    assert pick(daily(lake, OCT[9]), "aum", "aum_mtd_avg") == {X: (3100.0, 3100.0), Y: (10.0, 10.0)}
    for d in OCT[8:12]:  # with the running state: the 9th bootstraps, the 10th–12th roll on
        got = daily(lake, d, keep=True)
    assert pick(got, "aum", "aum_mtd_avg") == {X: (0.0, 2583.33), Y: (10.0, 10.0)}

"""No personal field in clear in the lake (ADR 0004): after a load of a generated bank (and the
pipeline's month end on it), no value of any lake file, reject file included, equals or contains an ID
number, mobile, phone, email, address or account number of the extracts."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import duckdb
import pytest
from django.core.management import call_command

from keyclient.customers.models import ContactPoint
from keyclient.intake.models import IntakeJob
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, read_rejects, write_day
from keyclient.pipeline.services import run_date
from keyclient.products.models import Account
from keyclient.products.services import account_bidx

AS_OF = date(2026, 10, 31)
PERSONAL = {
    "customers": ("id_number", "registration_no", "mobile", "phone2", "email", "address"),
    "accounts": ("account_no",),
    "holdings": ("account_no",),
    "transactions": ("account_no",),
}


def personal_values(source: Path) -> set[str]:
    """Every personal value the extracts under `source` carry (parquet or CSV files)."""
    found: set[str] = set()
    for extract, columns in PERSONAL.items():
        paths = [*source.glob(f"{extract}.*"), *source.glob(f"{extract}/**/*.parquet")]
        for path in paths:
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
            for column in columns:
                try:
                    rows = duckdb.sql(
                        f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM {reader}('{path}', all_varchar = true)"
                        if reader == "read_csv_auto"
                        else f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM {reader}('{path}')"
                    ).fetchall()
                except duckdb.BinderException:
                    continue  # a CSV without the optional column
                found.update(v for (v,) in rows if v)
    return found


def lake_leaks(lake: Path, secrets: set[str]) -> list[str]:
    """Every (file, value) of the lake that equals or contains one of `secrets`: Parquet cell by cell
    (every column as text), other files as text."""
    leaks = []
    for path in sorted(p for p in lake.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            columns = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
            values: set[str] = set()
            for column in columns:
                values.update(
                    v
                    for (v,) in duckdb.sql(
                        f"SELECT DISTINCT CAST(\"{column}\" AS VARCHAR) FROM read_parquet('{path}')"
                    ).fetchall()
                    if v
                )
        else:
            values = {path.read_text(encoding="utf-8", errors="replace")}
        leaks.extend(f"{path.relative_to(lake)}: {s}" for v in values for s in secrets if s in v)
    return leaks


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("bank")
    from keyclient.demo.generator import generate

    generate(out, customers=120, seed=5, as_of=AS_OF, months=4)
    return out


@pytest.mark.django_db(transaction=True)
def test_a_demo_load_and_month_end_leave_no_personal_value_in_the_lake(generated, settings, tmp_path) -> None:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("demo", "org", str(generated), **quiet)
    call_command("intake", "load", str(generated), "--date", str(AS_OF), "--history", **quiet)
    run_date(AS_OF)
    secrets = personal_values(generated)
    assert len(secrets) > 500  # ID numbers, mobiles, emails, addresses and account numbers of 120 clients
    lake = tmp_path / "lake"
    assert {p.name for p in lake.iterdir()} >= {
        "customers",
        "accounts",
        "holdings",
        "transactions",
        "_intake",
    }
    assert lake_leaks(lake, secrets) == []
    # One lake row per extract row (a value shared by several rows, e.g. a household's phone, is
    # indexed once and multiplies nothing), one contact point per value.
    for extract in ("customers", "accounts", "holdings", "transactions"):
        source = [*generated.glob(f"{extract}.parquet"), *generated.glob(f"{extract}/**/*.parquet")]
        extracted = duckdb.sql(f"SELECT count(*) FROM read_parquet({[str(p) for p in source]})").fetchall()[
            0
        ][0]
        landed = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake}/{extract}/*/*.parquet')").fetchall()[
            0
        ][0]
        assert (extract, landed) == (extract, extracted)
    contacts = duckdb.sql(
        f"SELECT count(mobile) + count(phone2) + count(email) + count(address) FROM '{generated}/customers.parquet'"
    ).fetchall()[0][0]
    assert ContactPoint.objects.count() == contacts
    # The lake still joins: the accounts' blind indexes are the CRM's, and the transactions' ones are among them.
    accounts = duckdb.sql(f"SELECT account_bidx FROM read_parquet('{lake}/accounts/*/*.parquet')").fetchall()
    assert {a for (a,) in accounts} == set(Account.objects.values_list("account_bidx", flat=True))
    some = Account.objects.order_by("id").first()
    assert some is not None and some.account_bidx == account_bidx(some.account_no)
    unmatched = duckdb.sql(
        f"""SELECT count(*) FROM read_parquet('{lake}/transactions/*/*.parquet') t
        WHERE t.account_bidx IS NOT NULL AND t.account_bidx NOT IN
            (SELECT account_bidx FROM read_parquet('{lake}/accounts/*/*.parquet'))"""
    ).fetchall()[0][0]
    assert unmatched == 0


@pytest.mark.django_db
def test_rejected_rows_leave_line_numbers_and_reasons_but_no_personal_value(bank, tmp_path, settings) -> None:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    bad = {
        "customers": GOOD["customers"]
        + "6200000009,individual,王九,resident_id,110108199912129999,13911112222,11010801,E1001,zzz\n"
        + "6200000009,individual,王九,resident_id,110108199912128888,13911113333,11010801,E1001,active\n",
        "accounts": GOOD["accounts"] + "6222000000000001,7100000001,DP001,2026-01-05,active\n"
        "6222000000009999,9999999999,DP001,2026-01-05,active\n",
        "transactions": GOOD["transactions"] + "1003,2026-10-31,9999999999,6222000000008888,10,C,salary,,\n",
    }
    source = write_day(tmp_path / "in", bad)
    load_extracts(source=source, load_date=LOAD_DATE, max_reject_rate=1.0)
    job = IntakeJob.objects.get()
    assert read_rejects(job.reject_file) == [
        ("accounts.csv", 4, "account_no", "duplicate key, first at line 2"),
        ("accounts.csv", 5, "customer_no", "unknown client: 9999999999"),
        ("customers.csv", 4, "status", "unknown code: zzz (expected active/dormant/closed)"),
        ("customers.csv", 5, "customer_no", "duplicate key (6200000009), first at line 4"),
        ("transactions.csv", 4, "customer_no", "unknown client: 9999999999"),
    ]
    secrets = personal_values(source) | {"6222000000008888", "6222000000009999", "110108199912128888"}
    assert lake_leaks(tmp_path / "lake", secrets) == []

"""Mapping version 2: a bank in another shape loads through a mapping file alone (constants,
expressions, joins, several files, YYMMDD with a century pivot, decimal commas, code maps on
expressions); bad mappings fail naming the file, the extract, the field and why, landing nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer
from keyclient.intake.formats import BY_NAME, TXN_TYPES, Column
from keyclient.intake.mapping import Mapping, MappingError, load_mapping
from keyclient.intake.models import IntakeJob
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, read_rejects, write_day
from keyclient.intake.validate import IntakeError, typed


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


# The landed columns without the currency audit columns (docs/intake.md "Currencies").
NOT_FX = "COLUMNS(lambda c: c NOT IN ('currency', 'fx_rate') AND NOT suffix(c, '_original'))"


def lake_rows(lake: Path, extract: str) -> list[tuple]:
    return duckdb.sql(
        f"SELECT {NOT_FX} FROM read_parquet($p, hive_partitioning = false) ORDER BY ALL",
        params={"p": str(lake / extract / f"date={LOAD_DATE}" / "*.parquet")},
    ).fetchall()


# The persona bank's day (extracts.GOOD) as another bank sends it.
OTHER = {
    # individuals only (no kind column), in two files; gender, birth date from the national number
    "CLIENTS_1.csv": (
        "CLIENT;NAME;NATNO;BRANCH;RM;OPENED;STATE\n"
        "6200000001;张三;110108194503011234;11010801;E1001;250115;A\n"
    ),
    "CLIENTS_2.csv": (
        "CLIENT;NAME;NATNO;BRANCH;RM;OPENED;STATE\n7100000001;周八;110108197707077727;110108;E1002;991231;A\n"
    ),
    # balances keyed by account (decimal comma, thousands dot), owners in a separate file
    "BAL.csv": "ACCT;DAY;DEP;INV;LN\nA1;261031;100.000,00;50.000;0\nA2;261031;200.000,50;0;10.000,00\n",
    "OWNERS.csv": "ACCOUNT_NO;OWNER\nA1;6200000001\nA2;7100000001\n",
    # a transaction type from the type, operation and purpose code
    "TXN.csv": (
        "ID;DAY;CLIENT;ACCT;AMT;TYPE;OP;PURPOSE\n"
        "1001;261031;7100000001;6222000000000001;5.000,00;CR;TRF;SAL\n"
        "1002;261031;7100000001;6222000000000001;3.000,00;DR;TRF;\n"
    ),
}

MAPPING = """
separator = ";"
date_format = "%y%m%d"
century_pivot = 30
decimal = ","
thousands = "."

[sources.owners]
files = "OWNERS.csv"

[extracts.customers]
files = "CLIENTS_*.csv"
[extracts.customers.fields]
customer_no = "CLIENT"
name = "NAME"
kind = { value = "individual" }
id_type = { value = "resident_id" }
id_number = "NATNO"
gender = { expr = "CASE WHEN TRY_CAST(substr(NATNO, 17, 1) AS INT) % 2 = 1 THEN 'M' ELSE 'F' END" }
birth_date = { expr = "substr(NATNO, 9, 6)" }
home_org_code = "BRANCH"
rm_staff_no = "RM"
open_date = "OPENED"
status = "STATE"
[extracts.customers.codes.status]
A = "active"
C = "closed"

[extracts.accounts]
date_format = "%Y-%m-%d"

[extracts.daily_balances]
files = ["BAL.csv"]
joins = [{ source = "owners", on = { ACCT = "ACCOUNT_NO" } }]
[extracts.daily_balances.fields]
date = "DAY"
customer_no = { column = "OWNER", source = "owners" }
deposit = "DEP"
investment = "INV"
loan = "LN"

[extracts.transactions]
files = "TXN.csv"
[extracts.transactions.fields]
txn_id = "ID"
date = "DAY"
customer_no = "CLIENT"
account_no = "ACCT"
amount = "AMT"
direction = { expr = "CASE TYPE WHEN 'CR' THEN 'C' ELSE 'D' END" }
txn_type = { expr = "concat_ws('/', TYPE, OP, nullif(PURPOSE, ''))" }
[extracts.transactions.codes.txn_type]
"CR/TRF/SAL" = "salary"
"DR/TRF" = "transfer_out"
"""


def other_bank(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in OTHER.items():
        (root / name).write_text(text, encoding="utf-8")
    for name in ("products", "accounts"):
        (root / f"{name}.csv").write_text(GOOD[name].replace(",", ";"), encoding="utf-8")
    return root


def test_a_bank_in_another_shape_loads_through_the_mapping_alone(bank, lake: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mapping = tmp_path / "bank.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    job = load_extracts(source=other_bank(tmp_path / "in"), load_date=LOAD_DATE, mapping_path=mapping)
    assert (job.status, job.rows_rejected) == (IntakeJob.Status.SUCCEEDED, 0)
    assert {k: c["read"] for k, c in job.counts.items() if isinstance(c, dict)} == {
        "products": 2, "customers": 2, "accounts": 2, "daily_balances": 2, "transactions": 2,
    }  # fmt: skip
    clients = Customer.objects.filter(customer_no__in=["6200000001", "7100000001"]).order_by("customer_no")
    assert [(c.kind, c.gender, c.birth_date, c.open_date, c.status) for c in clients] == [
        (
            "individual",
            "M",
            date(1945, 3, 1),
            date(2025, 1, 15),
            "active",
        ),  # 45 -> 1945, 25 -> 2025 (pivot 30)
        ("individual", "F", date(1977, 7, 7), date(1999, 12, 31), "active"),
    ]
    assert lake_rows(lake, "daily_balances") == [
        ("6200000001", 100000.0, 50000.0, 0.0),
        ("7100000001", 200000.5, 0.0, 10000.0),
    ]
    txns = duckdb.sql(
        "SELECT txn_id, amount, direction, txn_type FROM read_parquet($p, hive_partitioning = false) ORDER BY 1",
        params={"p": str(lake / "transactions" / f"date={LOAD_DATE}" / "*.parquet")},
    ).fetchall()
    assert txns == [(1001, 5000.0, "C", "salary"), (1002, 3000.0, "D", "transfer_out")]


def test_a_field_option_overrides_the_extract_and_a_code_map_left_unmapped_rejects(
    bank, lake: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source = other_bank(tmp_path / "in")
    (source / "TXN.csv").write_text(
        OTHER["TXN.csv"].replace(
            ";261031;7100000001;6222000000000001;3", ";2026-10-31;7100000001;6222000000000001;3"
        ),
        encoding="utf-8",
    )
    mapping = tmp_path / "bank.toml"
    text = MAPPING.replace(
        'date = "DAY"\ncustomer_no = "CLIENT"',
        'date = { column = "DAY", date_format = "%Y-%m-%d" }\ncustomer_no = "CLIENT"',
    )
    mapping.write_text(text.replace('"DR/TRF" = "transfer_out"\n', ""), encoding="utf-8")
    job = load_extracts(source=source, load_date=LOAD_DATE, mapping_path=mapping, max_reject_rate=1)
    assert read_rejects(job.reject_file) == [
        ("TXN.csv", 2, "date", "not a date (%Y-%m-%d): 261031"),
        ("TXN.csv", 3, "txn_type", f"unknown code: DR/TRF (expected {'/'.join(TXN_TYPES)})"),
    ]


BAD_EXPRESSIONS = {
    "(SELECT max(x) FROM t)": "subqueries are not allowed",
    "read_csv('/etc/passwd')": "function read_csv() is not allowed",
    "read_parquet('x.parquet')": "function read_parquet() is not allowed",
    "glob('*')": "function glob() is not allowed",
    "NATNO; DROP TABLE rejects": "one expression expected, not statements separated by ';'",
    "NATNO IN (SELECT 1)": "subqueries are not allowed",
    "sum(NATNO)": "window and aggregate functions are not allowed",
    "getvariable('x')": "function getvariable() is not allowed",
    "$1": "parameters are not allowed",
    "other.NATNO": "other.NATNO: 'other' is not a joined source of this extract",
}


@pytest.mark.parametrize("expression", list(BAD_EXPRESSIONS))
def test_a_forbidden_expression_fails_naming_the_file_and_field(expression: str, tmp_path: Path) -> None:
    mapping = tmp_path / "bank.toml"
    mapping.write_text(
        f"[extracts.customers.fields]\ngender = {{ expr = '''{expression}''' }}\n", encoding="utf-8"
    )
    with pytest.raises(MappingError) as failure:
        load_mapping(mapping)
    message = str(failure.value)
    assert str(mapping) in message
    assert f"extract customers, field gender: {BAD_EXPRESSIONS[expression]}" in message


def test_bad_mapping_keys_are_all_reported_at_once(tmp_path: Path) -> None:
    mapping = tmp_path / "bank.toml"
    mapping.write_text(
        '[extracts.customers]\nsource = "nowhere"\n[extracts.customers.fields]\nshoe_size = "X"\n'
        'kind = { value = "individual", expr = "1" }\n'
        '[extracts.daily_balances]\nfiles = "B.csv"\njoins = [{ source = "owners" }]\n'
        '[extracts.nope]\nfiles = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as failure:
        load_mapping(mapping)
    assert str(failure.value).splitlines()[1:] == [
        f"no extract is called 'nope'; known: {sorted(BY_NAME)}",
        "extract customers: source 'nowhere' is not declared in [sources]",
        "extract customers, field shoe_size: extract customers has no field 'shoe_size'",
        "extract customers, field kind: give exactly one of column, value, expr",
        'extract daily_balances, join 1: a join is { source = "<declared source>", on = { <column> = "<its column>" } }',
    ]


def test_a_mapping_that_does_not_fit_the_files_fails_and_lands_nothing(
    bank, lake: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    text = (
        MAPPING.replace('name = "NAME"', 'name = "FULL_NAME"')
        .replace('on = { ACCT = "ACCOUNT_NO" }', 'on = { ACCT = "ACCT_NO" }')
        .replace("nullif(PURPOSE, '')", "nullif(PURPOSE_CODE, '')")
    )
    mapping = tmp_path / "bank.toml"
    mapping.write_text(text, encoding="utf-8")
    before = sorted(Customer.objects.values_list("customer_no", "name", "updated_at"))
    with pytest.raises(IntakeError) as failure:
        load_extracts(source=other_bank(tmp_path / "in"), load_date=LOAD_DATE, mapping_path=mapping)
    assert str(failure.value).splitlines() == [
        "nothing was loaded:",
        "bank.toml: extract customers, field name: unknown source column 'FULL_NAME' in CLIENTS_1.csv, CLIENTS_2.csv",
        "bank.toml: extract daily_balances, join 1 (owners): unknown key column 'ACCT_NO' in OWNERS.csv",
        "bank.toml: extract transactions, field txn_type: unknown source column 'PURPOSE_CODE' in TXN.csv",
    ]
    assert sorted(Customer.objects.values_list("customer_no", "name", "updated_at")) == before
    assert not lake.exists() or not list(lake.glob("*/date=*/*.parquet"))
    assert not BusinessEvent.objects.filter(verb="intake.loaded").exists()
    assert IntakeJob.objects.get().status == IntakeJob.Status.FAILED


def test_a_join_on_a_key_that_is_not_unique_fails(bank, lake: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = other_bank(tmp_path / "in")
    (source / "OWNERS.csv").write_text(OTHER["OWNERS.csv"] + "A1;7100000001\n", encoding="utf-8")
    mapping = tmp_path / "bank.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    with pytest.raises(
        IntakeError,
        match=r"bank\.toml: extract daily_balances, join 1 \(owners\): the key ACCOUNT_NO is not unique in OWNERS\.csv \(1 values repeat\)",
    ):
        load_extracts(source=source, load_date=LOAD_DATE, mapping_path=mapping)
    assert not lake.exists() or not list(lake.glob("*/date=*/*.parquet"))


def test_check_reports_every_problem_at_once_and_writes_nothing(
    bank, lake: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    source = other_bank(tmp_path / "in")
    (source / "CLIENTS_2.csv").write_text(
        "CLIENT;NAME;NATNO;BRANCH;RM;OPENED;STATE\n"
        "7100000001;周八;110108197707077727;110108;E1002;991231;X\n"
        "7100000002;王九;110108197707077735;110108;E1002;991331;X\n"
        "7100000003;李十;110108197707077743;110108;E1002;991231;Z\n",
        encoding="utf-8",
    )
    (source / "BAL.csv").write_text(OTHER["BAL.csv"].replace("200.000,50", "abc"), encoding="utf-8")
    (source / "TXN.csv").write_text(OTHER["TXN.csv"].replace("AMT;", "AMOUNT;"), encoding="utf-8")
    mapping = tmp_path / "bank.toml"
    mapping.write_text(MAPPING.replace('"DR/TRF" = "transfer_out"', ""), encoding="utf-8")
    before = sorted(Customer.objects.values_list("customer_no", "name", "updated_at"))
    with pytest.raises(CommandError) as failure:
        call_command("intake", "check", str(source), "--mapping", str(mapping), "--date", "2026-10-31")
    assert failure.value.returncode == 1
    out = capsys.readouterr().out
    for line in (
        "Problems (1):",
        "  - bank.toml: extract transactions, field amount: unknown source column 'AMT' in TXN.csv",
        "  customers.status: unknown code: X (expected active/dormant/closed) × 2",
        "  customers.status: unknown code: Z (expected active/dormant/closed) × 1",
        "  CLIENTS_2.csv:3 open_date: not a date (%y%m%d): 991331",
        "  BAL.csv:3 deposit: not a number: abc",
        "  customers                  4 read            1 ok        3 rejected",
    ):
        assert line in out.splitlines(), out
    assert sorted(Customer.objects.values_list("customer_no", "name", "updated_at")) == before
    assert not lake.exists()
    assert not IntakeJob.objects.exists()
    assert not BusinessEvent.objects.filter(verb="intake.loaded").exists()


def test_check_of_a_clean_bank_exits_zero(bank, lake: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    mapping = tmp_path / "bank.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    call_command("intake", "check", str(other_bank(tmp_path / "in")), "--mapping", str(mapping))
    assert capsys.readouterr().out.splitlines()[0] == "Problems: none"
    assert not lake.exists()


def test_a_version_1_mapping_still_loads(bank, lake: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = write_day(
        tmp_path / "in",
        {
            "customers": GOOD["customers"]
            .replace("customer_no,kind", "CUST_NO,KIND")
            .replace(",individual,", ",1,")
        },
    )
    mapping = tmp_path / "bank.toml"
    mapping.write_text(
        'thousands = ","\n[columns.customers]\nCUST_NO = "customer_no"\nKIND = "kind"\n'
        '[codes.customers.kind]\n"1" = "individual"\n[extracts.customers]\nencoding = "utf-8"\n',
        encoding="utf-8",
    )
    assert load_mapping(mapping).option("customers", "encoding") == "utf-8"
    job = load_extracts(source=source, load_date=LOAD_DATE, mapping_path=mapping)
    assert (job.status, job.rows_rejected, job.counts["customers"]["accepted"]) == (
        IntakeJob.Status.SUCCEEDED,
        0,
        2,
    )


def test_the_documented_example_and_the_example_mappings_are_valid(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    page = (root / "docs" / "intake.md").read_text(encoding="utf-8")
    example = page.split("## Loading your own bank", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "doc.toml").write_text(example, encoding="utf-8")
    documented = load_mapping(tmp_path / "doc.toml")
    assert documented.field_option("customers", "birth_date", "century_pivot") == 30
    assert documented.field_option("customers", "open_date", "date_format") == "%Y%m%d"
    assert documented.option("daily_balances", "date_format") == "%y%m%d"
    for name in ("churn_modelling", "bank_marketing"):
        mapping = load_mapping(root / "examples" / "mappings" / f"{name}.toml")
        assert mapping.fields["customers"]["kind"].text == "individual"


@pytest.mark.parametrize(
    ("text", "pivot", "expected"),
    [
        ("291231", 30, date(2029, 12, 31)),
        ("300101", 30, date(1930, 1, 1)),
        ("450301", 30, date(1945, 3, 1)),
        ("450301", 50, date(2045, 3, 1)),
        ("000229", 30, date(2000, 2, 29)),
        ("450301", None, date(2045, 3, 1)),  # DuckDB's own rule: 00-68 -> 20YY
        ("690301", None, date(1969, 3, 1)),
        ("451301", 30, None),
    ],
)
def test_two_digit_years_follow_the_century_pivot(
    text: str, pivot: int | None, expected: date | None
) -> None:
    options = {"date_format": "%y%m%d", **({"century_pivot": pivot} if pivot is not None else {})}
    params: dict[str, object] = {}
    sql = typed(Column("birth_date", "date"), Mapping(options=options), "customers", params, 0)
    assert duckdb.execute(
        f"SELECT {sql} FROM (SELECT $t AS birth_date)", {**params, "t": text}
    ).fetchall() == [(expected,)]


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("1.234,50", {"decimal": ",", "thousands": "."}, 1234.5),
        ("-0,5", {"decimal": ","}, -0.5),
        ("1.234,50", {"decimal": ","}, None),  # a dot is not a thousands separator unless declared
        ("1,234.50", {"thousands": ","}, 1234.5),
    ],
)
def test_decimal_comma_and_thousands(text: str, options: dict[str, str], expected: float | None) -> None:
    params: dict[str, object] = {}
    sql = typed(Column("deposit", "decimal"), Mapping(options=options), "daily_balances", params, 0)
    assert duckdb.execute(f"SELECT {sql} FROM (SELECT $t AS deposit)", {**params, "t": text}).fetchall() == [
        (expected,)
    ]

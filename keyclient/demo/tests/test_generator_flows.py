"""The demo-bank generator at 20,000 clients: balances, transactions, seasonality, leavers, loans."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .test_generator_bank import AS_OF, N, bank, db, one

__all__ = ["bank", "db"]  # fixtures


def test_month_end_daily_equals_holdings(db: duckdb.DuckDBPyConnection) -> None:
    checked, bad, missing = one(
        db,
        """WITH h AS (SELECT h.as_of, h.customer_no,
                sum(balance) FILTER (WHERE category IN ('deposit', 'time_deposit')) AS dep,
                sum(balance) FILTER (WHERE category IN ('wmp', 'fund', 'insurance', 'precious_metal')) AS inv,
                sum(balance) FILTER (WHERE category = 'loan') AS loan
            FROM holdings h JOIN products USING (product_code) GROUP BY ALL)
        SELECT count(*), count_if(abs(coalesce(h.dep, 0) - d.deposit) > 0.005 OR abs(coalesce(h.inv, 0) - d.investment) > 0.005
            OR abs(coalesce(h.loan, 0) - d.loan) > 0.005), count_if(d.date IS NULL)
        FROM h LEFT JOIN daily_balances d ON d.customer_no = h.customer_no AND d.date = h.as_of""",
    )
    assert checked > 0.9 * 12 * N and bad == 0 and missing == 0
    assert (
        one(db, "SELECT count(*) FROM daily_balances WHERE deposit < 0 OR investment < 0 OR loan < 0")[0] == 0
    )
    assert one(db, "SELECT count(DISTINCT as_of) FROM holdings")[0] == 12
    assert one(
        db, "SELECT max(as_of), max(date) FROM holdings, (SELECT max(date) AS date FROM daily_balances)"
    ) == (AS_OF, AS_OF)
    assert one(db, "SELECT count(*) FROM holdings WHERE balance <> round(balance, 2) OR balance < 0")[0] == 0


def test_transactions_are_plausible(db: duckdb.DuckDBPyConnection) -> None:
    assert one(db, "SELECT count(*) = count(DISTINCT txn_id) FROM transactions")[0]
    assert (
        one(db, "SELECT count(*) FROM transactions WHERE amount <= 0 OR amount <> round(amount, 2)")[0] == 0
    )
    credit = "('salary', 'transfer_in', 'product_redemption', 'maturity', 'loan_drawdown', 'interest')"
    assert (
        one(db, f"SELECT count(*) FROM transactions WHERE (direction = 'C') <> (txn_type IN {credit})")[0]
        == 0
    )
    types = {r[0] for r in db.execute("SELECT DISTINCT txn_type FROM transactions").fetchall()}
    assert types == {"salary", "transfer_in", "transfer_out", "card_spend", "product_purchase", "product_redemption",
                     "maturity", "loan_drawdown", "loan_repayment", "fee", "interest"}  # fmt: skip
    assert {r[0] for r in db.execute("SELECT DISTINCT channel FROM transactions").fetchall()} == {
        "counter",
        "mobile",
        "online",
        "atm",
        "pos",
    }
    banks = dict(
        db.execute(
            "SELECT DISTINCT counterparty_bank_code, counterparty_bank_name FROM transactions WHERE counterparty_bank_code IS NOT NULL"
        ).fetchall()
    )
    assert banks["999"] == "本行" and banks["102"] == "中国工商银行" and banks["308"] == "招商银行"
    assert set(banks) == {"999", "102", "103", "104", "105", "308", "302", "310", "309", "305", "403"}
    per_month = dict(
        db.execute(
            "SELECT kind, count(*) / (12.0 * (SELECT count(*) FROM customers c2 WHERE c2.kind = c.kind)) FROM transactions JOIN customers c USING (customer_no) GROUP BY 1"
        ).fetchall()
    )
    assert 6.5 <= per_month["individual"] <= 9.5 and per_month["corporate"] > 2 * per_month["individual"]
    median, p99 = one(
        db,
        """SELECT median(n), quantile_cont(n, 0.99) FROM (SELECT count(*) n FROM transactions JOIN customers USING (customer_no)
        WHERE kind = 'individual' AND date >= DATE '2026-10-01' GROUP BY customer_no)""",
    )
    assert p99 > 3 * median
    # Payroll employees are paid by their employer, through the bank.
    wrong = one(
        db,
        """SELECT count(*), count_if(t.counterparty_name <> e.name OR t.counterparty_bank_code <> '999')
        FROM transactions t JOIN links l ON l.from_customer_no = t.customer_no AND l.link_type = 'payroll'
        JOIN customers e ON e.customer_no = l.to_customer_no WHERE t.txn_type = 'salary'""",
    )
    assert wrong[0] > 1000 and wrong[1] == 0


def test_seasonality_shows(db: duckdb.DuckDBPyConnection) -> None:
    spend = dict(
        db.execute(
            "SELECT month(date), sum(amount) FROM transactions WHERE txn_type = 'card_spend' GROUP BY 1"
        ).fetchall()
    )
    assert spend[2] > 1.2 * spend[4]
    salary = dict(
        db.execute(
            "SELECT month(date), sum(amount) FROM transactions WHERE txn_type = 'salary' GROUP BY 1"
        ).fetchall()
    )
    assert salary[1] > 1.3 * salary[4]


def test_leavers_drain_to_their_new_bank(db: duckdb.DuckDBPyConnection, bank: tuple[Path, dict]) -> None:
    _, summary = bank
    individuals = one(db, "SELECT count(*) FROM customers WHERE kind = 'individual'")[0]
    leavers = one(db, "SELECT count(*) FROM leavers")[0]
    assert 0.06 <= leavers / individuals <= 0.10 and leavers == summary["leavers"]
    assert one(
        db, "SELECT min(leave_date) > DATE '2025-11-01' AND max(leave_date) <= DATE '2026-10-31' FROM leavers"
    )[0]
    before, after, drained = one(
        db,
        """SELECT avg(b), avg(a), avg((t > 0)::INT) FROM (SELECT g.customer_no,
            (SELECT avg(deposit + investment) FROM daily_balances d WHERE d.customer_no = g.customer_no AND d.date < g.leave_date - 100) b,
            (SELECT avg(deposit + investment) FROM daily_balances d WHERE d.customer_no = g.customer_no AND d.date > g.leave_date) a,
            (SELECT count(*) FROM transactions t WHERE t.customer_no = g.customer_no AND t.txn_type = 'transfer_out'
                AND t.counterparty_bank_code = g.destination_bank_code AND t.date BETWEEN g.leave_date - 100 AND g.leave_date) t
        FROM leavers g WHERE g.leave_date < DATE '2026-10-01' AND g.leave_date > DATE '2026-03-01')""",
    )
    assert after < 0.01 * before and drained > 0.9
    status = dict(
        db.execute("""SELECT c.status, count(*) FROM leavers g JOIN customers c USING (customer_no)
        WHERE g.leave_date < DATE '2026-08-01' GROUP BY 1""").fetchall()
    )
    assert status.get("active", 0) == 0 and status["dormant"] > 0 and status["closed"] > 0
    assert (
        one(
            db,
            "SELECT count(*) FROM customers c JOIN accounts a USING (customer_no) WHERE c.status = 'closed' AND a.status <> 'closed'",
        )[0]
        == 0
    )


def test_loans_add_up_to_the_daily_loan_balance(db: duckdb.DuckDBPyConnection) -> None:
    checked, bad, missing = one(
        db,
        """WITH l AS (SELECT date, customer_no, sum(balance) AS loan FROM loans GROUP BY ALL)
        SELECT count(*), count_if(abs(coalesce(l.loan, 0) - d.loan) > 0.005), count_if(d.loan > 0 AND l.loan IS NULL)
        FROM daily_balances d LEFT JOIN l USING (date, customer_no)
        WHERE d.date IN (SELECT DISTINCT as_of FROM holdings)""",
    )
    assert checked > 0.9 * 12 * N and bad == 0 and missing == 0
    assert (
        one(
            db,
            "SELECT count(*) FROM loans l LEFT JOIN daily_balances d USING (date, customer_no) WHERE d.loan IS NULL",
        )[0]
        == 0
    )
    ends = [r[0] for r in db.execute("SELECT DISTINCT as_of FROM holdings ORDER BY 1").fetchall()]
    assert [r[0] for r in db.execute("SELECT DISTINCT date FROM loans ORDER BY 1").fetchall()] == ends
    assert (
        one(
            db,
            """SELECT count(*) FROM loans l LEFT JOIN products p USING (product_code)
        WHERE p.category IS DISTINCT FROM 'loan' OR l.balance <= 0 OR l.balance <> round(l.balance, 2)
            OR l.maturity_date <= l.date""",
        )[0]
        == 0
    )
    assert one(db, "SELECT count(*) = count(DISTINCT (date, loan_no)) FROM loans")[0]
    # A loan keeps its number from month to month, and belongs to one client and product.
    assert (
        one(
            db,
            "SELECT count(*) FROM (SELECT loan_no FROM loans GROUP BY 1 HAVING count(DISTINCT (customer_no, product_code)) > 1)",
        )[0]
        == 0
    )


def test_loan_classes_follow_the_days_overdue(db: duckdb.DuckDBPyConnection) -> None:
    ranges = {
        cls: (lo, hi)
        for cls, lo, hi in db.execute(
            "SELECT classification, min(overdue_days), max(overdue_days) FROM loans GROUP BY 1"
        ).fetchall()
    }
    bounds = {"正常": (0, 0), "关注": (1, 90), "次级": (91, 180), "可疑": (181, 360), "损失": (361, 10_000)}
    assert set(ranges) == set(bounds)
    for cls, (lo, hi) in ranges.items():
        assert bounds[cls][0] <= lo and hi <= bounds[cls][1], cls
    for day, normal, special, bad in db.execute(
        """SELECT date, avg((classification = '正常')::INT), avg((classification = '关注')::INT),
            avg((classification IN ('次级', '可疑', '损失'))::INT) FROM loans GROUP BY 1 ORDER BY 1"""
    ).fetchall():
        assert normal >= 0.94 and 0.015 <= special <= 0.05 and 0.003 <= bad <= 0.02, day
    # Arrears grow month by month until cured: never by more than the month's days.
    assert (
        one(
            db,
            """SELECT count(*) FROM (SELECT overdue_days - lag(overdue_days) OVER (PARTITION BY loan_no ORDER BY date) AS step,
            date - lag(date) OVER (PARTITION BY loan_no ORDER BY date) AS gap, overdue_days FROM loans)
        WHERE overdue_days > 0 AND step > gap""",
        )[0]
        == 0
    )

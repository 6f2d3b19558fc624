"""A tiny day of core-banking extracts for the persona bank (load date 2026-10-31), as CSV text."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

LOAD_DATE = date(2026, 10, 31)

GOOD = {
    "products": (
        "product_code,name,category,risk_rating,rate,fee_rate\n"
        "DP001,个人活期储蓄,deposit,R1,0.0005,0\n"
        "WM001,稳健理财一号,wmp,R2,0.03,0.01\n"
    ),
    "customers": (
        "customer_no,kind,name,id_type,id_number,mobile,home_org_code,rm_staff_no,status\n"
        "6200000001,individual,张三,resident_id,110108198001011234,13800001234,11010801,E1001,active\n"
        "7100000001,individual,周八,resident_id,110108197707077777,13900007777,110108,E1002,active\n"
    ),
    "accounts": (
        "account_no,customer_no,product_code,open_date,status\n"
        "6222000000000001,7100000001,DP001,2026-01-05,active\n"
        "6222000000000002,7100000001,WM001,2026-03-01,active\n"
    ),
    "daily_balances": (
        "date,customer_no,deposit,investment,loan\n"
        "2026-10-31,6200000001,100000,50000,0\n"
        "2026-10-31,7100000001,200000.5,0,10000\n"
    ),
    "transactions": (
        "txn_id,date,customer_no,account_no,amount,direction,txn_type,counterparty_bank_code,counterparty_bank_name\n"
        "1001,2026-10-31,7100000001,6222000000000001,5000,C,salary,,\n"
        "1002,2026-10-31,7100000001,6222000000000001,3000,D,transfer_out,105,中国建设银行\n"
    ),
}


def write_day(root: Path, changes: dict[str, str] | None = None, *, encoding: str = "utf-8") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in {**GOOD, **(changes or {})}.items():
        (root / f"{name}.csv").write_bytes(text.encode(encoding))
    return root


def read_rejects(path: str) -> list[tuple[str, int, str, str]]:
    with open(path, encoding="utf-8") as fh:
        return [
            (r["file"], int(r["line"]), r["field"] or "", r["reason"])
            for r in csv.DictReader(io.StringIO(fh.read()))
        ]

"""Deterministic synthetic "demo bank": core-banking style extracts for Keyclient.

`generate(out_dir, customers=..., seed=...)` writes org_units, staff, products, customers, accounts,
holdings, loans, links, daily_balances/month=YYYY-MM/, transactions/month=YYYY-MM/ and ground_truth/leavers
(Parquet by default, or CSV) and returns a summary. Pure numpy + pyarrow, vectorised.
"""

from .bank import generate

__all__ = ["generate"]

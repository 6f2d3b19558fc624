"""Arrow tables for the transaction extract and the client tags; counterparty pools."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from . import products as P
from .accounts import Accounts
from .arrays import dates, dict_column, sorted_dict_column
from .clients import Customers
from .geo import GeoTables
from .links import Links
from .master import Parts
from .names import company_pool, person_pool
from .refdata import BANKS, CHANNELS, CREDIT_TYPES, FEE_TEXTS, MERCHANTS, SPECIAL, TXN_TYPES

_TYPES = pa.array(TXN_TYPES, pa.string())
_CHANNELS = pa.array(CHANNELS, pa.string())
_DIRECTION = pa.array(["C", "D"], pa.string())
_BANK_CODES = pa.array([b[0] for b in BANKS], pa.string())
_BANK_NAMES = pa.array([b[1] for b in BANKS], pa.string())
_IS_CREDIT = np.isin(np.arange(len(TXN_TYPES)), CREDIT_TYPES)
_DICT = pa.dictionary(pa.int32(), pa.string())
TXN_SCHEMA = pa.schema(
    [
        ("txn_id", pa.int64()),
        ("date", pa.date32()),
        ("customer_no", _DICT),
        ("account_no", _DICT),
        ("amount", pa.float64()),
        ("direction", _DICT),
        ("txn_type", _DICT),
        ("channel", _DICT),
        ("counterparty_bank_code", _DICT),
        ("counterparty_bank_name", _DICT),
        ("counterparty_name", _DICT),
    ]
)
DAILY_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("customer_no", _DICT),
        ("deposit", pa.float64()),
        ("investment", pa.float64()),
        ("loan", pa.float64()),
    ]
)
HOLDINGS_SCHEMA = pa.schema(
    [
        ("as_of", pa.date32()),
        ("customer_no", _DICT),
        ("account_no", pa.string()),
        ("product_code", _DICT),
        ("balance", pa.float64()),
        ("maturity_date", pa.date32()),
    ]
)


def _small(indices: np.ndarray, dictionary: pa.Array) -> pa.DictionaryArray:
    """Dictionary column over a small fixed dictionary (index < 0 = null)."""
    idx = np.asarray(indices)
    null = idx < 0
    arr = pa.array(np.where(null, 0, idx).astype(np.int32), mask=null if null.any() else None)
    return pa.DictionaryArray.from_arrays(arr, dictionary)


def transaction_blocks(
    cols: dict[str, np.ndarray],
    first_id: int,
    month_start: int,
    customer_no: pa.Array,
    account_no: pa.Array,
    cp_names: pa.Array,
    cp_remap: np.ndarray,
    rows_per_block: int = 1_000_000,
) -> Iterator[pa.Table]:
    """Tables of whole clients, about `rows_per_block` rows each, txn_id counting up from `first_id`."""
    n = cols["cust"].size
    cuts = [0]
    while cuts[-1] < n:
        target = min(n, cuts[-1] + rows_per_block)
        if target < n:  # move the cut to a client boundary
            target = int(np.searchsorted(cols["cust"], cols["cust"][target], side="left"))
            if target <= cuts[-1]:
                target = int(np.searchsorted(cols["cust"], cols["cust"][cuts[-1]], side="right"))
        cuts.append(target)
    for lo, hi in itertools.pairwise(cuts):
        s = slice(lo, hi)
        ttype = cols["ttype"][s]
        bank = cols["bank"][s]
        yield pa.table(
            {
                "txn_id": np.arange(first_id + lo, first_id + hi, dtype=np.int64),
                "date": dates(month_start + cols["day"][s]),
                "customer_no": sorted_dict_column(customer_no, cols["cust"][s]),
                "account_no": dict_column(account_no, cols["account"][s]),
                "amount": cols["amount"][s] / 100.0,
                "direction": _small(np.where(_IS_CREDIT[ttype], 0, 1), _DIRECTION),
                "txn_type": _small(ttype, _TYPES),
                "channel": _small(cols["channel"][s], _CHANNELS),
                "counterparty_bank_code": _small(bank, _BANK_CODES),
                "counterparty_bank_name": _small(bank, _BANK_NAMES),
                "counterparty_name": dict_column(cp_names, cp_remap[cols["cp"][s]]),
            },
            schema=TXN_SCHEMA,
        )


def counterparty_pools(rng: np.random.Generator, geo: GeoTables) -> dict[str, list[str]]:
    """Names of counterparties outside the bank (pools are small and fixed by the seed)."""
    cities = geo.city_short
    return {
        "merchant": list(MERCHANTS),
        "fee": list(FEE_TEXTS),
        "special": list(SPECIAL),
        "person": person_pool(rng, 4000),
        "employer": company_pool(rng, cities, 1500),
        "company": company_pool(rng, cities, 3000),
        "developer": company_pool(rng, cities, 200, suffix="房地产开发有限公司"),
        "social": [f"{name}社会保险基金管理中心" for name in geo.city_name],
        "product": [p.name for p in P.CATALOGUE],
    }


def tag_masks(
    rng: np.random.Generator, c: Customers, acc: Accounts, links: Links, parts: Parts, as_of: int
) -> dict[str, np.ndarray]:
    """Boolean mask per tag (see `refdata.INDIVIDUAL_TAGS` / `CORPORATE_TAGS`)."""
    n = c.n
    ind, corp = c.individual, c.corporate
    held = np.zeros((8, n), dtype=bool)
    for cat in range(8):
        held[cat, acc.cust[acc.category == cat]] = True
    mortgage = np.zeros(n, dtype=bool)
    mortgage[acc.cust[acc.product == P.index_of("LN001")]] = True
    u = rng.random((8, n))
    nb = links.buyer_offsets[1:] - links.buyer_offsets[:-1]
    ns = links.supplier_offsets[1:] - links.supplier_offsets[:-1]
    section = parts.industry
    tech = np.isin(section, [1, 2, 3, 5, 9, 17, 18, 19, 27, 29])
    return {
        "企业主": ind & links.owner,
        "高管": ind & links.executive,
        "上市公司高管": ind & links.listed_exec,
        "代发客户": ind & (c.employer >= 0),
        "房贷客户": ind & mortgage,
        "教育需求": ind & links.has_child & (c.age >= 35) & (c.age < 58)
        | ind & (c.age >= 30) & (c.age < 45) & (u[0] < 0.2),
        "养老规划": ind & (c.age >= 50) & (u[1] < 0.6),
        "跨境需求": ind & (c.passport | (c.wealth >= 1e6) & (u[2] < 0.25)),
        "保险需求": ind & (held[P.INSURANCE] | (u[3] < 0.05)),
        "理财偏好": ind & (held[P.WMP] | held[P.FUND]) & (c.wealth >= 2e5) & (u[4] < 0.6),
        "新客户": c.open_day >= as_of - 365,
        "退休": ind & c.pensioner,
        "医疗健康": ind & (c.age >= 60) & (u[5] < 0.3),
        "家族传承": ind & (c.wealth >= 2e7) & (u[6] < 0.6),
        "上市公司": corp & links.listed,
        "集团客户": corp & links.group_member,
        "代发工资单位": corp & links.payroll_corp,
        "供应链核心企业": corp & ((nb >= 2) | (ns >= 3)),
        "高新技术企业": corp & tech & (u[7] < 0.35),
        "专精特新": corp & tech & (u[7] >= 0.9),
    }

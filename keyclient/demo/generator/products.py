"""The product catalogue: deposits, time deposits, wealth management, funds, insurance, metals, loans, cards."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

CATEGORIES = ("deposit", "time_deposit", "wmp", "fund", "insurance", "precious_metal", "loan", "credit_card")
DEPOSIT, TIME_DEPOSIT, WMP, FUND, INSURANCE, METAL, LOAN, CARD = range(8)
INVESTMENT = (WMP, FUND, INSURANCE, METAL)
# Who may hold the product.
IND, CORP, BOTH = 1, 2, 3


@dataclass(frozen=True)
class Product:
    """One catalogue row; `audience` is IND, CORP or BOTH; `kind` tells loan amortisation or card tier."""

    code: str
    name: str
    category: int
    risk: int
    term_days: int | None
    rate: float
    fee_rate: float
    audience: int
    kind: str = ""


def _series(
    prefix: str, cat: int, rows: list[tuple[str, int, int | None, float, float, int, str]]
) -> list[Product]:
    return [
        Product(f"{prefix}{i:03d}", name, cat, risk, term, rate, fee, aud, kind)
        for i, (name, risk, term, rate, fee, aud, kind) in enumerate(rows, start=1)
    ]


CATALOGUE: tuple[Product, ...] = tuple(
    _series(
        "DP",
        DEPOSIT,
        [
            ("个人活期储蓄", 1, None, 0.0005, 0.0, IND, "primary"),
            ("单位基本存款账户", 1, None, 0.0025, 0.0, CORP, "primary"),
            ("个人通知存款(七天)", 1, 7, 0.0065, 0.0, IND, ""),
            ("单位协定存款", 1, None, 0.008, 0.0, CORP, ""),
        ],
    )
    + _series(
        "TD",
        TIME_DEPOSIT,
        [
            ("整存整取三个月", 1, 91, 0.0085, 0.0, BOTH, ""),
            ("整存整取六个月", 1, 182, 0.011, 0.0, BOTH, ""),
            ("整存整取一年", 1, 365, 0.013, 0.0, BOTH, ""),
            ("整存整取两年", 1, 730, 0.014, 0.0, BOTH, ""),
            ("整存整取三年", 1, 1095, 0.0175, 0.0, BOTH, ""),
            ("整存整取五年", 1, 1825, 0.018, 0.0, IND, ""),
            ("大额存单一年期", 1, 365, 0.0145, 0.0, BOTH, ""),
            ("大额存单三年期", 1, 1095, 0.019, 0.0, BOTH, ""),
            ("单位定期存款一年", 1, 365, 0.0125, 0.0, CORP, ""),
            ("结构性存款(挂钩黄金)", 2, 180, 0.022, 0.0, BOTH, ""),
        ],
    )
    + _series(
        "WM",
        WMP,
        [
            ("天天盈现金管理", 1, 1, 0.018, 0.002, BOTH, ""),
            ("安心稳享30天", 2, 30, 0.021, 0.003, IND, ""),
            ("安心稳享90天", 2, 90, 0.024, 0.003, IND, ""),
            ("安心稳享180天", 2, 180, 0.027, 0.004, IND, ""),
            ("睿远固收增强一年", 2, 365, 0.031, 0.005, IND, ""),
            ("睿远固收增强两年", 3, 730, 0.034, 0.005, IND, ""),
            ("稳健多策略一年", 3, 365, 0.036, 0.008, IND, ""),
            ("私享家定制三年", 3, 1095, 0.042, 0.01, IND, ""),
            ("私享家权益增强", 4, 365, 0.055, 0.012, IND, ""),
            ("企业金钥匙30天", 2, 30, 0.02, 0.002, CORP, ""),
            ("企业金钥匙90天", 2, 90, 0.023, 0.002, CORP, ""),
            ("企业金钥匙一年", 2, 365, 0.028, 0.003, CORP, ""),
        ],
    )
    + _series(
        "FD",
        FUND,
        [
            ("汇添富货币A", 1, None, 0.016, 0.0, IND, ""),
            ("天弘余额宝货币", 1, None, 0.015, 0.0, IND, ""),
            ("易方达纯债债券A", 2, None, 0.032, 0.0008, IND, ""),
            ("招商产业债券A", 2, None, 0.035, 0.0008, IND, ""),
            ("博时信用债券A", 2, None, 0.034, 0.0008, IND, ""),
            ("南方稳健成长混合", 3, None, 0.05, 0.012, IND, ""),
            ("兴全趋势投资混合", 3, None, 0.06, 0.015, IND, ""),
            ("交银优势行业混合", 4, None, 0.065, 0.015, IND, ""),
            ("中欧医疗健康混合A", 4, None, 0.07, 0.015, IND, ""),
            ("易方达蓝筹精选混合", 4, None, 0.068, 0.015, IND, ""),
            ("景顺长城新兴成长混合", 4, None, 0.066, 0.015, IND, ""),
            ("华夏沪深300ETF联接A", 4, None, 0.06, 0.0012, IND, ""),
            ("南方中证500ETF联接A", 4, None, 0.065, 0.0012, IND, ""),
            ("广发纳斯达克100ETF联接(QDII)", 5, None, 0.09, 0.012, IND, ""),
            ("华夏恒生科技ETF联接(QDII)", 5, None, 0.08, 0.012, IND, ""),
            ("招商中证白酒指数A", 5, None, 0.085, 0.01, IND, ""),
            ("诺安成长混合", 5, None, 0.09, 0.015, IND, ""),
        ],
    )
    + _series(
        "IN",
        INSURANCE,
        [
            ("国寿鑫享年金保险", 1, 3650, 0.03, 0.0, IND, ""),
            ("平安御享金瑞增额终身寿险", 1, 7300, 0.03, 0.0, IND, ""),
            ("太平洋长相伴养老年金", 1, 7300, 0.028, 0.0, IND, ""),
            ("泰康尊享人生两全保险", 2, 3650, 0.025, 0.0, IND, ""),
            ("友邦传世金尊终身寿险", 2, 10950, 0.032, 0.0, IND, ""),
            ("新华多倍保障重疾险", 1, 7300, 0.0, 0.0, IND, ""),
        ],
    )
    + _series(
        "PM",
        METAL,
        [
            ("积存金", 3, None, 0.08, 0.005, IND, ""),
            ("实物金条(100克)", 3, None, 0.08, 0.01, IND, ""),
            ("纸黄金", 4, None, 0.08, 0.003, IND, ""),
            ("纸白银", 4, None, 0.05, 0.003, IND, ""),
        ],
    )
    + _series(
        "LN",
        LOAN,
        [
            ("个人住房按揭贷款", 2, 10950, 0.031, 0.0, IND, "mortgage"),
            ("个人消费贷款", 2, 1095, 0.038, 0.0, IND, "consumer"),
            ("个人经营贷款", 3, 1095, 0.035, 0.0, IND, "consumer"),
            ("流动资金贷款", 3, 365, 0.034, 0.0, CORP, "bullet"),
            ("固定资产贷款", 3, 1825, 0.037, 0.0, CORP, "amortising"),
            ("供应链融资", 3, 180, 0.036, 0.0, CORP, "bullet"),
            ("银团贷款", 3, 1825, 0.033, 0.0, CORP, "amortising"),
        ],
    )
    + _series(
        "CC",
        CARD,
        [
            ("标准信用卡金卡", 1, None, 0.1825, 0.0, IND, "gold"),
            ("白金信用卡", 1, None, 0.1825, 0.0, IND, "platinum"),
            ("钻石信用卡", 1, None, 0.1825, 0.0, IND, "diamond"),
            ("无限信用卡", 1, None, 0.1825, 0.0, IND, "infinite"),
            ("公务卡", 1, None, 0.1825, 0.0, CORP, "business"),
        ],
    )
)


@dataclass(frozen=True)
class ProductArrays:
    """The catalogue as numpy columns (index = product row)."""

    category: np.ndarray
    risk: np.ndarray
    term_days: np.ndarray  # 0 = open-ended
    rate: np.ndarray
    audience: np.ndarray
    kind: list[str]
    code: pa.Array
    name: list[str]


@cache
def arrays() -> ProductArrays:
    """Numpy view of `CATALOGUE`."""
    c = CATALOGUE
    return ProductArrays(
        category=np.array([p.category for p in c]),
        risk=np.array([p.risk for p in c]),
        term_days=np.array([p.term_days or 0 for p in c]),
        rate=np.array([p.rate for p in c]),
        audience=np.array([p.audience for p in c]),
        kind=[p.kind for p in c],
        code=pa.array([p.code for p in c], pa.string()),
        name=[p.name for p in c],
    )


def table() -> pa.Table:
    """The `products` extract."""
    c = CATALOGUE
    return pa.table(
        {
            "product_code": pa.array([p.code for p in c], pa.string()),
            "name": pa.array([p.name for p in c], pa.string()),
            "category": pa.array([CATEGORIES[p.category] for p in c], pa.string()),
            "risk_rating": pa.array([f"R{p.risk}" for p in c], pa.string()),
            "currency": pa.array(["CNY"] * len(c), pa.string()),
            "term_days": pa.array([p.term_days for p in c], pa.int64()),
            "rate": pa.array([p.rate for p in c], pa.float64()),
            "fee_rate": pa.array([p.fee_rate for p in c], pa.float64()),
        }
    )


def index_of(code: str) -> int:
    """Row of a product code."""
    return next(i for i, p in enumerate(CATALOGUE) if p.code == code)


def choices(category: int, audience: int, kinds: tuple[str, ...] | None = None) -> np.ndarray:
    """Product rows of a category open to an audience, sorted by risk (for suitability draws)."""
    rows = [
        i
        for i, p in enumerate(CATALOGUE)
        if p.category == category and p.audience & audience and (kinds is None or p.kind in kinds)
    ]
    return np.array(sorted(rows, key=lambda i: CATALOGUE[i].risk), dtype=np.int64)

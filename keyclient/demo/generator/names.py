"""Chinese personal and company names, drawn vectorised from weighted pools.

A person's name is kept as three indices (surname, first and optional second given-name character)
so that household members can share a surname before the strings are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from .arrays import join, lookup, weighted_choice

# Most common surnames with their approximate share of the population (percent).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.25),
    ("李", 7.19),
    ("张", 6.83),
    ("刘", 5.38),
    ("陈", 4.61),
    ("杨", 3.22),
    ("黄", 2.45),
    ("赵", 2.29),
    ("吴", 2.07),
    ("周", 2.01),
    ("徐", 1.67),
    ("孙", 1.54),
    ("马", 1.45),
    ("朱", 1.35),
    ("胡", 1.31),
    ("郭", 1.19),
    ("何", 1.18),
    ("林", 1.15),
    ("高", 1.15),
    ("罗", 1.11),
    ("郑", 1.05),
    ("梁", 1.0),
    ("谢", 0.83),
    ("宋", 0.79),
    ("唐", 0.78),
    ("许", 0.71),
    ("韩", 0.69),
    ("冯", 0.66),
    ("邓", 0.65),
    ("曹", 0.64),
    ("彭", 0.6),
    ("曾", 0.59),
    ("肖", 0.57),
    ("田", 0.55),
    ("董", 0.52),
    ("袁", 0.51),
    ("潘", 0.5),
    ("于", 0.49),
    ("蒋", 0.48),
    ("蔡", 0.47),
    ("余", 0.46),
    ("杜", 0.45),
    ("叶", 0.45),
    ("程", 0.44),
    ("苏", 0.42),
    ("魏", 0.41),
    ("吕", 0.4),
    ("丁", 0.39),
    ("任", 0.38),
    ("沈", 0.37),
    ("姚", 0.36),
    ("卢", 0.35),
    ("姜", 0.34),
    ("崔", 0.33),
    ("钟", 0.32),
    ("谭", 0.31),
    ("陆", 0.3),
    ("汪", 0.29),
    ("范", 0.28),
    ("金", 0.27),
    ("石", 0.26),
    ("廖", 0.25),
    ("贾", 0.25),
    ("夏", 0.24),
    ("韦", 0.24),
    ("付", 0.23),
    ("方", 0.22),
    ("白", 0.21),
    ("邹", 0.21),
    ("孟", 0.2),
    ("熊", 0.2),
    ("秦", 0.19),
    ("邱", 0.19),
    ("江", 0.18),
    ("尹", 0.18),
    ("薛", 0.17),
    ("闫", 0.17),
    ("段", 0.16),
    ("雷", 0.16),
    ("侯", 0.15),
    ("龙", 0.15),
    ("史", 0.15),
    ("陶", 0.14),
    ("黎", 0.14),
    ("贺", 0.14),
    ("顾", 0.13),
    ("毛", 0.13),
    ("郝", 0.13),
    ("龚", 0.12),
    ("邵", 0.12),
    ("万", 0.12),
    ("钱", 0.12),
    ("严", 0.11),
    ("覃", 0.11),
    ("武", 0.11),
    ("戴", 0.11),
    ("莫", 0.1),
    ("孔", 0.1),
    ("向", 0.1),
    ("汤", 0.1),
    ("欧阳", 0.03),
    ("司马", 0.01),
    ("上官", 0.01),
    ("诸葛", 0.01),
)
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国峰亮成志文博晨轩睿泽皓然天嘉鸿海东振兴宏德永庆春铭坤荣彬洋毅政晖立远航翔松达正"
FEMALE_CHARS = "芳娜敏静丽艳秀英霞燕玲桂丹萍红娟婷雪慧琳颖倩洁琴云莉欣怡佳梅晶蕾薇媛月璐悦彤涵萱诗雨梦婧瑶琪馨妍婉蓉晴菲露岚娇"
NEUTRAL_CHARS = "子一晓思雅文安家嘉小新可若心宁瑞欣"

BRAND_CHARS = "".join(
    dict.fromkeys("华瑞恒通鑫达盛源泰德嘉宏远兴隆安信诚金天海新光明科创博聚汇丰益佳合中联正祥润永和顺昌荣锦")
)
# (industry word, GB/T 4754 section); the section becomes the corporate's `industry`.
INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("精密机械", "C 制造业"),
    ("电子科技", "C 制造业"),
    ("新材料", "C 制造业"),
    ("生物医药", "C 制造业"),
    ("汽车零部件", "C 制造业"),
    ("医疗器械", "C 制造业"),
    ("纺织服饰", "C 制造业"),
    ("食品", "C 制造业"),
    ("化工", "C 制造业"),
    ("智能装备", "C 制造业"),
    ("国际贸易", "F 批发和零售业"),
    ("商贸", "F 批发和零售业"),
    ("供应链管理", "F 批发和零售业"),
    ("建设工程", "E 建筑业"),
    ("建筑装饰工程", "E 建筑业"),
    ("房地产开发", "K 房地产业"),
    ("物业管理", "K 房地产业"),
    ("信息技术", "I 信息传输、软件和信息技术服务业"),
    ("软件", "I 信息传输、软件和信息技术服务业"),
    ("网络科技", "I 信息传输、软件和信息技术服务业"),
    ("物流", "G 交通运输、仓储和邮政业"),
    ("餐饮管理", "H 住宿和餐饮业"),
    ("酒店管理", "H 住宿和餐饮业"),
    ("文化传媒", "R 文化、体育和娱乐业"),
    ("农业发展", "A 农、林、牧、渔业"),
    ("投资管理", "L 租赁和商务服务业"),
    ("企业管理咨询", "L 租赁和商务服务业"),
    ("新能源", "D 电力、热力、燃气及水生产和供应业"),
    ("环保科技", "N 水利、环境和公共设施管理业"),
    ("检测技术", "M 科学研究和技术服务业"),
    ("健康管理", "Q 卫生和社会工作"),
)
SUFFIXES: tuple[str, ...] = ("有限公司", "股份有限公司", "集团有限公司")
SUFFIX_WEIGHTS = np.array([0.74, 0.2, 0.06])


@dataclass
class PersonNames:
    """Index form of personal names: surname, given chars (second = -1 for a one-character given name)."""

    surname: np.ndarray
    given1: np.ndarray
    given2: np.ndarray


def given_pool() -> list[str]:
    """All given-name characters: male, female, then neutral (indices into this list)."""
    return list(MALE_CHARS) + list(FEMALE_CHARS) + list(NEUTRAL_CHARS)


def draw_people(rng: np.random.Generator, male: np.ndarray) -> PersonNames:
    """Names for people of the given sex: weighted surname, 2-3 characters in all."""
    n = male.size
    weights = np.array([w for _, w in SURNAMES])
    surname = weighted_choice(rng, weights, n)
    nm, nf, nn = len(MALE_CHARS), len(FEMALE_CHARS), len(NEUTRAL_CHARS)

    def one(size: int) -> np.ndarray:
        own = np.where(male, rng.integers(0, nm, size), nm + rng.integers(0, nf, size))
        neutral = nm + nf + rng.integers(0, nn, size)
        return np.where(rng.random(size) < 0.25, neutral, own)

    given1 = one(n)
    given2 = np.where(rng.random(n) < 0.72, one(n), -1)
    return PersonNames(surname=surname, given1=given1, given2=given2)


def person_strings(names: PersonNames) -> pa.Array:
    """Build the name strings."""
    given = pa.array([*given_pool(), ""])
    second = np.where(names.given2 < 0, len(given) - 1, names.given2)
    return join(
        lookup([s for s, _ in SURNAMES], names.surname), lookup(given, names.given1), lookup(given, second)
    )


@cache
def pinyin_tables() -> tuple[list[str], list[str]]:
    """Pinyin (no tones) of each surname and each given-name character, for e-mail addresses."""
    from pypinyin import Style, lazy_pinyin

    surnames = ["".join(lazy_pinyin(s, style=Style.NORMAL)) for s, _ in SURNAMES]
    given = [lazy_pinyin(c, style=Style.NORMAL)[0] for c in given_pool()]
    return surnames, given


def person_pool(rng: np.random.Generator, size: int) -> list[str]:
    """A list of random people's names (counterparties outside the bank)."""
    return person_strings(draw_people(rng, rng.random(size) < 0.5)).to_pylist()


@dataclass
class CompanyNames:
    """Index form of company names."""

    place: pa.Array  # city or province short name
    brand1: np.ndarray
    brand2: np.ndarray
    industry: np.ndarray
    suffix: np.ndarray


def draw_companies(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Brand characters, industry and suffix indices for `n` companies."""
    nb = len(BRAND_CHARS)
    b1 = rng.integers(0, nb, n)
    b2 = (b1 + rng.integers(1, nb, n)) % nb
    return b1, b2, rng.integers(0, len(INDUSTRIES), n), weighted_choice(rng, SUFFIX_WEIGHTS, n)


def company_key(place: np.ndarray, b1: np.ndarray, b2: np.ndarray, industry: np.ndarray) -> np.ndarray:
    """An integer that is equal exactly when two names (bar the suffix) are equal."""
    nb = len(BRAND_CHARS)
    return ((place.astype(np.int64) * nb + b1) * nb + b2) * len(INDUSTRIES) + industry


def company_strings(c: CompanyNames) -> pa.Array:
    """`杭州` + `华瑞` + `精密机械` + `有限公司`; group parents: `浙江华瑞控股集团有限公司`."""
    brand = list(BRAND_CHARS)
    group = c.suffix == 2
    words = [w for w, _ in INDUSTRIES] + ["控股"]
    industry = np.where(group, len(words) - 1, c.industry)
    return join(
        c.place,
        lookup(brand, c.brand1),
        lookup(brand, c.brand2),
        lookup(words, industry),
        lookup(SUFFIXES, c.suffix),
    )


def brand_pinyin(b1: np.ndarray, b2: np.ndarray) -> pa.Array:
    """Pinyin of a company's two brand characters (for its e-mail domain)."""
    from pypinyin import Style, lazy_pinyin

    table = [lazy_pinyin(c, style=Style.NORMAL)[0] for c in BRAND_CHARS]
    return join(lookup(table, b1), lookup(table, b2))


def company_pool(
    rng: np.random.Generator, places: list[str], size: int, suffix: str = "有限公司"
) -> list[str]:
    """Names of companies outside the bank (employers, merchants' owners, developers)."""
    b1, b2, ind, _ = draw_companies(rng, size)
    brand = BRAND_CHARS
    p = rng.integers(0, len(places), size)
    return [f"{places[p[i]]}{brand[b1[i]]}{brand[b2[i]]}{INDUSTRIES[ind[i]][0]}{suffix}" for i in range(size)]

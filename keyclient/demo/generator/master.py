"""The client master extract: names, identity documents, contact points, addresses, status, tags."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import dates, digit_strings, int_strings, join, lookup, with_nulls
from .churn import Leavers
from .clients import Customers
from .geo import AREA_CODES, BUILDINGS, ESTATES, STREETS, GeoTables
from .identity import mobiles, passports, resident_ids, uscc
from .names import (
    INDUSTRIES,
    CompanyNames,
    PersonNames,
    brand_pinyin,
    company_key,
    company_strings,
    draw_companies,
    draw_people,
    person_strings,
    pinyin_tables,
)
from .org import OrgTree, Staff

EMAIL_DOMAINS = (
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "foxmail.com",
    "139.com",
    "outlook.com",
    "gmail.com",
)
STATUSES = ("active", "dormant", "closed")


@dataclass
class Parts:
    """Name and address parts of every client, editable before strings are built (households, groups)."""

    person: PersonNames
    brand1: np.ndarray
    brand2: np.ndarray
    industry: np.ndarray
    suffix: np.ndarray
    street: np.ndarray
    number: np.ndarray
    estate: np.ndarray
    building: np.ndarray
    room: np.ndarray


def customer_numbers(n: int) -> pa.StringArray:
    """`1000000001`, `1000000002`, ..."""
    return digit_strings(1_000_000_001 + np.arange(n, dtype=np.int64), 10)


def draw_parts(rng: np.random.Generator, c: Customers) -> Parts:
    """Random name and address parts."""
    n = c.n
    b1, b2, ind, suffix = draw_companies(rng, n)
    return Parts(
        person=draw_people(rng, c.male),
        brand1=b1,
        brand2=b2,
        industry=ind,
        suffix=suffix,
        street=rng.integers(0, len(STREETS), n),
        number=rng.integers(1, 400, n),
        estate=rng.integers(0, len(ESTATES), n),
        building=rng.integers(1, 30, n),
        room=rng.integers(1, 33, n) * 100 + rng.integers(1, 5, n),
    )


def company_place(c: Customers, parts: Parts) -> np.ndarray:
    """Index into cities (or, for group parents, into provinces offset by the number of cities)."""
    return np.where(parts.suffix == 2, 1000 + c.province, c.city)


def dedupe_companies(rng: np.random.Generator, c: Customers, parts: Parts, fixed: np.ndarray) -> None:
    """Redraw the industry (then the brand) of corporates whose name repeats another's; `fixed` keep brands."""
    for attempt in range(50):
        key = company_key(company_place(c, parts), parts.brand1, parts.brand2, parts.industry)
        key = np.where(c.corporate, key, -1 - np.arange(c.n))
        order = np.argsort(key, kind="stable")
        dup = np.zeros(c.n, dtype=bool)
        dup[order[1:]] = key[order[1:]] == key[order[:-1]]
        if not dup.any():
            return
        k = int(dup.sum())
        parts.industry[dup] = rng.integers(0, len(INDUSTRIES), k)
        if attempt > 3:
            free = dup & ~fixed
            b1, b2, _, _ = draw_companies(rng, int(free.sum()))
            parts.brand1[free], parts.brand2[free] = b1, b2
    raise RuntimeError("could not make company names unique")


def _unique_id_sequences(
    rng: np.random.Generator, region: np.ndarray, birth: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """3-digit ID sequences (odd for men) such that region + birth date + sequence is unique."""
    n = region.size
    seq = rng.integers(0, 500, n) * 2 + male
    for _ in range(100):
        key = (region * 100_000 + birth) * 1000 + seq
        order = np.argsort(key, kind="stable")
        dup = np.zeros(n, dtype=bool)
        dup[order[1:]] = key[order[1:]] == key[order[:-1]]
        if not dup.any():
            return seq
        seq[dup] = rng.integers(0, 500, int(dup.sum())) * 2 + male[dup]
    raise RuntimeError("could not make resident IDs unique")


def tag_strings(masks: dict[str, np.ndarray], n: int) -> pa.Array:
    """Semicolon-separated tags from boolean masks (built per distinct combination, not per client)."""
    names = list(masks)
    code = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(names):
        code |= masks[name].astype(np.int64) << bit
    uniq, inverse = np.unique(code, return_inverse=True)
    texts = [";".join(nm for b, nm in enumerate(names) if (int(u) >> b) & 1) for u in uniq]
    return pa.array(texts, pa.string()).take(pa.array(inverse.reshape(-1)))


def build_table(
    rng: np.random.Generator,
    c: Customers,
    parts: Parts,
    lv: Leavers,
    geo: GeoTables,
    tree: OrgTree,
    staff: Staff,
    tags: pa.Array,
) -> pa.Table:
    """The `customers` extract."""
    n = c.n
    corp, ind = c.corporate, c.individual
    person = person_strings(parts.person)
    place_names = pa.array(geo.city_short + [""] * (1000 - len(geo.city_short)) + geo.province_short)
    company = company_strings(
        CompanyNames(
            lookup(place_names, company_place(c, parts)),
            parts.brand1,
            parts.brand2,
            parts.industry,
            parts.suffix,
        )
    )
    name = pc.if_else(pa.array(corp), company, person)
    region = geo.district_code[c.district]
    birth = c.birth_day.astype("datetime64[D]")
    seq = _unique_id_sequences(rng, region, c.birth_day, c.male.astype(np.int64))
    resident = resident_ids(region, birth, seq)
    credit = uscc(region, np.arange(n))
    id_type_idx = np.where(corp, 2, np.where(c.passport, 1, 0))
    id_number = pc.if_else(
        pa.array(corp), credit, pc.if_else(pa.array(c.passport), passports(np.arange(n)), resident)
    )

    serial = rng.permutation(n)
    mobile = mobiles(rng, serial)
    area = lookup([AREA_CODES[s] for s in geo.city_short], c.city)
    landline = join(
        area, "-", digit_strings(rng.integers(2, 9, n) * 10_000_000 + rng.integers(0, 10_000_000, n), 8)
    )
    phone2 = with_nulls(landline, rng.random(n) >= np.where(corp, 0.8, 0.25))

    sur_py, given_py = pinyin_tables()
    given_py_ext = [*given_py, ""]
    g2 = np.where(parts.person.given2 < 0, len(given_py_ext) - 1, parts.person.given2)
    suffix_digits = pc.if_else(
        pa.array(rng.random(n) < 0.6), int_strings(rng.integers(1, 9999, n)), pa.scalar("", pa.string())
    )
    personal_mail = join(
        lookup(sur_py, parts.person.surname),
        lookup(given_py_ext, parts.person.given1),
        lookup(given_py_ext, g2),
        suffix_digits,
        "@",
        lookup(EMAIL_DOMAINS, rng.integers(0, len(EMAIL_DOMAINS), n)),
    )
    qq_mail = join(int_strings(rng.integers(10_000_000, 3_000_000_000, n)), "@qq.com")
    personal_mail = pc.if_else(pa.array(rng.random(n) < 0.3), qq_mail, personal_mail)
    corp_mail = join(
        lookup(("finance", "contact", "service", "hr", "info"), rng.integers(0, 5, n)),
        "@",
        brand_pinyin(parts.brand1, parts.brand2),
        int_strings(c.city),
        ".com.cn",
    )
    email = with_nulls(
        pc.if_else(pa.array(corp), corp_mail, personal_mail), rng.random(n) >= np.where(corp, 0.85, 0.65)
    )

    prov_name = lookup(geo.province_name, c.province)
    city_name = lookup(geo.city_name, c.city)
    prov_prefix = lookup([p if p not in geo.city_name else "" for p in geo.province_name], c.province)
    base = join(
        prov_prefix,
        city_name,
        lookup(geo.district_name, c.district),
        lookup(STREETS, parts.street),
        int_strings(parts.number),
        "号",
    )
    home = join(
        base,
        lookup(ESTATES, parts.estate),
        int_strings(parts.building),
        "栋",
        int_strings(parts.room // 100 % 4 + 1),
        "单元",
        int_strings(parts.room),
        "室",
    )
    office = join(
        base, lookup(BUILDINGS, parts.estate % len(BUILDINGS)), int_strings(parts.room // 100), "层"
    )
    address = pc.if_else(pa.array(corp), office, home)

    risk = with_nulls(lookup([f"C{i}" for i in range(6)], c.risk_level), c.risk_level == 0)
    return pa.table(
        {
            "customer_no": customer_numbers(n),
            "kind": lookup(("individual", "corporate"), corp.astype(np.int64)),
            "name": name,
            "gender": lookup(("F", "M"), c.male.astype(np.int64), mask=ind),
            "birth_date": dates(c.birth_day, null=corp),
            "industry": lookup([s for _, s in INDUSTRIES], parts.industry, mask=corp),
            "registration_no": with_nulls(credit, ind),
            "id_type": lookup(("resident_id", "passport", "uscc"), id_type_idx),
            "id_number": id_number,
            "mobile": mobile,
            "phone2": phone2,
            "email": email,
            "address": address,
            "province": prov_name,
            "city": city_name,
            "home_org_code": lookup(tree.code, c.home_org),
            "rm_staff_no": lookup(staff.staff_no, c.rm if c.rm is not None else np.full(n, -1)),
            "open_date": dates(c.open_day),
            "status": lookup(STATUSES, lv.status.astype(np.int64)),
            "risk_tolerance": risk,
            "risk_assessed_on": dates(c.assessed_day, null=c.risk_level == 0),
            "tags": tags,
        }
    )

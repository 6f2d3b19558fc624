"""An attacker without the unmask right tries to rebuild every masked field from what they are shown.

For each role that sees the clients without unmasking, the test collects every page, API answer and
export that shows them, then runs the attacks an insider would: look for any string that fits a
mask's visible characters, put a shown birth date into the ID's hidden digits, and narrow the hidden
digits down with the shown age and the ID's check character. Each attack must fail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from keyclient.customers.models import ContactPoint, Customer
from keyclient.customers.services import search_keys
from keyclient.products.models import Holding, Product
from keyclient.products.services import account_bidx
from keyclient.security.masking import MASKERS, mask_account_no, mask_id_number, mask_phone
from tests.leakscan import response_text
from tests.personas import place

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17: str) -> str:
    """The check character of a resident ID (GB 11643-1999)."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


BIRTH = dt.date(1983, 7, 19)
RESIDENT_ID = "110108" + BIRTH.strftime("%Y%m%d") + "417"
RESIDENT_ID += check_char(RESIDENT_ID)
MOBILE = "13912340417"
EMAIL = "wenjing.lu@example.com"
ADDRESS = "北京市海淀区中关村大街27号3栋1201室"
ACCOUNT = "6222020200012345678"
CREDIT_CODE = "91110108MA01Q7XK3N"  # unified social credit code; its registration number is the same
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@pytest.fixture
def targets(bank):  # type: ignore[no-untyped-def]
    """An individual with a real-looking resident ID, contacts and an account; a corporate whose
    registration number is its credit code. Both in 中关村网点, in rm_hd's book."""
    rm, unit = bank.user("rm_hd"), bank.units["zgc"]
    person = Customer.objects.create(
        customer_no="6200000101",
        kind="individual",
        name="陆文静",
        gender="F",
        birth_date=BIRTH,
        id_type="resident_id",
        id_number=RESIDENT_ID,
        mobile=MOBILE,
        home_org_unit=unit,
        primary_rm=rm,
        tier="diamond",
        **search_keys(name="陆文静", id_number=RESIDENT_ID, mobile=MOBILE),
    )
    ContactPoint.objects.create(customer=person, kind="email", value=EMAIL)
    ContactPoint.objects.create(customer=person, kind="address", value=ADDRESS)
    product = Product.objects.create(code="DEP-X", name="活期存款", category="deposit", risk_rating="R1")
    Holding.objects.create(
        as_of=dt.date(2026, 10, 31),
        customer=person,
        product=product,
        account_no=ACCOUNT,
        account_bidx=account_bidx(ACCOUNT),
        balance=Decimal("1000.00"),
    )
    company = Customer.objects.create(
        customer_no="6200000102",
        kind="corporate",
        name="陆氏精密机械有限公司",
        industry="制造业",
        registration_no=CREDIT_CODE,
        id_type="uscc",
        id_number=CREDIT_CODE,
        home_org_unit=unit,
        primary_rm=rm,
        tier="diamond",
        **search_keys(name="陆氏精密机械有限公司", id_number=CREDIT_CODE, mobile=""),
    )
    place({person: Decimal("9000000.00"), company: Decimal("8000000.00")}, None)
    return person, company


def everything_shown(client, person: Customer, company: Customer, *, exports: bool) -> str:  # type: ignore[no-untyped-def]
    """The text of every page, API answer and export that shows the two clients, in both languages."""
    urls = [
        f"/clients/{person.pk}/",
        f"/clients/{company.pk}/",
        "/clients/?q=陆",
        f"/api/customers/{person.pk}/",
        f"/api/customers/{company.pk}/",
        "/api/customers/?q=陆",
        f"/api/contacts/?customer={person.pk}",
        f"/api/customers/{person.pk}/holdings/",
    ]
    if exports:
        urls += ["/clients/export/?q=陆&format=csv", "/clients/export/?q=陆&format=xlsx"]
    texts = []
    for language in ("zh-hans", "en"):
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            text = response_text(response)
            if response["Content-Type"].startswith("application/json"):  # JSON escapes CJK: decode it
                text += " " + json.dumps(response.json(), ensure_ascii=False)
            texts.append(text)
    return "\n".join(texts)


def fitting(masked: str, text: str, *, same_length: bool = True) -> set[str]:
    """Every string in `text` (as shown, and with spaces and dashes removed) that fits `masked`:
    the same visible characters in the same places, anything where the mask has `*` (as many
    characters as stars when the mask keeps the length, otherwise any number)."""
    parts = [part for part in re.split(r"(\*+)", masked) if part]
    runs = [
        re.escape(part)
        if not part.startswith("*")
        else f"[^\\s<>\"'*]{{{len(part)}}}"
        if same_length
        else "[^\\s<>\"'*]+" + ("" if index == len(parts) - 1 else "?")
        for index, part in enumerate(parts)
    ]
    pattern = re.compile("".join(runs))
    found: set[str] = set()
    for variant in (text, re.sub(r"[\s\-]", "", text)):
        found.update(pattern.findall(variant))
    return found


def dates_shown(text: str) -> set[dt.date]:
    """Every calendar date written in `text`, in the formats pages, JSON and exports use."""
    found: set[dt.date] = set()

    def add(y: str, m: str | int, d: str) -> None:
        with contextlib.suppress(ValueError):
            found.add(dt.date(int(y), int(m), int(d)))

    for y, m, d in re.findall(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})(?!\d)", text):
        add(y, m, d)
    for y, m, d in re.findall(r"(?<!\d)(19\d\d|20\d\d)(\d\d)(\d\d)(?!\d)", text):
        add(y, m, d)
    names = "|".join(MONTH_NAMES + MONTHS)
    for name, d, y in re.findall(rf"({names})\.? (\d{{1,2}}), (\d{{4}})", text):
        month = (MONTH_NAMES.index(name) if name in MONTH_NAMES else MONTHS.index(name)) + 1
        add(y, month, d)
    return found


def ids_from_dates(masked_id: str, text: str) -> set[str]:
    """Resident IDs rebuilt by putting each date shown into the eight hidden digits (valid check only)."""
    head, tail = masked_id[:6], masked_id[-4:]
    rebuilt = set()
    for day in dates_shown(text):
        first17 = head + day.strftime("%Y%m%d") + tail[:3]
        if check_char(first17) == tail[-1]:
            rebuilt.add(first17 + tail[-1])
    return rebuilt


def ids_from_age(masked_id: str, age: int, today: dt.date) -> set[str]:
    """Resident IDs consistent with the shown age and the visible check character."""
    head, tail = masked_id[:6], masked_id[-4:]
    day, rebuilt = dt.date(today.year - age - 1, 1, 1), set()
    while day <= today:
        years = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
        first17 = head + day.strftime("%Y%m%d") + tail[:3]
        if years == age and check_char(first17) == tail[-1]:
            rebuilt.add(first17 + tail[-1])
        day += dt.timedelta(days=1)
    return rebuilt


@pytest.mark.parametrize(
    ("persona", "exports"), [("head_office", True), ("compliance", True), ("rm_hd", False)]
)
def test_no_masked_field_can_be_rebuilt_from_what_a_role_sees(targets, bank, login, persona, exports):
    person, company = targets
    text = everything_shown(login(bank.user(persona)), person, company, exports=exports)
    masked_id = mask_id_number(RESIDENT_ID)
    assert masked_id in text  # the attacker has the masked ID to start from
    rebuilt: list[str] = []

    # 1. Any string shown that fits a mask's visible characters gives the value away.
    for clear, masked, same_length in [
        (RESIDENT_ID, masked_id, True),
        (MOBILE, mask_phone(MOBILE), True),
        (CREDIT_CODE, mask_id_number(CREDIT_CODE), True),
        (ACCOUNT, mask_account_no(ACCOUNT).replace(" ", ""), False),
        (EMAIL, MASKERS["email"](EMAIL), False),
        (ADDRESS, MASKERS["address"](ADDRESS), False),
    ]:
        if clear in fitting(masked, text, same_length=same_length) or clear in text:
            rebuilt.append(f"{masked} -> {clear} (shown elsewhere)")

    # 2. The birth date is the ID's hidden digits: no form of it may be shown.
    if BIRTH in dates_shown(text) or BIRTH.strftime("%Y%m%d") in text:
        rebuilt.append(f"birth date {BIRTH} shown")
    if RESIDENT_ID in ids_from_dates(masked_id, text):
        rebuilt.append(f"{masked_id} -> {RESIDENT_ID} (a date shown fills the hidden digits)")
    assert rebuilt == []

    # 3. What is shown instead (the age) leaves many IDs possible, even with the check character.
    ages = {int(a) for a in re.findall(r'data-testid="age">(\d+)', text)}
    ages |= {int(a) for a in re.findall(r'"age": ?(\d+)', text)}
    today = timezone.localdate()
    assert ages == {today.year - BIRTH.year - ((today.month, today.day) < (BIRTH.month, BIRTH.day))}
    candidates = ids_from_age(masked_id, ages.pop(), today)
    assert RESIDENT_ID in candidates
    assert len(candidates) >= 10


def test_the_360_and_the_api_show_the_age_and_mask_birth_date_and_registration_number(targets, bank, login):
    person, company = targets
    client = login(bank.user("rm_hd"))
    body = client.get(f"/clients/{person.pk}/").content.decode()
    assert 'data-testid="birth-date">****-**-**<' in body
    assert 'name="field" value="birth_date"' in body  # break-glass offered to a role with the right
    body = client.get(f"/clients/{company.pk}/").content.decode()
    assert 'data-testid="registration-no">911101********XK3N<' in body
    assert 'name="field" value="registration_no"' in body
    today = timezone.localdate()
    data = client.get(f"/api/customers/{person.pk}/").json()
    assert "birth_date" not in data
    assert data["age"] == today.year - 1983 - ((today.month, today.day) < (7, 19))
    data = client.get(f"/api/customers/{company.pk}/").json()
    assert (data["age"], data["registration_no"]) == (None, "911101********XK3N")
    # Without a birth date or registration number there is nothing to show or unmask.
    Customer.objects.filter(pk=person.pk).update(birth_date=None)
    body = client.get(f"/clients/{person.pk}/").content.decode()
    assert 'data-testid="age">—<' in body and 'value="birth_date"' not in body

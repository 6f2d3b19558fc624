"""The persona kit: a small bank with two branches and one user per role, shared by every test.

    总行 000000
    ├── 北京分行 110000
    │   ├── 海淀支行 110108 ── 中关村网点 11010801      team T-HD: lead_hd, rm_hd, rm_hd2 (at 海淀)
    │   │                                            team T-ZGC: rm_zgc (at 中关村)
    │   └── 朝阳支行 110105                             team T-CY: rm_cy
    └── 上海分行 310000
        └── 浦东支行 310115                             team T-PD: rm_pd

Clients: zhang (张三, rm_hd, 中关村网点), li (李四, rm_hd2, 海淀), wang (王五, rm_cy, 朝阳),
zhao (赵六, rm_pd, 浦东), served (钱七, primary rm_hd2 at 海淀, rm_pd serves it as investment advisor).

The "must not see" RMs of 张三 (rm_hd's client) are near and far: rm_hd2 (same team, same
sub-branch), rm_zgc (works at 张三's own outlet, in another team, with an empty book) and rm_pd
(another city). A scope widened from "own book" to a team or a sub-branch shows up as one of the
near ones seeing 张三.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

PASSWORD = "Persona-Password-2026"


@dataclass
class Bank:
    units: dict
    users: dict
    customers: dict

    def user(self, name: str):  # type: ignore[no-untyped-def]
        return self.users[name]


VISIBLE = {
    "rm_hd": {"zhang"},
    "rm_hd2": {"li", "served"},
    "rm_cy": {"wang"},
    "rm_pd": {"zhao", "served"},
    "rm_zgc": set(),
    "lead_hd": {"zhang", "li", "served"},
    "head_bj": {"zhang", "li", "wang", "served"},
    "head_office": {"zhang", "li", "wang", "zhao", "served"},
    "risk": {"zhang", "li", "wang", "zhao", "served"},
    "compliance": {"zhang", "li", "wang", "zhao", "served"},
    "admin": set(),
}


def build_bank() -> Bank:
    from django.contrib.auth.hashers import make_password

    from keyclient.customers.models import Customer, ServiceTeamMember
    from keyclient.customers.services import search_keys
    from keyclient.org.models import Team, User
    from keyclient.org.services import create_org_unit

    ho = create_org_unit(code="000000", name="总行", level="head_office", parent=None)
    bj = create_org_unit(code="110000", name="北京分行", level="branch", parent=ho, province="北京")
    hd = create_org_unit(
        code="110108", name="北京海淀支行", level="sub_branch", parent=bj, province="北京", city="北京"
    )
    zgc = create_org_unit(
        code="11010801", name="中关村网点", level="outlet", parent=hd, province="北京", city="北京"
    )
    cy = create_org_unit(
        code="110105", name="北京朝阳支行", level="sub_branch", parent=bj, province="北京", city="北京"
    )
    sh = create_org_unit(code="310000", name="上海分行", level="branch", parent=ho, province="上海")
    pd = create_org_unit(
        code="310115", name="上海浦东支行", level="sub_branch", parent=sh, province="上海", city="上海"
    )
    units = {"ho": ho, "bj": bj, "hd": hd, "zgc": zgc, "cy": cy, "sh": sh, "pd": pd}
    teams = {
        "hd": Team.objects.create(code="T-HD", name="海淀一队", org_unit=hd),
        "cy": Team.objects.create(code="T-CY", name="朝阳一队", org_unit=cy),
        "pd": Team.objects.create(code="T-PD", name="浦东一队", org_unit=pd),
        "zgc": Team.objects.create(code="T-ZGC", name="中关村一队", org_unit=zgc),
    }
    hashed = make_password(PASSWORD)
    spec = {
        "rm_hd": ("E1001", "孙一", "relationship_manager", hd, teams["hd"]),
        "rm_hd2": ("E1002", "孙二", "relationship_manager", hd, teams["hd"]),
        "lead_hd": ("E1003", "孙队", "team_lead", hd, teams["hd"]),
        "rm_cy": ("E1004", "周一", "relationship_manager", cy, teams["cy"]),
        "rm_pd": ("E1005", "吴一", "relationship_manager", pd, teams["pd"]),
        "head_bj": ("E1006", "郑行", "branch_head", bj, None),
        "head_office": ("E1007", "冯总", "head_office", ho, None),
        "risk": ("E1008", "陈风", "risk_officer", ho, None),
        "compliance": ("E1009", "褚合", "compliance", ho, None),
        "admin": ("E1010", "卫管", "administrator", ho, None),
        "rm_zgc": ("E1011", "孙三", "relationship_manager", zgc, teams["zgc"]),
    }
    users = {
        key: User.objects.create(
            username=no, display_name=name, role=role, org_unit=unit, team=team, password=hashed
        )
        for key, (no, name, role, unit, team) in spec.items()
    }
    people = {
        "zhang": (
            "6200000001",
            "张三",
            "110108198001011235",
            "13800001234",
            zgc,
            "rm_hd",
            "12000000.00",
            "private_banking",
        ),
        "li": (
            "6200000002",
            "李四",
            "110108198502022341",
            "13900002345",
            hd,
            "rm_hd2",
            "800000.00",
            "platinum",
        ),
        "wang": ("6200000003", "王五", "110105197003033456", "13700003456", cy, "rm_cy", "60000.00", "gold"),
        "zhao": (
            "6200000004",
            "赵六",
            "310115199004044567",
            "13600004567",
            pd,
            "rm_pd",
            "7000000.00",
            "diamond",
        ),
        "served": (
            "6200000005",
            "钱七",
            "110108196505055678",
            "13500005678",
            hd,
            "rm_hd2",
            "3000000.00",
            "platinum",
        ),
    }
    customers = {}
    for key, (no, name, id_number, mobile, unit, rm, _aum, tier) in people.items():
        customers[key] = Customer.objects.create(
            customer_no=no,
            kind="individual",
            name=name,
            gender="M",
            birth_date=dt.date(1980, 1, 1),
            id_type="resident_id",
            id_number=id_number,
            mobile=mobile,
            province=unit.province,
            city=unit.city,
            home_org_unit=unit,
            primary_rm=users[rm],
            tier=tier,
            **search_keys(name=name, id_number=id_number, mobile=mobile),
        )
    place({customers[k]: Decimal(row[6]) for k, row in people.items()}, dt.date(2026, 10, 31))
    ServiceTeamMember.objects.create(
        customer=customers["served"], member=users["rm_pd"], team_role="investment_advisor"
    )
    return Bank(units=units, users=users, customers=customers)


def place(aums: dict, as_of: dt.date | None) -> None:
    """Give clients created in a test their positions (as the client-master writer does for a
    batch), with the AUM of each (a `Customer` → `Decimal` dict) as of `as_of`."""
    from keyclient.customers import positions
    from keyclient.customers.models import CustomerPosition

    positions.add_missing()
    for customer, aum in aums.items():
        CustomerPosition.objects.filter(customer=customer).update(aum=aum, aum_as_of=as_of)


@pytest.fixture
def bank(db) -> Bank:  # type: ignore[no-untyped-def]
    """The persona bank, built fresh for each test (inside its transaction)."""
    return build_bank()


@pytest.fixture
def login(client):  # type: ignore[no-untyped-def]
    """`login(user)` logs the Django test client in as `user`, second factor passed, and returns it."""
    from keyclient.security.totp import mark_verified

    def _login(user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        session = client.session
        mark_verified(session, user)
        session.save()
        return client

    return _login


def add_history(customer, *, months: int = 12):  # type: ignore[no-untyped-def]
    """Give `customer` two holdings, `months` balance snapshots and one significant transaction."""
    from keyclient.products.models import BalanceSnapshot, Holding, Product, SignificantTransaction

    deposit, _ = Product.objects.get_or_create(
        code="DEP-CUR", defaults={"name": "活期存款", "category": "deposit", "risk_rating": "R1"}
    )
    wmp, _ = Product.objects.get_or_create(
        code="WMP-180",
        defaults={"name": "稳盈180天", "category": "wmp", "risk_rating": "R2", "term_days": 180},
    )
    from keyclient.products.services import account_bidx

    as_of = dt.date(2026, 10, 31)
    Holding.objects.create(
        as_of=as_of,
        customer=customer,
        product=deposit,
        account_no=f"62220200{customer.pk:011d}",
        account_bidx=account_bidx(f"62220200{customer.pk:011d}"),
        balance=Decimal("2000000.00"),
    )
    Holding.objects.create(
        as_of=as_of,
        customer=customer,
        product=wmp,
        account_no=f"62220299{customer.pk:011d}",
        account_bidx=account_bidx(f"62220299{customer.pk:011d}"),
        balance=Decimal("6000000.00"),
        maturity_date=dt.date(2027, 3, 1),
    )
    month_ends = [dt.date(2026, m, 1) for m in range(1, 11)] + [dt.date(2025, 11, 1), dt.date(2025, 12, 1)]
    for first in sorted(month_ends)[-months:]:
        end = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        BalanceSnapshot.objects.create(
            as_of=end,
            customer=customer,
            aum=Decimal("8000000.00"),
            aum_madb=Decimal(7_000_000 + 100_000 * first.month),
            deposit=Decimal("2000000.00"),
            investment=Decimal("6000000.00"),
            loan=Decimal("0.00"),
        )
    SignificantTransaction.objects.create(
        txn_id=customer.pk * 1000 + 1,
        date=dt.date(2026, 10, 20),
        customer=customer,
        amount=Decimal("300000.00"),
        direction="D",
        txn_type="transfer_out",
        channel="mobile",
        counterparty_bank_code="308",
        counterparty_bank_name="招商银行",
        counterparty_name="张三",
    )

"""Every declared model × every persona × list / detail / create / edit / delete."""

from __future__ import annotations

import pytest

from tests.matrix import EXPECT, OPERATIONS, check
from tests.subjects import SUBJECTS

CASES = [
    pytest.param(subject, operation, persona, id=f"{subject.name}-{operation}-{persona}")
    for subject in SUBJECTS
    for operation in OPERATIONS
    if subject.supports(operation)
    for persona in EXPECT
]


@pytest.mark.parametrize(("subject", "operation", "persona"), CASES)
def test_persona_matrix(bank, client, login, subject, operation, persona):
    if persona != "anonymous":
        client = login(bank.user(persona))
    check(subject, operation, persona, bank, client)


def _give_loan(customer):  # type: ignore[no-untyped-def]
    import datetime as dt
    from decimal import Decimal

    from keyclient.products.models import Holding, Product
    from keyclient.products.services import account_bidx

    loan, _ = Product.objects.get_or_create(
        code="LOAN-MTG", defaults={"name": "个人住房贷款", "category": "loan", "risk_rating": "R1"}
    )
    number = f"62220377{customer.pk:011d}"
    Holding.objects.create(
        as_of=dt.date(2026, 10, 31),
        customer=customer,
        product=loan,
        account_no=number,
        account_bidx=account_bidx(number),
        balance=Decimal("1500000.00"),
    )


def test_credit_officer_in_the_team_sees_loans_not_the_wealth_breakdown(bank, client, login):
    """Acceptance (issue 17): a credit officer in a client's team sees loans, not the wealth
    breakdown; removed from the team, sees nothing. rm_zgc (an RM with an empty book, another team)
    is added by 张三's team lead through the team panel."""
    from keyclient.customers.models import ServiceTeamMember
    from tests.personas import add_history

    zhang, officer = bank.customers["zhang"], bank.user("rm_zgc")
    add_history(zhang)
    _give_loan(zhang)
    lead = login(bank.user("lead_hd"))
    added = lead.post(f"/clients/{zhang.pk}/team/new/", {"staff_no": "E1011", "team_role": "credit_officer"})
    assert added.status_code == 302
    row = ServiceTeamMember.objects.get(customer=zhang, member=officer)

    client.logout()
    client = login(officer)
    page = client.get(f"/clients/{zhang.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="panel-credit"' in html and "1,500,000.00" in html
    for withheld in (
        "panel-aum",
        "panel-trend",
        "panel-holdings",
        "panel-transactions",
        "panel-value",
        "client-aum",
    ):
        assert f'data-testid="{withheld}"' not in html, withheld
    assert "12,000,000.00" not in html and "6,000,000.00" not in html  # AUM, the WMP holding
    api = client.get(f"/api/customers/{zhang.pk}/").json()
    assert api["aum"] is None and api["aum_as_of"] is None and api["name"] == "张三"
    holdings = client.get(f"/api/customers/{zhang.pk}/holdings/").json()
    assert [h["balance"] for h in holdings] == ["1500000.00"]
    assert client.get(f"/api/customers/{zhang.pk}/balances/").status_code == 403
    assert client.get(f"/api/customers/{zhang.pk}/value/").status_code == 403
    listed = client.get("/api/customers/").json()["results"]
    assert [(c["name"], c["aum"]) for c in listed] == [("张三", None)]

    client.logout()
    lead = login(bank.user("lead_hd"))
    assert lead.post(f"/clients/{zhang.pk}/team/{row.pk}/remove/").status_code == 302
    client.logout()
    client = login(officer)
    assert client.get(f"/clients/{zhang.pk}/").status_code == 404
    assert client.get(f"/api/customers/{zhang.pk}/").status_code == 404
    assert client.get(f"/api/customers/{zhang.pk}/holdings/").status_code == 404
    assert client.get("/api/customers/").json()["results"] == []

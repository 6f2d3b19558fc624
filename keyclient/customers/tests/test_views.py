"""The client list and the 360 page as rendered for users."""

from __future__ import annotations

import pytest

from keyclient.customers.models import Customer
from keyclient.relationships.models import CustomerLink
from tests.personas import add_history, place


def names_in(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in response.context["page"].object_list]


def test_list_shows_the_scope_largest_first(bank, login):
    response = login(bank.user("head_bj")).get("/clients/")
    assert response.status_code == 200
    assert names_in(response) == ["张三", "钱七", "李四", "王五"]
    assert response.context["page"].count == 4


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("tier=platinum", ["钱七", "李四"]),
        ("q=zs", ["张三"]),
        ("q=1234", ["张三"]),
        ("status=dormant", []),
        ("kind=corporate", []),
    ],
)
def test_list_filters(bank, login, query, names):
    assert names_in(login(bank.user("head_office")).get(f"/clients/?{query}")) == names


def test_filter_by_org_unit_takes_the_subtree(bank, login):
    hd = bank.units["hd"]
    response = login(bank.user("head_office")).get(f"/clients/?org_unit={hd.pk}")
    assert names_in(response) == ["张三", "钱七", "李四"]


def test_filter_by_rm(bank, login):
    response = login(bank.user("lead_hd")).get("/clients/?rm=E1002")
    assert names_in(response) == ["钱七", "李四"]


def test_invalid_filter_value_shows_an_error_and_no_rows(bank, login):
    response = login(bank.user("head_office")).get("/clients/?tier=platinumx")
    assert names_in(response) == []
    assert "platinumx" in response.content.decode()


def test_org_unit_outside_a_branch_heads_subtree_is_not_a_choice(bank, login):
    response = login(bank.user("head_bj")).get(f"/clients/?org_unit={bank.units['pd'].pk}")
    assert names_in(response) == []


def test_htmx_request_gets_the_table_only(bank, login):
    response = login(bank.user("rm_hd")).get("/clients/?q=zs", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="client-table"' in body
    assert "张三" in body


@pytest.mark.parametrize("extra_clients", [0, 60])
@pytest.mark.parametrize("persona", ["rm_hd", "head_office"])
def test_list_query_count_is_pinned(bank, login, django_assert_num_queries, persona, extra_clients):
    for n in range(extra_clients):
        Customer.objects.create(
            customer_no=f"63{n:08d}",
            kind="individual",
            name=f"客户{n}",
            id_type="resident_id",
            id_number="x",
            id_last4_bidx="0000",
            home_org_unit=bank.units["zgc"],
            primary_rm=bank.user("rm_hd"),
            tier="private_banking",
        )
    place({}, None)  # their positions, as the client-master writer gives a batch's new clients
    client = login(bank.user(persona))
    client.get("/clients/")  # warm the session
    # session, user, (the RM's served clients), sort keys = count, page rows, the user's org unit
    # (top bar), the org-unit choices
    with django_assert_num_queries({"rm_hd": 7, "head_office": 6}[persona]):
        response = client.get("/clients/?tier=private_banking")
    assert len(response.context["page"].object_list) == min(1 + extra_clients, 50)


def test_anonymous_is_sent_to_login(client, bank):
    response = client.get("/clients/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/clients/"


def test_360_page_masks_personal_fields(bank, login):
    zhang = bank.customers["zhang"]
    add_history(zhang)
    body = login(bank.user("rm_hd")).get(f"/clients/{zhang.pk}/").content.decode()
    assert "110108********1235" in body
    assert "138****1234" in body
    assert "110108198001011235" not in body
    assert "13800001234" not in body
    assert "6222 **** **** " in body
    assert f"62220200{zhang.pk:011d}" not in body


def test_360_page_shows_composition_trend_and_transactions(bank, login):
    zhang = bank.customers["zhang"]
    add_history(zhang)
    response = login(bank.user("rm_hd")).get(f"/clients/{zhang.pk}/")
    panels = {p.key: p for p in response.context["panels"]}
    assert [p.key for p in response.context["panels"]] == [
        "aum",
        "trend",
        "value",
        "service-level",
        "coverage",
        "holdings",
        "transactions",
        "credit",
        "links",
    ]
    composition = panels["aum"].context["composition"]
    assert [(c["category"], str(c["amount"]), str(round(c["share"], 4))) for c in composition] == [
        ("wmp", "6000000.00", "0.7500"),
        ("deposit", "2000000.00", "0.2500"),
    ]
    assert len(panels["trend"].context["chart"].points) == 12
    assert [t.counterparty_bank_name for t in panels["transactions"].context["transactions"]] == ["招商银行"]


def test_360_query_count_is_pinned(bank, login, django_assert_num_queries):
    zhang = bank.customers["zhang"]
    add_history(zhang)
    client = login(bank.user("rm_hd"))
    client.get(f"/clients/{zhang.pk}/")
    # 14 to read the page (2 of them the RM's served clients: the scope, then the links' visibility),
    # 4 for the value-and-tier panel before any month-end run (tier requests, value scores, tier
    # history, prominence facts), 4 for the service-level panel (published policy, grant, tier and RM,
    # team roles), 4 for the coverage panel (RMs and split, open RM change, history, the RMs the viewer
    # may assign to), 1 for the loans panel, 5 to append the access event (savepoint, lock head, insert,
    # move head, release). The RM's own client: every field class without a query.
    with django_assert_num_queries(32):
        client.get(f"/clients/{zhang.pk}/")


def test_links_to_clients_outside_the_scope_stay_anonymous(bank, login):
    zhang, zhao, li = bank.customers["zhang"], bank.customers["zhao"], bank.customers["li"]
    CustomerLink.objects.create(
        from_customer=zhang, to_customer=zhao, link_type="household", role="spouse", source="rm_input"
    )
    CustomerLink.objects.create(
        from_customer=li, to_customer=zhang, link_type="referral", role="referrer", source="rm_input"
    )
    body = login(bank.user("rm_hd")).get(f"/clients/{zhang.pk}/").content.decode()
    assert "赵六" not in body
    assert "李四" not in body  # li is rm_hd2's client, outside rm_hd's own book
    body = login(bank.user("lead_hd")).get(f"/clients/{zhang.pk}/").content.decode()
    assert "李四" in body and "赵六" not in body


def test_compliance_can_open_any_360_but_admin_cannot(bank, login):
    zhao = bank.customers["zhao"]
    assert login(bank.user("compliance")).get(f"/clients/{zhao.pk}/").status_code == 200
    assert login(bank.user("admin")).get(f"/clients/{zhao.pk}/").status_code == 404

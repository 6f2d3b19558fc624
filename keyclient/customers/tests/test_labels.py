"""Codes never reach a reader: the client-list export, the API's `_display` fields and the 360 page's
relationship roles show labels in the reader's language; `migrate` prints no warning."""

from __future__ import annotations

import csv
import io

from django.core.management import call_command

from keyclient.relationships.models import CustomerLink


def read_csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_export_holds_kind_tier_and_status_labels(bank, login):
    client = login(bank.user("head_bj"))
    rows = read_csv(client.get("/clients/export/?tier=platinum&format=csv"))
    assert [rows[1][i] for i in (2, 3, 7)] == ["客户类型", "客户等级", "状态"]
    assert [(r[0], r[2], r[3], r[7]) for r in rows[2:]] == [
        ("6200000005", "个人", "白金", "正常"),
        ("6200000002", "个人", "白金", "正常"),
    ]
    english = read_csv(client.get("/clients/export/?tier=platinum&format=csv", HTTP_ACCEPT_LANGUAGE="en"))
    assert [(r[2], r[3], r[7]) for r in english[2:]] == [("Individual", "Platinum", "Active")] * 2


def test_the_api_sends_labels_beside_codes(bank, login):
    client = login(bank.user("rm_hd"))
    row = client.get("/api/customers/").json()["results"][0]
    assert {
        k: row[k] for k in ("kind", "kind_display", "tier", "tier_display", "status", "status_display")
    } == {
        "kind": "individual",
        "kind_display": "个人",
        "tier": "private_banking",
        "tier_display": "私人银行",
        "status": "active",
        "status_display": "正常",
    }
    detail = client.get(f"/api/customers/{bank.customers['zhang'].pk}/").json()
    assert (detail["gender_display"], detail["id_type_display"], detail["risk_tolerance_display"]) == (
        "男",
        "居民身份证",
        "",
    )


def test_the_client_page_shows_link_roles_as_words(bank, login):
    zhang, li, wang = bank.customers["zhang"], bank.customers["li"], bank.customers["wang"]
    CustomerLink.objects.create(from_customer=li, to_customer=zhang, link_type="household", role="spouse",
                                source="core_banking")  # fmt: skip
    CustomerLink.objects.create(from_customer=zhang, to_customer=wang, link_type="shareholder",
                                role="controlling_shareholder", source="business_registry")  # fmt: skip
    CustomerLink.objects.create(from_customer=wang, to_customer=li, link_type="referral", role="godfather",
                                source="rm_input")  # fmt: skip
    page = login(bank.user("head_office")).get(f"/clients/{zhang.pk}/").content.decode()
    assert "配偶" in page and "控股股东" in page
    assert "controlling_shareholder" not in page and ">spouse" not in page
    assert [link.get_role_display() for link in CustomerLink.objects.order_by("id")] == [
        "配偶",
        "控股股东",
        "godfather",  # a role a bank's extract brings that no label is declared for: shown as it is
    ]


def test_migrate_prints_no_warning(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("migrate", "--no-input", verbosity=1, skip_checks=False, stdout=out, stderr=err)
    assert "W040" not in out.getvalue() + err.getvalue()
    assert err.getvalue() == ""

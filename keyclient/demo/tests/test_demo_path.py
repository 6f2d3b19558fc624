"""The demo bank end to end, the way `make demo` loads it: generate → demo org → intake load --history
→ pipeline backfill (month ends) → demo sponsors; then log in as each printed user and see the right
scope. One test: the pipeline's twelve month ends are the expensive part."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from django.core.management import call_command

from keyclient.customers.models import ContactPoint, Customer, CustomerTag, ServiceTeamMember
from keyclient.demo.generator import generate
from keyclient.demo.org import demo_code, demo_logins
from keyclient.org.models import User
from keyclient.products.models import Account, BalanceSnapshot, Holding
from keyclient.products.queries import balance_history
from keyclient.relationships.models import CustomerLink

PASSWORD = "Demo-Test-Password-2026"
AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("demo")
    generate(out, customers=1500, seed=11, as_of=AS_OF)
    return out


def one(sql: str):  # type: ignore[no-untyped-def]
    return duckdb.sql(sql).fetchall()[0]


def load(extracts: Path) -> None:
    """The Makefile's steps, in its order."""
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("demo", "org", str(extracts), **quiet)
    call_command("intake", "load", str(extracts), "--date", str(AS_OF), "--history", **quiet)
    call_command("pipeline", "backfill", "--from", "2025-11-01", "--to", str(AS_OF), "--month-ends", **quiet)
    call_command("demo", "sponsors", **quiet)


def test_the_demo_path_loads_a_usable_bank(db, extracts, settings, tmp_path, monkeypatch, client) -> None:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    monkeypatch.setenv("KEYCLIENT_DEMO_PASSWORD", PASSWORD)
    with pytest.raises(SystemExit) as empty:
        call_command("demo", "loaded", "--quiet")
    assert empty.value.code == 1
    load(extracts)
    call_command("demo", "loaded", "--quiet")  # exit 0: `make demo` now skips to serving

    # Everything the extracts carry is in the CRM.
    src = str(extracts)
    assert Customer.objects.count() == one(f"SELECT count(*) FROM '{src}/customers.parquet'")[0] == 1500
    assert Account.objects.count() == one(f"SELECT count(*) FROM '{src}/accounts.parquet'")[0]
    assert (
        Holding.objects.count()
        == one(f"SELECT count(*) FROM '{src}/holdings.parquet' WHERE as_of = DATE '{AS_OF}'")[0]
    )
    assert set(Holding.objects.values_list("as_of", flat=True)) == {AS_OF}
    assert CustomerLink.objects.count() == one(f"SELECT count(*) FROM '{src}/links.parquet'")[0]
    assert (
        CustomerTag.objects.count()
        == one(
            f"""SELECT count(*) FROM (SELECT DISTINCT customer_no, trim(t) FROM (SELECT customer_no,
            unnest(string_split(tags, ';')) AS t FROM '{src}/customers.parquet') WHERE trim(t) <> '')"""
        )[0]
    )
    assert (
        ContactPoint.objects.count()
        == one(
            f"SELECT count(mobile) + count(phone2) + count(email) + count(address) FROM '{src}/customers.parquet'"
        )[0]
    )
    assert (
        ContactPoint.objects.filter(kind="mobile", is_primary=True).count()
        == Customer.objects.exclude(mobile_bidx="").count()
    )
    with_rm = one(f"SELECT count(rm_staff_no) FROM '{src}/customers.parquet'")[0]
    assert Customer.objects.filter(primary_rm__isnull=False).count() == with_rm

    # The pipeline filled twelve month ends: the 360 page shows a year of balances.
    assert sorted(set(BalanceSnapshot.objects.values_list("as_of", flat=True)))[-1] == AS_OF
    assert BalanceSnapshot.objects.values("as_of").distinct().count() == 12
    richest = Customer.objects.filter(kind="individual", status="active").order_by("-position__aum").first()
    assert len(balance_history(richest)) == 12
    active = Customer.objects.filter(status="active")
    assert active.filter(position__aum_as_of=AS_OF).count() == active.count()  # leavers keep their last month

    # Tiers and AUM: most of the individuals' assets sit with the top fifth; a few private-banking
    # clients, each with their RM's team lead as senior sponsor.
    amounts = sorted(
        (
            float(a)
            for a in Customer.objects.filter(kind="individual").values_list("position__aum", flat=True)
        ),
        reverse=True,
    )
    assert 0.75 <= sum(amounts[: len(amounts) // 5]) / sum(amounts) <= 0.92
    private = Customer.objects.filter(tier="private_banking")
    assert private.exists()
    sponsors = ServiceTeamMember.objects.filter(team_role="senior_sponsor").select_related(
        "member", "customer"
    )
    assert sponsors.exists()
    for row in sponsors:
        assert row.customer.tier == "private_banking"
        assert (row.member.role, row.member.team_id) == ("team_lead", row.customer.primary_rm.team_id)

    # The Pareto page on the demo bank: the top fifth of individual clients hold 75–90% of AUM, the same share
    # as a plain SQL query (the k largest of n, k = ceil(n / 5), over the total).
    from keyclient.valuation.analytics import pareto
    from keyclient.valuation.tests.test_pareto import independent_share

    head_office = User.objects.get(role="head_office", username=next(
        login["username"] for login in demo_logins() if User.objects.get(username=login["username"]).role == "head_office"
    ))  # fmt: skip
    aum = pareto(head_office, segment="individual").measures[0]
    # The page's default population: active individuals with a positive AUM.
    assert (
        aum.clients
        == Customer.objects.filter(kind="individual", status="active", position__aum__gt=0).count()
    )
    assert Decimal("0.75") <= aum.top_20 <= Decimal("0.90"), aum.top_20
    assert aum.top_20 == independent_share("aum", 20, where="c.kind = 'individual'")

    # Searchable, and the personal numbers encrypted at rest.
    from django.db import connection

    from keyclient.customers.search import search_filter

    someone = Customer.objects.filter(kind="individual").order_by("id").first()
    assert Customer.objects.filter(search_filter(someone.mobile[-4:]), pk=someone.pk).exists()
    assert Customer.objects.filter(search_filter(someone.name_initials), pk=someone.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM customers_customer WHERE id = %s", [someone.pk])
        assert someone.id_number not in cursor.fetchone()[0]

    # Re-running the steps changes nothing (the org step sees its tree and does nothing).
    before = (Customer.objects.count(), Account.objects.count(), ContactPoint.objects.count(),
              CustomerTag.objects.count(), CustomerLink.objects.count(), ServiceTeamMember.objects.count())  # fmt: skip
    load(extracts)
    after = (Customer.objects.count(), Account.objects.count(), ContactPoint.objects.count(),
             CustomerTag.objects.count(), CustomerLink.objects.count(), ServiceTeamMember.objects.count())  # fmt: skip
    assert after == before

    # Every printed login works with its demo code and sees the right scope.
    logins = demo_logins()
    assert len({User.objects.get(username=login["username"]).role for login in logins}) == 7
    for login in logins:
        client.logout()
        response = client.post("/login/", {"username": login["username"], "password": PASSWORD})
        assert response.status_code == 302, login
        if response.url.startswith("/login/verify/"):
            response = client.post(response.url, {"code": demo_code(login["username"])})
            assert response.status_code == 302, login
        assert response.url == "/clients/", login
        assert client.get("/clients/").status_code == 200, login
    rm = User.objects.get(username=logins[0]["username"])
    assert rm.role == "relationship_manager"
    book = set(Customer.objects.filter(primary_rm=rm).values_list("pk", flat=True))
    assert book and set(Customer.objects.visible_to(rm).values_list("pk", flat=True)) == book
    assert not Customer.objects.visible_to(User.objects.get(username=logins[-1]["username"])).exists()

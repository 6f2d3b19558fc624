"""The demo bank end to end: generate, load, log in as each printed user, see the right scope."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from keyclient.customers.models import ContactPoint, Customer
from keyclient.demo.generator import generate
from keyclient.demo.loader import demo_logins, load_demo_bank
from keyclient.products.models import BalanceSnapshot, Holding
from keyclient.relationships.models import CustomerLink

PASSWORD = "Demo-Test-Password-2026"


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("demo")
    generate(out, customers=1500, seed=11)
    return out


@pytest.fixture
def loaded(db, extracts):  # type: ignore[no-untyped-def]
    return load_demo_bank(extracts, password=PASSWORD)


def test_counts_match_the_extracts(loaded, extracts):
    con = duckdb.connect()
    customers = con.execute(f"SELECT count(*) FROM '{extracts}/customers.parquet'").fetchone()[0]
    latest = con.execute(
        f"SELECT count(*) FROM '{extracts}/holdings.parquet' WHERE as_of = (SELECT max(as_of) FROM '{extracts}/holdings.parquet')"
    ).fetchone()[0]
    assert Customer.objects.count() == customers == loaded.counts["customers"] == 1500
    assert Holding.objects.count() == latest == loaded.counts["holdings"]
    assert BalanceSnapshot.objects.count() == loaded.counts["balance_snapshots"] > 1500 * 6
    assert CustomerLink.objects.count() == loaded.counts["links"] > 0
    assert (
        ContactPoint.objects.filter(kind="mobile", is_primary=True).count()
        == Customer.objects.exclude(mobile_bidx="").count()
    )


def test_loaded_clients_are_searchable_and_encrypted(loaded):
    from django.db import connection

    from keyclient.customers.search import search_filter

    someone = Customer.objects.filter(kind="individual").order_by("id").first()
    assert Customer.objects.filter(search_filter(someone.mobile[-4:]), pk=someone.pk).exists()
    assert Customer.objects.filter(search_filter(someone.name_initials), pk=someone.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM customers_customer WHERE id = %s", [someone.pk])
        assert someone.id_number not in cursor.fetchone()[0]


def test_the_top_fifth_holds_most_of_the_assets(loaded):
    amounts = sorted(
        (float(a) for a in Customer.objects.filter(kind="individual").values_list("aum", flat=True)),
        reverse=True,
    )
    top = sum(amounts[: len(amounts) // 5]) / sum(amounts)
    assert 0.75 <= top <= 0.90


def test_every_printed_login_works_with_its_demo_code(loaded, client):
    from keyclient.demo.loader import demo_code
    from keyclient.org.models import User

    assert [login["username"] for login in loaded.logins] == [login["username"] for login in demo_logins()]
    assert len({User.objects.get(username=login["username"]).role for login in loaded.logins}) == 7
    for login in loaded.logins:
        client.logout()
        response = client.post("/login/", {"username": login["username"], "password": PASSWORD})
        assert response.status_code == 302, login
        if response.url.startswith("/login/verify/"):
            response = client.post(response.url, {"code": demo_code(login["username"])})
            assert response.status_code == 302, login
        assert response.url == "/clients/", login
        assert client.get("/clients/").status_code == 200, login
    client.logout()
    assert (
        client.post("/login/", {"username": loaded.logins[0]["username"], "password": "wrong"}).status_code
        == 200
    )


def test_the_demo_rm_sees_exactly_their_book(loaded):
    from keyclient.org.models import User

    rm = User.objects.get(username=demo_logins()[0]["username"])
    assert rm.role == "relationship_manager"
    book = set(Customer.objects.filter(primary_rm=rm).values_list("pk", flat=True))
    assert len(book) > 0
    assert set(Customer.objects.visible_to(rm).values_list("pk", flat=True)) == book
    admin = User.objects.get(role="administrator", username=demo_logins()[-1]["username"])
    assert not Customer.objects.visible_to(admin).exists()


def test_loading_twice_needs_replace_and_replace_gives_the_same_bank(loaded, extracts):
    with pytest.raises(RuntimeError, match="--replace"):
        load_demo_bank(extracts, password=PASSWORD)
    before = sorted(Customer.objects.values_list("customer_no", "tier", "aum"))
    again = load_demo_bank(extracts, password=PASSWORD, replace=True)
    assert again.counts == loaded.counts
    assert sorted(Customer.objects.values_list("customer_no", "tier", "aum")) == before


def test_a_used_demo_bank_is_not_reloaded_over_its_audit_trail(loaded, extracts):
    from keyclient.audit.models import AccessEvent
    from keyclient.audit.services import record_access
    from keyclient.org.models import User

    record_access(actor=User.objects.get(username=loaded.logins[0]["username"]), action="view_client")
    with pytest.raises(RuntimeError, match="append-only"):
        load_demo_bank(extracts, password=PASSWORD, replace=True)
    assert AccessEvent.objects.count() == 1
    assert Customer.objects.count() == 1500

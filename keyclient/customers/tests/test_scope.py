"""The data-scope door: who sees which client."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from keyclient.customers.models import Customer
from keyclient.customers.scope import access_customer
from tests.personas import VISIBLE


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_visible_to_is_exactly_the_persona_scope(bank, persona):
    user = bank.user(persona)
    seen = set(Customer.objects.visible_to(user).values_list("customer_no", flat=True))
    expected = {bank.customers[key].customer_no for key in VISIBLE[persona]}
    assert seen == expected


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_access_customer_404s_outside_scope(bank, persona):
    user = bank.user(persona)
    for key, customer in bank.customers.items():
        if key in VISIBLE[persona]:
            assert access_customer(user, customer.pk, "view").pk == customer.pk
        else:
            with pytest.raises(Http404):
                access_customer(user, customer.pk, "view")


def test_unknown_or_malformed_pk_is_404(bank):
    with pytest.raises(Http404):
        access_customer(bank.user("head_office"), 999_999, "view")
    with pytest.raises(Http404):
        access_customer(bank.user("head_office"), "abc", "view")


def test_compliance_reads_but_may_not_change(bank):
    zhang = bank.customers["zhang"]
    assert access_customer(bank.user("compliance"), zhang.pk, "view") == zhang
    with pytest.raises(PermissionDenied):
        access_customer(bank.user("compliance"), zhang.pk, "change")
    assert access_customer(bank.user("rm_hd"), zhang.pk, "change") == zhang


def test_inactive_user_sees_nothing(bank):
    user = bank.user("head_office")
    user.is_active = False
    assert not Customer.objects.visible_to(user).exists()


def test_anonymous_sees_nothing(bank):
    from django.contrib.auth.models import AnonymousUser

    assert not Customer.objects.visible_to(AnonymousUser()).exists()


def test_team_lead_without_team_sees_only_own_book(bank):
    lead = bank.user("lead_hd")
    lead.team = None
    lead.save()
    assert not Customer.objects.visible_to(lead).exists()


def test_moving_a_client_to_another_unit_moves_it_out_of_the_branch_head_scope(bank):
    zhang = bank.customers["zhang"]
    zhang.home_org_unit = bank.units["pd"]
    zhang.save()
    seen = set(Customer.objects.visible_to(bank.user("head_bj")).values_list("name", flat=True))
    assert seen == {"李四", "王五", "钱七"}

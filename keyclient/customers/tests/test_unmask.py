"""Break-glass unmasking: right, reason, record."""

from __future__ import annotations

import pytest

from keyclient.audit.models import AccessEvent
from keyclient.customers.models import ContactPoint


def unmask(client, customer, field, reason="客户来电核实身份"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/clients/{customer.pk}/unmask/", {"field": field, "reason": reason}, HTTP_HX_REQUEST="true"
    )


@pytest.mark.unmasks
def test_rm_unmasks_the_mobile_with_a_reason_and_it_is_recorded(bank, login):
    zhang = bank.customers["zhang"]
    response = unmask(login(bank.user("rm_hd")), zhang, "mobile")
    assert response.status_code == 200
    assert "13800001234" in response.content.decode()
    event = AccessEvent.objects.get()
    assert (event.actor_name, event.action, event.customer_no, event.fields, event.reason) == (
        "E1001",
        "unmask_field",
        "6200000001",
        "mobile",
        "客户来电核实身份",
    )


@pytest.mark.unmasks
def test_unmask_a_contact_point(bank, login):
    zhang = bank.customers["zhang"]
    contact = ContactPoint.objects.create(customer=zhang, kind="email", value="zhangsan@example.com")
    response = unmask(login(bank.user("rm_hd")), zhang, f"contact:{contact.pk}")
    assert "zhangsan@example.com" in response.content.decode()


def test_a_reason_is_required_and_nothing_is_revealed_or_written(bank, login):
    zhang = bank.customers["zhang"]
    response = unmask(login(bank.user("rm_hd")), zhang, "id_number", reason="  ")
    assert response.status_code == 400
    assert "110108198001011235" not in response.content.decode()
    assert AccessEvent.objects.count() == 0


def test_unknown_field_is_refused(bank, login):
    response = unmask(login(bank.user("rm_hd")), bank.customers["zhang"], "name")
    assert response.status_code == 400
    assert AccessEvent.objects.count() == 0


def test_another_clients_contact_cannot_be_unmasked_through_this_client(bank, login):
    zhao_contact = ContactPoint.objects.create(
        customer=bank.customers["zhao"], kind="email", value="zhao@example.com"
    )
    response = unmask(login(bank.user("rm_hd")), bank.customers["zhang"], f"contact:{zhao_contact.pk}")
    assert response.status_code == 400
    assert "zhao@example.com" not in response.content.decode()
    assert AccessEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "status"), [("compliance", 403), ("head_office", 403), ("admin", 404), ("rm_pd", 404)]
)
def test_roles_without_the_right_or_the_scope_are_refused(bank, login, persona, status):
    response = unmask(login(bank.user(persona)), bank.customers["zhang"], "mobile")
    assert response.status_code == status
    assert "13800001234" not in response.content.decode()
    assert AccessEvent.objects.count() == 0


def test_get_is_not_allowed(bank, login):
    assert login(bank.user("rm_hd")).get(f"/clients/{bank.customers['zhang'].pk}/unmask/").status_code == 405


def test_the_360_offers_unmasking_only_to_roles_with_the_right(bank, login):
    zhang = bank.customers["zhang"]
    assert "unmask-form" in login(bank.user("rm_hd")).get(f"/clients/{zhang.pk}/").content.decode()
    assert "unmask-form" not in login(bank.user("compliance")).get(f"/clients/{zhang.pk}/").content.decode()


@pytest.mark.unmasks
@pytest.mark.parametrize(
    ("field", "attribute", "clear"),
    [
        ("birth_date", "birth_date", "1980-01-01"),
        ("registration_no", "registration_no", "91110108MA01Q7XK3N"),
    ],
)
def test_birth_date_and_registration_number_unmask_through_break_glass(bank, login, field, attribute, clear):
    zhang = bank.customers["zhang"]
    zhang.registration_no = "91110108MA01Q7XK3N"
    zhang.save(update_fields=["registration_no"])
    response = unmask(login(bank.user("rm_hd")), zhang, field)
    assert response.status_code == 200
    assert clear in response.content.decode()
    event = AccessEvent.objects.get()
    assert (event.action, event.customer_no, event.fields, event.reason) == (
        "unmask_field",
        "6200000001",
        field,
        "客户来电核实身份",
    )


@pytest.mark.parametrize("persona", ["head_office", "compliance"])
def test_roles_without_unmask_cannot_see_the_birth_date(bank, login, persona):
    response = unmask(login(bank.user(persona)), bank.customers["zhang"], "birth_date")
    assert response.status_code == 403
    assert "1980-01-01" not in response.content.decode()
    assert AccessEvent.objects.count() == 0

"""RMs maintain contact points; every change is recorded masked, old → new."""

from __future__ import annotations

import pytest

from keyclient.audit.models import FieldChange
from keyclient.customers.models import ContactPoint, Customer


@pytest.fixture
def zhang_email(bank):  # type: ignore[no-untyped-def]
    return ContactPoint.objects.create(
        customer=bank.customers["zhang"], kind="email", value="zhang@example.com"
    )


def test_rm_adds_a_primary_mobile_and_search_follows(bank, login):
    zhang = bank.customers["zhang"]
    response = login(bank.user("rm_hd")).post(
        f"/clients/{zhang.pk}/contacts/new/",
        {"kind": "mobile", "value": "13911112222", "label": "私人", "is_primary": "on"},
    )
    assert response.status_code == 302
    contact = ContactPoint.objects.get(customer=zhang)
    assert (contact.kind, contact.value, contact.is_primary) == ("mobile", "13911112222", True)
    assert Customer.objects.get(pk=zhang.pk).mobile == "13911112222"
    from keyclient.customers.search import search_filter

    assert list(Customer.objects.filter(search_filter("2222")).values_list("name", flat=True)) == ["张三"]
    changes = {c.field: (c.old, c.new) for c in FieldChange.objects.filter(object_id=str(contact.pk))}
    assert changes == {"kind": ("", "mobile"), "value": ("", "139****2222"), "label": ("", "私人")}
    assert (
        FieldChange.objects.filter(object_id=str(contact.pk))
        .values_list("actor_name", flat=True)
        .distinct()
        .get()
        == "E1001"
    )


def test_a_bad_value_is_refused_and_nothing_is_written(bank, login):
    zhang = bank.customers["zhang"]
    response = login(bank.user("rm_hd")).post(
        f"/clients/{zhang.pk}/contacts/new/", {"kind": "mobile", "value": "12345"}
    )
    assert response.status_code == 400
    assert "11" in response.content.decode()
    assert ContactPoint.objects.count() == 0 and FieldChange.objects.count() == 0


def test_edit_never_sends_the_current_value_and_blank_keeps_it(bank, login, zhang_email):
    zhang = bank.customers["zhang"]
    client = login(bank.user("rm_hd"))
    page = client.get(f"/clients/{zhang.pk}/contacts/{zhang_email.pk}/edit/").content.decode()
    assert "zhang@example.com" not in page and "z***@example.com" in page
    response = client.post(
        f"/clients/{zhang.pk}/contacts/{zhang_email.pk}/edit/",
        {"kind": "email", "value": "", "label": "工作"},
    )
    assert response.status_code == 302
    zhang_email.refresh_from_db()
    assert (zhang_email.value, zhang_email.label) == ("zhang@example.com", "工作")
    assert list(FieldChange.objects.values_list("field", "old", "new")) == [("label", "", "工作")]


def test_delete_is_recorded(bank, login, zhang_email):
    zhang = bank.customers["zhang"]
    assert (
        login(bank.user("rm_hd")).post(f"/clients/{zhang.pk}/contacts/{zhang_email.pk}/delete/").status_code
        == 302
    )
    assert not ContactPoint.objects.exists()
    assert list(FieldChange.objects.values_list("field", "old", "new")) == [("value", "z***@example.com", "")]


def test_a_contact_of_another_client_is_404_through_this_client(bank, login, zhang_email):
    li = bank.customers["li"]
    client = login(bank.user("lead_hd"))
    assert client.get(f"/clients/{li.pk}/contacts/{zhang_email.pk}/edit/").status_code == 404
    assert client.post(f"/clients/{li.pk}/contacts/{zhang_email.pk}/delete/").status_code == 404
    assert ContactPoint.objects.count() == 1


def test_api_create_update_delete(bank, login):
    zhang = bank.customers["zhang"]
    client = login(bank.user("rm_hd"))
    created = client.post(
        "/api/contacts/",
        {"customer": zhang.pk, "kind": "email", "value": "z3@example.com"},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["customer"], body["masked_value"]) == (zhang.pk, "z***@example.com")
    assert "value" not in body
    cid = body["id"]
    updated = client.patch(f"/api/contacts/{cid}/", {"label": "家庭"}, content_type="application/json")
    assert updated.status_code == 200 and updated.json()["label"] == "家庭"
    assert client.delete(f"/api/contacts/{cid}/").status_code == 204
    assert not ContactPoint.objects.exists()


def test_api_refuses_another_units_client_and_writes_nothing(bank, login):
    zhao = bank.customers["zhao"]
    response = login(bank.user("rm_hd")).post(
        "/api/contacts/",
        {"customer": zhao.pk, "kind": "email", "value": "x@example.com"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert ContactPoint.objects.count() == 0 and FieldChange.objects.count() == 0


def test_api_bad_value_is_400_naming_the_field(bank, login):
    response = login(bank.user("rm_hd")).post(
        "/api/contacts/",
        {"customer": bank.customers["zhang"].pk, "kind": "email", "value": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["value"]
    assert ContactPoint.objects.count() == 0

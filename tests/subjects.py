"""The models in the persona matrix (see tests/matrix.py). A new model adds a Subject here."""

from __future__ import annotations

from keyclient.audit.models import FieldChange
from keyclient.customers.models import ContactPoint, Customer
from tests.matrix import Subject
from tests.personas import add_history


def _client(bank, customer):  # type: ignore[no-untyped-def]
    return customer


def _client_with_history(bank, customer):  # type: ignore[no-untyped-def]
    add_history(customer)
    return customer


def _contact(bank, customer):  # type: ignore[no-untyped-def]
    return ContactPoint.objects.create(
        customer=customer, kind="email", label="matrix", value="matrix@example.com"
    )


def _field_changes() -> int:
    return FieldChange.objects.count()


SUBJECTS = [
    Subject(
        name="client",
        model=Customer,
        make=_client,
        routes=frozenset({"customers:list", "customers:detail"}),
        list_url="/clients/",
        marker=lambda c: c.customer_no,
        detail_url=lambda c: f"/clients/{c.pk}/",
    ),
    Subject(
        name="client-api",
        model=Customer,
        make=_client,
        api=True,
        routes=frozenset({"api-customer-list", "api-customer-detail"}),
        list_url="/api/customers/",
        marker=lambda c: c.customer_no,
        detail_url=lambda c: f"/api/customers/{c.pk}/",
    ),
    Subject(
        name="holdings-api",
        model=Customer,
        make=_client_with_history,
        api=True,
        routes=frozenset({"api-customer-holdings"}),
        detail_url=lambda c: f"/api/customers/{c.pk}/holdings/",
    ),
    Subject(
        name="balances-api",
        model=Customer,
        make=_client_with_history,
        api=True,
        routes=frozenset({"api-customer-balances"}),
        detail_url=lambda c: f"/api/customers/{c.pk}/balances/",
    ),
    Subject(
        name="links-api",
        model=Customer,
        make=_client,
        api=True,
        routes=frozenset({"api-customer-links"}),
        detail_url=lambda c: f"/api/customers/{c.pk}/links/",
    ),
    Subject(
        name="contact",
        model=ContactPoint,
        make=_contact,
        routes=frozenset({"customers:contact-create", "customers:contact-edit", "customers:contact-delete"}),
        # no detail screen of its own: contact points are shown on the client's 360 page
        create_url=lambda c: f"/clients/{c.pk}/contacts/new/",
        create_data=lambda c: {"kind": "email", "value": "new@example.com", "label": "matrix"},
        edit_url=lambda o: f"/clients/{o.customer_id}/contacts/{o.pk}/edit/",
        edit_data={"kind": "email", "value": "", "label": "changed"},
        delete_url=lambda o: f"/clients/{o.customer_id}/contacts/{o.pk}/delete/",
        written=_field_changes,
    ),
    Subject(
        name="contact-api",
        model=ContactPoint,
        make=_contact,
        api=True,
        routes=frozenset({"api-contact-list", "api-contact-detail"}),
        list_url="/api/contacts/",
        marker=lambda o: f'"id":{o.pk},',
        detail_url=lambda o: f"/api/contacts/{o.pk}/",
        create_url=lambda c: "/api/contacts/",
        create_data=lambda c: {"customer": c.pk, "kind": "email", "value": "new@example.com"},
        edit_url=lambda o: f"/api/contacts/{o.pk}/",
        edit_method="patch",
        edit_data={"label": "changed"},
        delete_url=lambda o: f"/api/contacts/{o.pk}/",
        delete_method="delete",
        written=_field_changes,
    ),
]

MATRIX_ROUTES = frozenset().union(*(s.routes for s in SUBJECTS))

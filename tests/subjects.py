"""The models in the persona matrix (see tests/matrix.py). A new model adds a Subject here."""

from __future__ import annotations

from keyclient.audit.models import BusinessEvent, FieldChange
from keyclient.coverage.models import AssignmentRequest
from keyclient.customers.models import ContactPoint, Customer, ServiceTeamMember
from keyclient.valuation.models import ProminenceFact, TierOverride
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


def _tier_request(status: str):  # type: ignore[no-untyped-def]
    """A tier request of the client in `status` (a closed one leaves room for a new request)."""

    def make(bank, customer):  # type: ignore[no-untyped-def]
        return TierOverride.objects.create(
            customer=customer, kind="disqualify", tier_before=customer.tier, reason="matrix tier request",
            status=status, requested_by=bank.user("rm_hd"),
        )  # fmt: skip

    return make


def _prominence_fact(bank, customer):  # type: ignore[no-untyped-def]
    return ProminenceFact.objects.create(
        customer=customer, kind="media", evidence="matrix evidence note", recorded_by=bank.user("rm_hd")
    )


def _business_events() -> int:
    return BusinessEvent.objects.count()


def _team_member(bank, customer):  # type: ignore[no-untyped-def]
    """rm_cy (no persona of the matrix) in the client's team: the personas' own views stay as they are."""
    return ServiceTeamMember.objects.create(
        customer=customer, member=bank.user("rm_cy"), team_role="legal_tax"
    )


# Service teams are edited by team leads, branch heads and head office; the client's RM, risk and
# compliance read them and are refused (403) every edit.
TEAM_EDITORS = {"rm_hd": "read", "risk": "read"}

TIER_REQUEST = {"kind": "override", "tier": "diamond", "reason": "matrix tier request"}


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
    # Manual tier decisions and prominence facts (keyclient.valuation). Approving and rejecting are
    # only for approvers who did not make the request: tests/test_route_scope.py DECISION_ROUTES.
    Subject(
        name="tier-request",
        model=TierOverride,
        make=_tier_request("rejected"),
        routes=frozenset({"valuation:client-request"}),
        # shown on the client's 360 page; decided from the approvals queue
        create_url=lambda c: f"/tiers/clients/{c.pk}/requests/new/",
        create_data=lambda c: TIER_REQUEST,
        written=_business_events,
    ),
    Subject(
        name="tier-request-end",
        model=TierOverride,
        make=_tier_request("pending"),
        routes=frozenset({"valuation:request-end"}),
        edit_url=lambda o: f"/tiers/requests/{o.pk}/end/",
        edit_data={"reason": "matrix ends the request"},
        written=_business_events,
    ),
    Subject(
        name="tier-request-api",
        model=TierOverride,
        make=_tier_request("rejected"),
        api=True,
        routes=frozenset({"api-tier-override-list", "api-tier-override-detail"}),
        list_url="/api/tier-overrides/",
        marker=lambda o: f'"id":{o.pk},',
        detail_url=lambda o: f"/api/tier-overrides/{o.pk}/",
        create_url=lambda c: "/api/tier-overrides/",
        create_data=lambda c: {"customer": c.pk, **TIER_REQUEST},
        written=_business_events,
    ),
    Subject(
        name="tier-request-end-api",
        model=TierOverride,
        make=_tier_request("pending"),
        api=True,
        routes=frozenset({"api-tier-override-end"}),
        edit_url=lambda o: f"/api/tier-overrides/{o.pk}/end/",
        edit_method="post",
        edit_data={"reason": "matrix ends the request"},
        written=_business_events,
    ),
    Subject(
        name="value-api",
        model=Customer,
        make=_client,
        api=True,
        routes=frozenset({"api-customer-value"}),
        detail_url=lambda c: f"/api/customers/{c.pk}/value/",
    ),
    # What a client is entitled to (keyclient.valuation.entitlement): read by everyone who sees the
    # client. Granting another tier's level is head office's alone: tests/test_route_scope.py
    # SERVICE_GRANT_ROUTES.
    Subject(
        name="service-level-api",
        model=Customer,
        make=_client,
        api=True,
        routes=frozenset({"api-customer-service-level"}),
        detail_url=lambda c: f"/api/customers/{c.pk}/service-level/",
    ),
    Subject(
        name="prominence",
        model=ProminenceFact,
        make=_prominence_fact,
        routes=frozenset({"valuation:client-prominence", "valuation:prominence-withdraw"}),
        create_url=lambda c: f"/tiers/clients/{c.pk}/prominence/new/",
        create_data=lambda c: {"kind": "public_office", "evidence": "matrix evidence note"},
        edit_url=lambda o: f"/tiers/prominence/{o.pk}/withdraw/",  # withdrawing is the only change
        written=_business_events,
    ),
    Subject(
        name="prominence-api",
        model=ProminenceFact,
        make=_prominence_fact,
        api=True,
        routes=frozenset({"api-customer-prominence", "api-customer-prominence-withdraw"}),
        detail_url=lambda o: f"/api/customers/{o.customer_id}/prominence-facts/",
        create_url=lambda c: f"/api/customers/{c.pk}/prominence-facts/",
        create_data=lambda c: {"kind": "public_office", "evidence": "matrix evidence note"},
        edit_url=lambda o: f"/api/customers/{o.customer_id}/prominence-facts/{o.pk}/withdraw/",
        edit_method="post",
        written=_business_events,
    ),
]


def _rm_change(bank, customer):  # type: ignore[no-untyped-def]
    """A decided RM change request of the client (room for a new one)."""
    return AssignmentRequest.objects.create(
        customer=customer, kind="reassign", primary=bank.user("rm_hd2"), primary_before=customer.primary_rm,
        split={}, reason="matrix RM change", status="rejected", requested_by=bank.user("rm_hd"),
    )  # fmt: skip


def _rm_change_data(customer):  # type: ignore[no-untyped-def]
    from keyclient.org.models import User

    # 张三's service level asks a dedicated RM: reassigning him files a request for approval.
    return {"rm": User.objects.get(username="E1002").pk, "reason": "matrix reassigns the client"}


# Assignment (keyclient.coverage): who covers a client, read by all who see it; a change of RM files
# a request where the service level asks. Deciding: tests/test_route_scope.py COVERAGE_DECISION_ROUTES.
SUBJECTS += [
    Subject(
        name="coverage-change",
        model=AssignmentRequest,
        make=_rm_change,
        routes=frozenset({"coverage:client-rm"}),
        create_url=lambda c: f"/coverage/clients/{c.pk}/rm/",
        create_data=_rm_change_data,
        written=_business_events,
    ),
    Subject(
        name="coverage-api",
        model=AssignmentRequest,
        make=_rm_change,
        api=True,
        routes=frozenset({"api-customer-coverage"}),
        detail_url=lambda o: f"/api/customers/{o.customer_id}/coverage/",
        create_url=lambda c: f"/api/customers/{c.pk}/coverage/",
        create_data=_rm_change_data,
        written=_business_events,
    ),
]

SUBJECTS += [
    Subject(
        name="service-team",
        model=ServiceTeamMember,
        make=_team_member,
        routes=frozenset({"customers:team-add", "customers:team-edit", "customers:team-remove"}),
        # no list or detail screen of its own: the team is shown on the client's 360 page
        create_url=lambda c: f"/clients/{c.pk}/team/new/",
        create_data=lambda c: {"staff_no": "E1004", "team_role": "operations"},
        edit_url=lambda o: f"/clients/{o.customer_id}/team/{o.pk}/edit/",
        edit_data={"team_role": "credit_officer"},
        delete_url=lambda o: f"/clients/{o.customer_id}/team/{o.pk}/remove/",
        written=_business_events,
        expect=TEAM_EDITORS,
    ),
    Subject(
        name="service-team-api",
        model=ServiceTeamMember,
        make=_team_member,
        api=True,
        routes=frozenset({"api-customer-team", "api-customer-team-member"}),
        detail_url=lambda o: f"/api/customers/{o.customer_id}/service-team/",
        create_url=lambda c: f"/api/customers/{c.pk}/service-team/",
        create_data=lambda c: {"staff_no": "E1004", "team_role": "operations"},
        edit_url=lambda o: f"/api/customers/{o.customer_id}/service-team/{o.pk}/",
        edit_method="patch",
        edit_data={"team_role": "credit_officer"},
        delete_url=lambda o: f"/api/customers/{o.customer_id}/service-team/{o.pk}/",
        delete_method="delete",
        written=_business_events,
        expect=TEAM_EDITORS,
    ),
]

MATRIX_ROUTES = frozenset().union(*(s.routes for s in SUBJECTS))

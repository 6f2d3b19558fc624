"""Reads of assignment data, always through the data-scope door."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from keyclient.coverage.models import AssignmentRequest, Coverage, CoverageChange
from keyclient.customers.scope import scoped_to_customers
from keyclient.valuation.choices import OverrideStatus

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


def requests_visible_to(user: Viewer) -> QuerySet[AssignmentRequest]:
    return scoped_to_customers(AssignmentRequest.objects.all(), user).select_related(
        "customer", "primary", "primary_before", "requested_by", "decided_by"
    )


def pending_requests(user: Viewer) -> QuerySet[AssignmentRequest]:
    return requests_visible_to(user).filter(status=OverrideStatus.PENDING).order_by("requested_at", "id")


def coverage_of(customer_id: int) -> QuerySet[Coverage]:
    """The RMs of a client already reached through the door."""
    return (
        Coverage.objects.filter(customer_id=customer_id).select_related("rm").order_by("role", "-share", "id")
    )


def history_of(customer_id: int) -> QuerySet[CoverageChange]:
    return CoverageChange.objects.filter(customer_id=customer_id).select_related(
        "from_rm", "to_rm", "changed_by", "approved_by"
    )

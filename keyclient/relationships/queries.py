"""Links of one client, seen by one user: linked clients outside the user's scope stay anonymous."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from keyclient.customers.models import Customer
from keyclient.relationships.models import CustomerLink

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


@dataclass(frozen=True)
class LinkView:
    link: CustomerLink
    other: Customer
    outgoing: bool  # True: this client is `role` of the other one
    other_visible: bool


def links_of(customer: Customer, user: Viewer) -> list[LinkView]:
    """Every link of `customer` in both directions; `other_visible` says whether `user` may open the other side."""
    links = list(
        CustomerLink.objects.filter(Q(from_customer=customer) | Q(to_customer=customer))
        .select_related("from_customer", "to_customer")
        .order_by("link_type", "id")
    )
    others = {
        link.to_customer_id if link.from_customer_id == customer.pk else link.from_customer_id
        for link in links
    }
    visible = set(Customer.objects.visible_to(user).filter(pk__in=others).values_list("pk", flat=True))
    views = []
    for link in links:
        outgoing = link.from_customer_id == customer.pk
        other = link.to_customer if outgoing else link.from_customer
        views.append(LinkView(link=link, other=other, outgoing=outgoing, other_visible=other.pk in visible))
    return views

"""The 360-page panel of a client's service level (服务等级): what the client is entitled to, under
which policy version and why (their tier or a head-office grant), and where today's service falls
short. Four queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from keyclient.core.panels import Panel, shows
from keyclient.customers.choices import TeamRole
from keyclient.customers.models import Customer
from keyclient.security.field_classes import FieldClass
from keyclient.valuation.choices import Benefit
from keyclient.valuation.entitlement import entitlements_for
from keyclient.valuation.forms_service import GrantEndForm, GrantForm
from keyclient.valuation.service_grants import may_grant
from keyclient.valuation.service_levels import tier_label

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


@shows(FieldClass.SERVICE)
def service_level_panel(*, user: Viewer, customer: Any) -> Panel:
    """`customer` came through the page's scope door; the grant forms only for head office."""
    resolved, shortfalls = entitlements_for(Customer.objects.filter(pk=customer.pk))[customer.pk]
    level = resolved.level
    roles, benefits = dict(TeamRole.choices), dict(Benefit.choices)
    granter = may_grant(user)
    return Panel(
        key="service-level",
        title=str(_("Service level")),
        template="valuation/service_panel.html",
        context={
            "customer": customer,
            "r": resolved,
            "level": level,
            "level_label": tier_label(level.tier),
            "grant_label": tier_label(resolved.grant.tier) if resolved.grant else "",
            "team_roles": [roles[r] for r in level.team_roles],
            "benefits": [benefits[b] for b in level.benefits],
            "shortfalls": shortfalls,
            "grant_form": GrantForm(kind=customer.kind, auto_id="id_grant_%s")
            if granter and resolved.grant is None
            else None,
            "end_form": GrantEndForm(auto_id="id_grant_end_%s")
            if granter and resolved.grant is not None
            else None,
        },
    )

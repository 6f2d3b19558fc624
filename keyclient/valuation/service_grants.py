"""Service-level verbs: a draft policy's levels (head office) and a client's grant of another tier's
level (head office, with a reason). Each checks the role and scope again, validates before writing,
and records a business event in the same transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.actors import Staff, Viewer
from keyclient.audit.services import record_event
from keyclient.customers.models import Customer
from keyclient.security.roles import Action, may, may_edit_tier_policy
from keyclient.valuation.choices import PolicyStatus
from keyclient.valuation.models import ServiceLevelGrant, TierPolicy
from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER
from keyclient.valuation.service_levels import SECTION, declared_levels, validate_levels

MIN_REASON = 10  # characters, as for tier decisions


def save_service_levels(*, actor: Staff, policy: TierPolicy, levels: dict[str, Any]) -> TierPolicy:
    """Replace a draft's service levels (validated: every wrong value is named, nothing is saved)."""
    if not may_edit_tier_policy(actor):
        raise PermissionDenied(_("Only head office edits the tier policy."))
    validate_levels(levels)
    with transaction.atomic():
        policy = TierPolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.status != PolicyStatus.DRAFT:
            raise ValidationError(_("Version %(v)s is %(status)s: only a draft can be edited.")
                                  % {"v": policy.version, "status": policy.get_status_display()})  # fmt: skip
        before = declared_levels(policy.rules)
        policy.rules = {**policy.rules, SECTION: levels}
        policy.save(update_fields=["rules"])
        record_event(actor=actor, verb="service_levels.edited", before={"version": policy.version, SECTION: before},
                     after={"version": policy.version, SECTION: levels})  # fmt: skip
    return policy


def may_grant(actor: Viewer) -> bool:
    """Head office grants service levels (administrators configure, but see no clients)."""
    return may_edit_tier_policy(actor) and may(actor, Action.CHANGE)


def _require_granter(actor: Staff, customer_id: int) -> None:
    if not Customer.objects.visible_to(actor).filter(pk=customer_id).exists():
        raise PermissionDenied(_("You may not change this client's service level."))
    if not may_grant(actor):
        raise PermissionDenied(_("Only head office grants a service level."))


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({field: [_("Give a reason of at least %(n)s characters.") % {"n": MIN_REASON}]})
    return reason


def grant_service_level(*, actor: Staff, customer: Customer, tier: str, reason: str) -> ServiceLevelGrant:
    """Serve `customer` at the level of `tier` (of the client's kind) until the grant is ended."""
    _require_granter(actor, customer.pk)
    reason = _reason(reason)
    ladder = CORPORATE_LADDER if customer.kind == "corporate" else INDIVIDUAL_LADDER
    if tier not in {str(t) for t in ladder}:
        raise ValidationError(
            {"tier": [_("%(tier)r is not a tier for this kind of client.") % {"tier": tier}]}
        )
    if tier == customer.tier:
        raise ValidationError({"tier": [_("The client already has this tier's level.")]})
    try:
        with transaction.atomic():
            grant = ServiceLevelGrant.objects.create(
                customer=customer, tier=tier, reason=reason, granted_by=actor
            )
            record_event(actor=actor, verb="service_level.granted", customer=customer,
                         before={"tier": customer.tier}, after={"id": grant.pk, "tier": tier},
                         note=reason[:500])  # fmt: skip
    except IntegrityError:
        raise ValidationError(_("This client already has a service level grant: end it first.")) from None
    return grant


def end_service_level_grant(*, actor: Staff, grant: ServiceLevelGrant, reason: str) -> ServiceLevelGrant:
    """End a grant: the client is served at their own tier's level again."""
    _require_granter(actor, grant.customer_id)
    reason = _reason(reason)
    with transaction.atomic():
        grant = ServiceLevelGrant.objects.select_for_update().select_related("customer").get(pk=grant.pk)
        if grant.ended_at is not None:
            raise ValidationError(_("This grant has already ended."))
        grant.ended_at, grant.ended_by, grant.end_reason = timezone.now(), actor, reason[:500]
        grant.save(update_fields=["ended_at", "ended_by", "end_reason"])
        record_event(actor=actor, verb="service_level.ended", customer=grant.customer,
                     before={"id": grant.pk, "tier": grant.tier}, after={"tier": grant.customer.tier},
                     note=reason[:500])  # fmt: skip
    return grant

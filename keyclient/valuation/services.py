"""Valuation verbs: the tier policy (draft → publish), manual tier decisions with a second person's
approval, and prominence facts. Every change has an actor and a business event. The month-end batch
is `keyclient.valuation.month_end`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.actors import Staff
from keyclient.audit.services import record_changes, record_event
from keyclient.customers.models import Customer, CustomerPosition
from keyclient.security.roles import Action, may, may_approve, may_edit_tier_policy
from keyclient.valuation.choices import OverrideKind, OverrideStatus, PolicyStatus
from keyclient.valuation.decisions import check_decision
from keyclient.valuation.models import ProminenceFact, TierAssignment, TierOverride, TierPolicy
from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER, default_rules, validate

MIN_REASON = 10  # characters: a reason a second person can judge


def published_policy() -> TierPolicy:
    """The policy in force; the first use creates version 1 with the default rules."""
    policy = TierPolicy.objects.filter(status=PolicyStatus.PUBLISHED).first()
    if policy is None:
        with transaction.atomic():
            policy, _created = TierPolicy.objects.get_or_create(
                version=1,
                defaults={
                    "status": PolicyStatus.PUBLISHED,
                    "rules": default_rules(),
                    "published_at": timezone.now(),
                },
            )
    return policy


# --- tier policy ---------------------------------------------------------------------------------


def _require_policy_editor(actor: Staff) -> None:
    if not may_edit_tier_policy(actor):
        raise PermissionDenied(_("Only head office edits the tier policy."))


def start_draft(*, actor: Staff) -> TierPolicy:
    """The open draft, or a new one copied from the published rules."""
    _require_policy_editor(actor)
    with transaction.atomic():
        draft = TierPolicy.objects.select_for_update().filter(status=PolicyStatus.DRAFT).first()
        if draft is not None:
            return draft
        base = published_policy()
        last = TierPolicy.objects.order_by("-version").values_list("version", flat=True).first() or 0
        draft = TierPolicy.objects.create(
            version=last + 1, status=PolicyStatus.DRAFT, rules=base.rules, created_by=actor
        )
        record_event(
            actor=actor, verb="tier_policy.drafted", after={"version": draft.version, "from": base.version}
        )
    return draft


def save_draft(*, actor: Staff, policy: TierPolicy, rules: dict[str, Any], note: str = "") -> TierPolicy:
    """Replace a draft's rules (validated: every wrong value is named, nothing is saved)."""
    _require_policy_editor(actor)
    if policy.status != PolicyStatus.DRAFT:
        raise ValidationError(_("Version %(v)s is %(status)s: only a draft can be edited.")
                              % {"v": policy.version, "status": policy.get_status_display()})  # fmt: skip
    validate(rules)
    with transaction.atomic():
        before = policy.rules
        policy.rules, policy.note = rules, note
        policy.save(update_fields=["rules", "note"])
        record_event(actor=actor, verb="tier_policy.edited", before={"version": policy.version, "rules": before},
                     after={"version": policy.version, "rules": rules}, note=note[:500])  # fmt: skip
    return policy


def publish_policy(*, actor: Staff, policy: TierPolicy) -> TierPolicy:
    """Put a draft in force from the next month-end run; the version it replaces is retired."""
    _require_policy_editor(actor)
    validate(policy.rules)
    with transaction.atomic():
        policy = TierPolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.status != PolicyStatus.DRAFT:
            raise ValidationError(_("Version %(v)s is not a draft.") % {"v": policy.version})
        old = published_policy()
        TierPolicy.objects.filter(pk=old.pk).update(status=PolicyStatus.RETIRED)
        policy.status, policy.published_by, policy.published_at = (
            PolicyStatus.PUBLISHED,
            actor,
            timezone.now(),
        )
        policy.save(update_fields=["status", "published_by", "published_at"])
        record_event(actor=actor, verb="tier_policy.published", before={"version": old.version},
                     after={"version": policy.version}, note=policy.note[:500])  # fmt: skip
    return policy


# --- manual tier decisions -----------------------------------------------------------------------


def base_tier(customer: Customer) -> str:
    return str(CORPORATE_LADDER[0] if customer.uses_corporate_rules else INDIVIDUAL_LADDER[0])


def _in_scope(actor: Staff, customer_id: int) -> bool:
    return Customer.objects.visible_to(actor).filter(pk=customer_id).exists()


def request_override(
    *, actor: Staff, customer: Customer, kind: str, tier: str = "", reason: str
) -> TierOverride:
    """Ask for a client's tier to be set by hand (`override`) or taken away (`disqualify`)."""
    if not may(actor, Action.CHANGE) or not _in_scope(actor, customer.pk):
        raise PermissionDenied(_("You may not change this client's tier."))
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if len(reason) < MIN_REASON:
        errors["reason"] = [_("Give a reason of at least %(n)s characters.") % {"n": MIN_REASON}]
    if kind not in OverrideKind.values:
        errors["kind"] = [_("Unknown kind %(kind)r.") % {"kind": kind}]
    elif kind == OverrideKind.OVERRIDE:
        ladder = CORPORATE_LADDER if customer.uses_corporate_rules else INDIVIDUAL_LADDER
        if not tier:
            errors["tier"] = [_("Choose the tier to set.")]
        elif tier not in {str(t) for t in ladder}:
            errors["tier"] = [_("%(tier)r is not a tier for this kind of client.") % {"tier": tier}]
        elif tier == customer.tier:
            errors["tier"] = [_("The client is already in this tier.")]
    else:
        tier = ""
        if customer.tier == base_tier(customer):
            errors["kind"] = [_("The client holds no tier to take away.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            override = TierOverride.objects.create(
                customer=customer, kind=kind, tier=tier, tier_before=customer.tier, reason=reason,
                requested_by=actor,
            )  # fmt: skip
            record_event(actor=actor, verb="tier_override.requested", customer=customer,
                         before={"tier": customer.tier}, after={"kind": kind, "tier": tier, "id": override.pk},
                         note=reason[:500])  # fmt: skip
    except IntegrityError:
        raise ValidationError(
            _("This client already has an open tier request: decide or end it first.")
        ) from None
    return override


def decide_override(*, actor: Staff, override: TierOverride, approve: bool, note: str = "") -> TierOverride:
    """Approve (the tier changes now) or reject a pending request; never one's own."""
    if not may_approve(actor) or not _in_scope(actor, override.customer_id):
        raise PermissionDenied(_("You may not decide tier requests for this client."))
    note = (note or "").strip()
    with transaction.atomic():
        override = TierOverride.objects.select_for_update().select_related("customer").get(pk=override.pk)
        override.status = check_decision(
            actor=actor, requested_by_id=override.requested_by_id, status=override.status, approve=approve,
            note=note,
        )  # fmt: skip
        override.decided_by, override.decided_at, override.decision_note = actor, timezone.now(), note[:500]
        override.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        customer = override.customer
        record_event(actor=actor, verb=f"tier_override.{'approved' if approve else 'rejected'}", customer=customer,
                     before={"tier": customer.tier, "status": OverrideStatus.PENDING},
                     after={"id": override.pk, "kind": override.kind, "tier": override.tier,
                            "status": override.status}, note=note[:500])  # fmt: skip
        if approve:
            _set_tier(actor, customer, override.tier or base_tier(customer), f"tier_override:{override.pk}")
    return override


def end_override(*, actor: Staff, override: TierOverride, reason: str) -> TierOverride:
    """Withdraw a pending request or end an approved one: the client goes back to the tier the rules give."""
    if not may(actor, Action.CHANGE) or not _in_scope(actor, override.customer_id):
        raise PermissionDenied(_("You may not change this client's tier."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            {"reason": [_("Give a reason of at least %(n)s characters.") % {"n": MIN_REASON}]}
        )
    with transaction.atomic():
        override = TierOverride.objects.select_for_update().select_related("customer").get(pk=override.pk)
        if override.status not in (OverrideStatus.PENDING, OverrideStatus.APPROVED):
            raise ValidationError(
                _("This request is already %(status)s.") % {"status": override.get_status_display()}
            )
        was_approved = override.status == OverrideStatus.APPROVED
        override.status, override.ended_at = OverrideStatus.ENDED, timezone.now()
        override.save(update_fields=["status", "ended_at"])
        customer = override.customer
        record_event(actor=actor, verb="tier_override.ended", customer=customer,
                     after={"id": override.pk, "was_approved": was_approved}, note=reason[:500])  # fmt: skip
        if was_approved:
            latest = TierAssignment.objects.filter(customer=customer).order_by("-as_of").first()
            _set_tier(
                actor,
                customer,
                latest.rule_tier if latest else override.tier_before,
                f"tier_override:{override.pk}",
            )
    return override


def _set_tier(actor: Staff, customer: Customer, tier: str, note: str) -> None:
    if customer.tier == tier:
        return
    before = customer.tier
    Customer.objects.filter(pk=customer.pk).update(tier=tier)
    CustomerPosition.objects.filter(customer_id=customer.pk).update(tier=tier)  # the list's copy
    customer.tier = tier
    record_changes(actor=actor, instance=customer, customer_id=customer.pk, changes={"tier": (before, tier)})
    record_event(actor=actor, verb="tier.changed", customer=customer, before={"tier": before},
                 after={"tier": tier}, note=note)  # fmt: skip


# --- prominence ----------------------------------------------------------------------------------


def record_prominence(*, actor: Staff, customer: Customer, kind: str, evidence: str) -> ProminenceFact:
    """Note a fact about the client's public standing, with its evidence (it scores at the next run)."""
    if not may(actor, Action.CHANGE) or not _in_scope(actor, customer.pk):
        raise PermissionDenied(_("You may not change this client."))
    evidence = (evidence or "").strip()
    errors: dict[str, list[str]] = {}
    if len(evidence) < MIN_REASON:
        errors["evidence"] = [
            _("Say where this is known from (at least %(n)s characters).") % {"n": MIN_REASON}
        ]
    from keyclient.valuation.choices import ProminenceKind

    if kind not in ProminenceKind.values:
        errors["kind"] = [_("Unknown kind %(kind)r.") % {"kind": kind}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fact = ProminenceFact.objects.create(
            customer=customer, kind=kind, evidence=evidence[:500], recorded_by=actor
        )
        record_event(actor=actor, verb="prominence.recorded", customer=customer,
                     after={"id": fact.pk, "kind": kind, "evidence": fact.evidence})  # fmt: skip
    return fact


def withdraw_prominence(*, actor: Staff, fact: ProminenceFact) -> ProminenceFact:
    if not may(actor, Action.CHANGE) or not _in_scope(actor, fact.customer_id):
        raise PermissionDenied(_("You may not change this client."))
    with transaction.atomic():
        if fact.withdrawn_at is None:
            fact.withdrawn_at = timezone.now()
            fact.save(update_fields=["withdrawn_at"])
            record_event(actor=actor, verb="prominence.withdrawn", customer=fact.customer,
                         before={"id": fact.pk, "kind": fact.kind})  # fmt: skip
    return fact

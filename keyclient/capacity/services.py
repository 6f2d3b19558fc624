"""Capacity verbs: draft and publish norms; apply reviewed assignment suggestions in bulk.

`apply_lines` writes `Customer.primary_rm` through `keyclient.customers.writer` (the client
master's one writer: a field-change row per client) and one business event per move. When the
assignment services (issue 17 point 2: history, approvals) land, the write goes through them.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.actors import Staff, actor_columns
from keyclient.audit.models import BusinessEvent
from keyclient.audit.services import record_event
from keyclient.capacity.choices import NormsStatus
from keyclient.capacity.figures import bump
from keyclient.capacity.models import CapacityNorms
from keyclient.capacity.norms import NormsError, default_rules, published_norms, validate
from keyclient.capacity.queries import rm_loads
from keyclient.capacity.scope import CoverageScope, may_apply_suggestions
from keyclient.capacity.solver import norm_index
from keyclient.capacity.suggestions import serving_units
from keyclient.customers.writer import update_customers
from keyclient.security.roles import may_edit_tier_policy

LINE = re.compile(r"^(\d+):(\d+):(\d+)$")
APPLIED = "coverage.suggestion_applied"


def _require_editor(actor: Staff) -> None:
    if not may_edit_tier_policy(actor):
        raise PermissionDenied(_("Only head office changes the capacity norms."))


def draft_norms(*, actor: Staff, rules: dict[str, Any] | None = None, note: str = "") -> CapacityNorms:
    """A new draft version: `rules` (validated), or a copy of the published ones."""
    _require_editor(actor)
    if rules is None:
        published = CapacityNorms.objects.filter(status=NormsStatus.PUBLISHED).first()
        rules = published.rules if published else default_rules()
    validate(rules)
    with transaction.atomic():
        last = CapacityNorms.objects.select_for_update().order_by("-version").first()
        draft = CapacityNorms.objects.create(
            version=(last.version if last else 0) + 1, rules=rules, note=note[:500], created_by=actor
        )
        record_event(actor=actor, verb="capacity_norms.drafted", after={"version": draft.version}, note=note)
    return draft


def publish_norms(*, actor: Staff, norms: CapacityNorms) -> CapacityNorms:
    """Put a draft in force; the published version it replaces is retired."""
    _require_editor(actor)
    with transaction.atomic():
        norms = CapacityNorms.objects.select_for_update().get(pk=norms.pk)
        if norms.status != NormsStatus.DRAFT:
            raise ValidationError(_("Version %(v)s is not a draft.") % {"v": norms.version})
        validate(norms.rules)
        old = CapacityNorms.objects.filter(status=NormsStatus.PUBLISHED).first()
        if old is not None:
            CapacityNorms.objects.filter(pk=old.pk).update(status=NormsStatus.RETIRED)
        norms.status, norms.published_by, norms.published_at = NormsStatus.PUBLISHED, actor, timezone.now()
        norms.save(update_fields=["status", "published_by", "published_at"])
        record_event(
            actor=actor, verb="capacity_norms.published",
            before={"version": old.version if old else None}, after={"version": norms.version}, note=norms.note,
        )  # fmt: skip
        transaction.on_commit(bump)
    return norms


def parse_lines(keys: list[str]) -> list[tuple[int, int | None, int]]:
    """`customer:from_rm:to_rm` keys (from 0 = uncovered) → tuples; ValidationError names a bad one."""
    lines = []
    for key in keys:
        match = LINE.match(key.strip())
        if match is None:
            raise ValidationError(_("Line “%(line)s” is not customer:from:to.") % {"line": key[:40]})
        cid, from_rm, to_rm = (int(g) for g in match.groups())
        lines.append((cid, from_rm or None, to_rm))
    if len({c for c, _f, _t in lines}) != len(lines):
        raise ValidationError(_("A client appears on two lines."))
    return lines


def apply_lines(*, actor: Staff, scope: CoverageScope, keys: list[str], reason: str) -> int:
    """Apply the reviewed lines of a plan, all or nothing; returns the clients moved.

    Each line is checked again now: the client is in the actor's scope and still with `from_rm`,
    `to_rm` is an RM in scope whose grade serves the client's tier, in the unit that serves the
    client (or the unit of `from_rm`), and no receiving RM ends above a norm."""
    if not may_apply_suggestions(actor):
        raise PermissionDenied(_("Your role may not apply assignment suggestions."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("A reason is required."))
    lines = parse_lines(keys)
    if not lines:
        raise ValidationError(_("No line is selected."))
    _version, norms = published_norms()
    covers = norm_index(norms)
    with transaction.atomic():
        ids = [c for c, _f, _t in lines]
        clients = {
            row[0]: row
            for row in scope.clients.select_for_update()
            .filter(pk__in=ids)
            .values_list("pk", "customer_no", "tier", "primary_rm_id", "home_org_unit_id")
        }
        rms = {
            pk: (unit, grade)
            for pk, unit, grade in scope.rms.filter(
                pk__in={t for _c, f, t in lines} | {f for _c, f, _t in lines if f}
            ).values_list("pk", "org_unit_id", "grade")
        }
        serving = serving_units({u for u, _g in rms.values()}, scope)
        errors: list[str] = []
        gained: Counter[tuple[int, int]] = Counter()
        for cid, from_rm, to_rm in lines:
            row = clients.get(cid)
            if row is None:
                errors.append(_("Client %(id)s is not in your scope.") % {"id": cid})
                continue
            _pk, no, tier, current, home = row
            if current != from_rm:
                errors.append(
                    _("Client %(no)s is no longer with the RM the plan moves it from.") % {"no": no}
                )
            elif to_rm not in rms or (rms[to_rm][1], tier) not in covers:
                errors.append(
                    _("Client %(no)s: the new RM is not in scope or does not serve its tier.") % {"no": no}
                )
            elif rms[to_rm][0] not in (serving.get(home), rms.get(from_rm or 0, (None,))[0]):
                errors.append(_("Client %(no)s: the new RM is in another unit.") % {"no": no})
            else:
                gained[(to_rm, covers[(rms[to_rm][1], tier)])] += 1
                if from_rm in rms and (rms[from_rm][1], tier) in covers:
                    gained[(from_rm, covers[(rms[from_rm][1], tier)])] -= 1
        if not errors:
            loads = rm_loads(scope.clients, scope.rms.filter(pk__in={rm for rm, _n in gained}), norms)
            for (rm_id, n), delta in gained.items():
                after = loads.get(rm_id, {}).get(n, 0) + delta
                if delta > 0 and after > norms[n].max_clients:
                    errors.append(
                        _("RM %(rm)s would hold %(n)s clients, above the norm of %(max)s.")
                        % {"rm": rm_id, "n": after, "max": norms[n].max_clients}
                    )
        if errors:
            raise ValidationError(errors)
        update_customers(
            actor=actor, columns=[("primary_rm_id", "BIGINT")], rows=[(c, t) for c, _f, t in lines]
        )
        now, who = timezone.now(), actor_columns(actor)
        BusinessEvent.objects.bulk_create(
            BusinessEvent(
                at=now, **who, verb=APPLIED, customer_id=cid, customer_no=clients[cid][1],
                before={"primary_rm": from_rm}, after={"primary_rm": to_rm}, note=reason[:500],
            )
            for cid, from_rm, to_rm in lines
        )  # fmt: skip
        transaction.on_commit(bump)
    return len(lines)


__all__ = ["NormsError", "apply_lines", "draft_norms", "parse_lines", "publish_norms"]

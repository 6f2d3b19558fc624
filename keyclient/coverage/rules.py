"""Declared rules of assignment: which changes a team lead approves, whom an actor may assign clients
to, and what a valid credit split is. Services ask these; nothing else decides them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from keyclient.coverage.choices import ChangeKind
from keyclient.security.roles import Role, ScopeKind, scope_kind

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff
    from keyclient.org.models import User
    from keyclient.valuation.service_levels import ServiceLevel

MIN_REASON = 10  # characters, as for tier decisions
HUNDRED = Decimal(100)
# Roles that carry a book: an assignment's RMs are active staff in one of these.
SERVING_ROLES = frozenset({Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD})

# Which changes wait for a team lead's approval, by the client's service level. Giving an uncovered
# client an RM is never held back; taking a dedicated RM away or changing them is.
APPROVAL_RULES: dict[str, Callable[[ServiceLevel], bool]] = {
    ChangeKind.ASSIGN: lambda level: False,
    ChangeKind.REASSIGN: lambda level: level.dedicated_rm,
    ChangeKind.RELEASE: lambda level: level.dedicated_rm,
    ChangeKind.SPLIT: lambda level: False,
}


def needs_approval(kind: str, level: ServiceLevel) -> bool:
    return APPROVAL_RULES[kind](level)


def may_assign_to(actor: Staff, rm: User) -> bool:
    """An actor hands clients only to active serving staff within their own reach: head office to
    anyone, a branch head within their unit's subtree, a team lead or an RM within their team."""
    if not rm.is_active or rm.role not in SERVING_ROLES:
        return False
    kind = scope_kind(actor)
    if kind is ScopeKind.ALL:
        return True
    if kind is ScopeKind.SUBTREE:
        unit, home = actor.org_unit, rm.org_unit
        return unit is not None and home is not None and home.path.startswith(unit.path)
    if kind in (ScopeKind.TEAM, ScopeKind.OWN_BOOK):
        return rm.pk == actor.pk or (actor.team_id is not None and rm.team_id == actor.team_id)
    return False


def parse_split(primary_id: int, raw: Mapping[Any, Any]) -> dict[int, Decimal]:
    """A credit split `{rm id: percent}` checked: the primary RM is in it, every share is above 0
    with at most 2 decimals, and the shares sum to exactly 100. Raises naming the field and why."""
    errors: list[str] = []
    split: dict[int, Decimal] = {}
    for key, value in raw.items():
        try:
            rm_id, share = int(key), Decimal(str(value))
        except (TypeError, ValueError, InvalidOperation):
            errors.append(_("%(rm)s: %(value)r is not a percentage.") % {"rm": key, "value": value})
            continue
        if not share.is_finite() or share <= 0 or share > HUNDRED or share != share.quantize(Decimal("0.01")):
            errors.append(
                _("%(rm)s: a share is above 0 and at most 100, with at most 2 decimals (got %(value)s).")
                % {"rm": rm_id, "value": value}
            )
            continue
        split[rm_id] = share
    if errors:
        raise ValidationError({"split": errors})
    if primary_id not in split:
        raise ValidationError({"split": [_("The primary RM must have a share of the credit.")]})
    total = sum(split.values(), Decimal(0))
    if total != HUNDRED:
        raise ValidationError(
            {"split": [_("The shares sum to %(total)s, not 100.") % {"total": f"{total.normalize():f}"}]}
        )
    return split


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            {"reason": [_("Give a reason of at least %(n)s characters.") % {"n": MIN_REASON}]}
        )
    return reason


def assignable_rms(actor: Staff) -> Any:
    """The staff `actor` may hand clients to (`may_assign_to` as a query), for the forms' choices."""
    from django.db.models import Q

    from keyclient.org.models import User

    serving = User.objects.filter(is_active=True, role__in=SERVING_ROLES).select_related("org_unit")
    kind = scope_kind(actor)
    if kind is ScopeKind.ALL:
        return serving
    if kind is ScopeKind.SUBTREE:
        unit = actor.org_unit
        return serving.filter(org_unit__path__startswith=unit.path) if unit else serving.none()
    if kind in (ScopeKind.TEAM, ScopeKind.OWN_BOOK):
        mine = Q(pk=actor.pk) | (Q(team_id=actor.team_id) if actor.team_id is not None else Q(pk__in=[]))
        return serving.filter(mine)
    return serving.none()

"""Staff roles and what each may do with client data.

The role decides two things: the *scope* (which clients a user may see at all) and the *actions*
(what the user may do with a client in scope). `keyclient.customers.scope` turns the scope kind
into a query; nothing else decides who sees which client.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


class Role(models.TextChoices):
    RELATIONSHIP_MANAGER = "relationship_manager", _("Relationship manager")
    TEAM_LEAD = "team_lead", _("Team lead")
    BRANCH_HEAD = "branch_head", _("Branch head")
    HEAD_OFFICE = "head_office", _("Head office")
    RISK_OFFICER = "risk_officer", _("Risk officer")
    COMPLIANCE = "compliance", _("Compliance / auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


class ScopeKind(enum.Enum):
    """How far a user's view of client data reaches."""

    NONE = "none"
    OWN_BOOK = "own_book"  # clients the user serves as primary RM or service-team member
    TEAM = "team"  # the books of every member of the user's team
    SUBTREE = "subtree"  # clients whose home org unit is in the user's unit or below
    ALL = "all"


class Action(models.TextChoices):
    VIEW = "view", _("view")
    CHANGE = "change", _("change")
    UNMASK = "unmask", _("unmask a personal field")
    EXPORT = "export", _("export")


_SCOPE_BY_ROLE: dict[str, ScopeKind] = {
    Role.RELATIONSHIP_MANAGER: ScopeKind.OWN_BOOK,
    Role.TEAM_LEAD: ScopeKind.TEAM,
    Role.BRANCH_HEAD: ScopeKind.SUBTREE,
    Role.HEAD_OFFICE: ScopeKind.ALL,
    Role.RISK_OFFICER: ScopeKind.ALL,
    Role.COMPLIANCE: ScopeKind.ALL,
    # Administrators configure the system; they do not browse client data.
    Role.ADMINISTRATOR: ScopeKind.NONE,
}

_ACTIONS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.RELATIONSHIP_MANAGER: frozenset({Action.VIEW, Action.CHANGE, Action.UNMASK}),
    Role.TEAM_LEAD: frozenset({Action.VIEW, Action.CHANGE, Action.UNMASK, Action.EXPORT}),
    Role.BRANCH_HEAD: frozenset({Action.VIEW, Action.CHANGE, Action.UNMASK, Action.EXPORT}),
    Role.HEAD_OFFICE: frozenset({Action.VIEW, Action.CHANGE, Action.EXPORT}),
    Role.RISK_OFFICER: frozenset({Action.VIEW, Action.CHANGE, Action.UNMASK, Action.EXPORT}),
    # Compliance reads masked data and exports the audit trail; it changes nothing.
    Role.COMPLIANCE: frozenset({Action.VIEW, Action.EXPORT}),
    Role.ADMINISTRATOR: frozenset(),
}


def scope_kind(user: Viewer | None) -> ScopeKind:
    """The reach of `user`'s view of client data; anonymous or inactive users see nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ScopeKind.NONE
    return _SCOPE_BY_ROLE.get(getattr(user, "role", ""), ScopeKind.NONE)


def may(user: Viewer | None, action: str) -> bool:
    """Whether `user`'s role allows `action` on a client that is in their scope."""
    if scope_kind(user) is ScopeKind.NONE:
        return False
    return action in _ACTIONS_BY_ROLE.get(getattr(user, "role", ""), frozenset())


def may_review_audit(user: Viewer | None) -> bool:
    """Compliance / auditors search and export the audit streams; nobody else does."""
    return scope_kind(user) is not ScopeKind.NONE and getattr(user, "role", "") == Role.COMPLIANCE


# Roles that may see personal data in clear or take client data out of the system log in with a
# second factor (see keyclient.security.totp) ...
_TWO_FACTOR_ACTIONS = frozenset({Action.UNMASK, Action.EXPORT})
# ... and so do the roles that change users, the tier policy or the keys, whether or not they see
# client data.
_CONFIGURATION_ROLES = frozenset({Role.ADMINISTRATOR, Role.HEAD_OFFICE})


def requires_two_factor(user: Viewer | None) -> bool:
    """Whether `user` must log in with a TOTP code as well: every role that may unmask or export,
    and every role that changes users, policies or keys (administrators, head office)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    role = getattr(user, "role", "")
    return role in _CONFIGURATION_ROLES or bool(_ACTIONS_BY_ROLE.get(role, frozenset()) & _TWO_FACTOR_ACTIONS)


def may_reset_two_factor(user: Viewer | None) -> bool:
    """Administrators (who manage users) request and approve the reset of a lost authenticator; a
    reset takes two of them (see keyclient.security.recovery)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return getattr(user, "role", "") == Role.ADMINISTRATOR


# Tier decisions made by hand (override, disqualification) need a second person from these roles,
# with the client in their scope.
_APPROVER_ROLES = frozenset({Role.TEAM_LEAD, Role.BRANCH_HEAD, Role.HEAD_OFFICE})


def may_approve(user: Viewer | None) -> bool:
    """Whether `user` may approve or reject another person's request on a client in their scope."""
    return scope_kind(user) is not ScopeKind.NONE and getattr(user, "role", "") in _APPROVER_ROLES


# Team leads and branch heads (and head office) edit the service teams of the clients in their scope.
_TEAM_EDITOR_ROLES = frozenset({Role.TEAM_LEAD, Role.BRANCH_HEAD, Role.HEAD_OFFICE})


def may_edit_service_team(user: Viewer | None) -> bool:
    """Whether `user` may add, remove or change members of a service team of a client in scope."""
    return scope_kind(user) is not ScopeKind.NONE and getattr(user, "role", "") in _TEAM_EDITOR_ROLES


def may_manage_org(user: Viewer | None) -> bool:
    """Administrators maintain the org tree, teams and users (they see no client data)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return getattr(user, "role", "") == Role.ADMINISTRATOR


def may_edit_tier_policy(user: Viewer | None) -> bool:
    """Head office (and administrators, who configure the system) draft, try and publish tier policy."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return getattr(user, "role", "") in (Role.HEAD_OFFICE, Role.ADMINISTRATOR)


def may_view_intake(user: Viewer | None) -> bool:
    """Administrators and head office see how the loads of core-banking extracts went."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return getattr(user, "role", "") in (Role.HEAD_OFFICE, Role.ADMINISTRATOR)


def may_view_coverage(user: Viewer | None) -> bool:
    """Team leads, branch heads and head office see the coverage of the books in their scope."""
    return scope_kind(user) is not ScopeKind.NONE and getattr(user, "role", "") in (
        Role.TEAM_LEAD, Role.BRANCH_HEAD, Role.HEAD_OFFICE,
    )  # fmt: skip

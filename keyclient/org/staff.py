"""Verbs of the administrators' org screens on staff: create, change, deactivate, reactivate.

Nothing is deleted. A deactivated member of staff keeps their user row, their clients (still in
their unit's and team lead's scope, flagged for handover on the client's page) and every audit row.
Fields the HR extract owns are refused for users it manages (`keyclient.org.hr`). Every verb writes
field-change rows (units and teams by code) and, for deactivation, a business event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from keyclient.audit.choices import EventVerb
from keyclient.audit.services import record_changes, record_event
from keyclient.org.hr import HR_STAFF_FIELDS, hr_fields_of
from keyclient.org.models import OrgUnit, Team, User

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff

EDITABLE = ("display_name", "role", "grade", "org_unit", "team")


def _shown(value: Any) -> str:
    if isinstance(value, OrgUnit | Team):
        return value.code
    return "" if value is None else str(value)


def _refuse_hr_fields(user: User, fields: set[str]) -> None:
    owned = hr_fields_of(user) & fields
    if owned:
        raise ValidationError(
            {
                f: _("This field comes from the bank's HR extract: change it in the HR system.")
                for f in sorted(owned)
            }
        )


def _check_team(org_unit: OrgUnit | None, team: Team | None) -> None:
    if team is not None and org_unit is not None and not org_unit.path.startswith(team.org_unit.path):
        raise ValidationError(
            {
                "team": _("The team belongs to %(unit)s, outside the user's unit.")
                % {"unit": team.org_unit.name}
            }
        )


@transaction.atomic
def create_user(*, actor: Staff, username: str, **fields: Any) -> User:
    """A new member of staff without a usable password (an administrator sets one, or the bank's
    sign-on); the screens own every field of a user they create."""
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("A member of staff has this number already.")})
    _check_team(fields.get("org_unit"), fields.get("team"))
    user = User(username=username, **{k: v for k, v in fields.items() if k in EDITABLE})
    user.set_unusable_password()
    user.save()
    changes = {"username": ("", username), **{k: ("", _shown(getattr(user, k))) for k in EDITABLE}}
    record_changes(actor=actor, instance=user, changes=changes)
    return user


@transaction.atomic
def change_user(*, actor: Staff, user: User, **fields: Any) -> User:
    """Change the fields given (among `EDITABLE`); those equal to today's are left out."""
    user = User.objects.select_for_update().get(pk=user.pk)
    changed = {k: v for k, v in fields.items() if k in EDITABLE and getattr(user, k) != v}
    _refuse_hr_fields(user, set(changed))
    _check_team(changed.get("org_unit", user.org_unit), changed.get("team", user.team))
    changes = {k: (_shown(getattr(user, k)), _shown(v)) for k, v in changed.items()}
    for key, value in changed.items():
        setattr(user, key, value)
    user.save(update_fields=list(changed))
    record_changes(actor=actor, instance=user, changes=changes)
    return user


@transaction.atomic
def deactivate_user(*, actor: Staff, user: User, reason: str) -> User:
    """Deactivate a login: the person can no longer sign in; nothing else changes. Their clients stay
    theirs, visible to their unit and team lead, flagged for handover until reassigned."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk:
        raise ValidationError({"reason": _("You cannot deactivate yourself.")})
    if not user.is_active:
        raise ValidationError({"reason": _("%(u)s is already deactivated.") % {"u": user.username}})
    if len(reason.strip()) < 4:
        raise ValidationError({"reason": _("Say why, in a few words.")})
    _refuse_hr_fields(user, {"is_active"})
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_changes(actor=actor, instance=user, changes={"is_active": ("True", "False")})
    record_event(
        actor=actor,
        verb=EventVerb.USER_DEACTIVATED,
        before={"staff_no": user.username, "active": True},
        after={"staff_no": user.username, "active": False, "clients_awaiting_handover": user.book.count()},
        note=reason,
    )
    return user


@transaction.atomic
def reactivate_user(*, actor: Staff, user: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise ValidationError({"reason": _("%(u)s is active.") % {"u": user.username}})
    _refuse_hr_fields(user, {"is_active"})
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_changes(actor=actor, instance=user, changes={"is_active": ("False", "True")})
    record_event(
        actor=actor, verb=EventVerb.USER_REACTIVATED, after={"staff_no": user.username, "active": True}
    )
    return user


__all__ = ["EDITABLE", "HR_STAFF_FIELDS", "change_user", "create_user", "deactivate_user", "reactivate_user"]

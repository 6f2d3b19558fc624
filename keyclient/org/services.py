"""Verbs that change the organisation: units, teams and staff positions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from keyclient.audit.actors import Actor
from keyclient.audit.choices import EventVerb
from keyclient.audit.services import record_changes, record_event
from keyclient.org.choices import OrgLevel, UnitStatus
from keyclient.org.models import OrgUnit, Team

HEAD_OFFICE_CODE = "HO"  # the code of the head office made for a bank that sends no org tree


def unit_path(code: str, parent: OrgUnit | None) -> str:
    """The materialised path of a unit with `code` under `parent`."""
    return f"{parent.path if parent else '/'}{code}/"


@transaction.atomic
def create_org_unit(
    *, code: str, name: str, level: str, parent: OrgUnit | None, province: str = "", city: str = ""
) -> OrgUnit:
    """Create one unit with its path set."""
    return OrgUnit.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=unit_path(code, parent),
        province=province,
        city=city,
    )


@transaction.atomic
def head_office(*, actor: Actor) -> OrgUnit:
    """The bank's head office: its first root unit of level head office. A bank without one (it
    sends no org tree) gets one, created once, named in the bank's language ("总行"), recorded
    field by field under `actor`."""
    found = OrgUnit.objects.filter(level=OrgLevel.HEAD_OFFICE, parent=None).order_by("path").first()
    if found:
        return found
    with translation.override(settings.LANGUAGE_CODE):
        name = str(OrgLevel.HEAD_OFFICE.label)
    unit = create_org_unit(code=HEAD_OFFICE_CODE, name=name, level=OrgLevel.HEAD_OFFICE, parent=None)
    record_changes(
        actor=actor,
        instance=unit,
        changes={"name": ("", name), "level": ("", unit.level), "status": ("", UnitStatus.ACTIVE.value)},
    )
    return unit


# Screens: units and teams ------------------------------------------------------------------------

UNIT_EDITABLE = ("name", "province", "city")


@transaction.atomic
def add_org_unit(
    *,
    actor: Actor,
    code: str,
    name: str,
    level: str,
    parent: OrgUnit | None,
    province: str = "",
    city: str = "",
) -> OrgUnit:
    """A unit made on the screens (every field of it is the screens'), recorded field by field."""
    if OrgUnit.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A unit has this code already.")})
    if parent is not None and parent.status == UnitStatus.CLOSED:
        raise ValidationError({"parent": _("%(unit)s is closed.") % {"unit": parent.name}})
    unit = create_org_unit(code=code, name=name, level=level, parent=parent, province=province, city=city)
    changes = {"name": ("", name), "level": ("", level), "parent": ("", parent.code if parent else "")}
    changes |= {"province": ("", province), "city": ("", city), "status": ("", unit.status)}
    record_changes(actor=actor, instance=unit, changes=changes)
    return unit


@transaction.atomic
def change_org_unit(*, actor: Actor, unit: OrgUnit, **fields: str) -> OrgUnit:
    from keyclient.org.hr import hr_fields_of

    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    changed = {k: v for k, v in fields.items() if k in UNIT_EDITABLE and getattr(unit, k) != v}
    owned = hr_fields_of(unit) & set(changed)
    if owned:
        message = _("This field comes from the bank's HR extract: change it in the HR system.")
        raise ValidationError(dict.fromkeys(sorted(owned), message))
    changes = {k: (getattr(unit, k), v) for k, v in changed.items()}
    for key, value in changed.items():
        setattr(unit, key, value)
    unit.save(update_fields=list(changed))
    record_changes(actor=actor, instance=unit, changes=changes)
    return unit


def closing_blockers(unit: OrgUnit) -> list[str]:
    """Why `unit` cannot be closed yet, one sentence each (empty: it can). Closing never moves
    anything by itself: the children, staff, teams and clients are moved first, on purpose."""
    blockers = []
    children = unit.children.filter(status=UnitStatus.ACTIVE).count()
    if children:
        blockers.append(_("%(n)d open unit(s) below it: move or close them first.") % {"n": children})
    staff = unit.staff.filter(is_active=True).count()
    if staff:
        blockers.append(
            _("%(n)d active staff member(s) work there: move them to another unit first.") % {"n": staff}
        )
    teams = unit.teams.filter(members__is_active=True).distinct().count()
    if teams:
        blockers.append(
            _("%(n)d team(s) there have active members: move the team or its members first.") % {"n": teams}
        )
    clients = unit.customers.count()  # reverse of Customer.home_org_unit
    if clients:
        blockers.append(_("%(n)d client(s) belong to it: move them to another unit first.") % {"n": clients})
    return blockers


@transaction.atomic
def close_org_unit(*, actor: Actor, unit: OrgUnit) -> OrgUnit:
    """Close a unit (never delete it): refused, with every reason, while anything still hangs on it."""
    from keyclient.org.hr import hr_fields_of

    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    if unit.status == UnitStatus.CLOSED:
        raise ValidationError(_("%(unit)s is closed already.") % {"unit": unit.name})
    if "status" in hr_fields_of(unit):
        raise ValidationError(_("This unit comes from the bank's HR extract: close it in the HR system."))
    blockers = closing_blockers(unit)
    if blockers:
        raise ValidationError(blockers)
    unit.status = UnitStatus.CLOSED
    unit.save(update_fields=["status"])
    record_changes(
        actor=actor, instance=unit, changes={"status": (UnitStatus.ACTIVE.value, UnitStatus.CLOSED.value)}
    )
    record_event(actor=actor, verb=EventVerb.UNIT_CLOSED, after={"unit": unit.code})
    return unit


@transaction.atomic
def add_team(*, actor: Actor, code: str, name: str, org_unit: OrgUnit) -> Team:
    if Team.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A team has this code already.")})
    if org_unit.status == UnitStatus.CLOSED:
        raise ValidationError({"org_unit": _("%(unit)s is closed.") % {"unit": org_unit.name}})
    team = Team.objects.create(code=code, name=name, org_unit=org_unit)
    record_changes(actor=actor, instance=team, changes={"name": ("", name), "org_unit": ("", org_unit.code)})
    return team


@transaction.atomic
def change_team(*, actor: Actor, team: Team, name: str, org_unit: OrgUnit) -> Team:
    team = Team.objects.select_for_update().select_related("org_unit").get(pk=team.pk)
    if org_unit.status == UnitStatus.CLOSED:
        raise ValidationError({"org_unit": _("%(unit)s is closed.") % {"unit": org_unit.name}})
    changes = {"name": (team.name, name), "org_unit": (team.org_unit.code, org_unit.code)}
    team.name, team.org_unit = name, org_unit
    team.save(update_fields=["name", "org_unit"])
    record_changes(actor=actor, instance=team, changes=changes)
    return team

"""Verbs that change the organisation: units, teams and staff positions."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import translation

from keyclient.audit.actors import Actor
from keyclient.audit.services import record_changes
from keyclient.org.choices import OrgLevel, UnitStatus
from keyclient.org.models import OrgUnit

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

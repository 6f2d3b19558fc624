"""Verbs that change the organisation: units, teams and staff positions."""

from __future__ import annotations

from django.db import transaction

from keyclient.org.models import OrgUnit


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

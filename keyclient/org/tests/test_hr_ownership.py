"""A real HR extract load makes its units and staff HR-managed: the screens refuse the fields it
owns and keep everything else (issue 17, the HR extract and the screens agree)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from keyclient.audit.models import FieldChange
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import LOAD_DATE, write_day
from keyclient.intake.tests.test_hr import HR_DAY
from keyclient.org import services, staff
from keyclient.org.hr import HR_STAFF_FIELDS, HR_UNIT_FIELDS, hr_fields_of, hr_managed_ids
from keyclient.org.models import OrgUnit, Team, User


def test_loaded_records_are_hr_managed_and_their_fields_read_only(db, settings, tmp_path: Path) -> None:
    settings.LANGUAGE_CODE = "en"
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    load_extracts(source=write_day(tmp_path / "in", HR_DAY), load_date=LOAD_DATE)
    admin = User.objects.create(username="A001", display_name="管理员", role="administrator")
    s001, nanshan = User.objects.get(username="S001"), OrgUnit.objects.get(code="440305")
    assert hr_managed_ids(User, [s001.pk, admin.pk]) == {s001.pk}
    assert (hr_fields_of(s001), hr_fields_of(nanshan), hr_fields_of(admin)) == (
        HR_STAFF_FIELDS,
        HR_UNIT_FIELDS,
        frozenset(),
    )
    before = FieldChange.objects.count()
    with pytest.raises(ValidationError) as refused:
        staff.change_user(actor=admin, user=s001, display_name="改名", role="head_office")
    assert sorted(refused.value.message_dict) == ["display_name", "role"]
    with pytest.raises(ValidationError):
        staff.deactivate_user(actor=admin, user=s001, reason="left the bank")
    with pytest.raises(ValidationError):
        services.change_org_unit(actor=admin, unit=nanshan, name="改名支行")
    with pytest.raises(ValidationError, match="HR"):
        services.close_org_unit(actor=admin, unit=nanshan)
    assert FieldChange.objects.count() == before
    # The team is the screens' field, for HR-managed staff too.
    team = services.add_team(actor=admin, code="T-NS", name="南山一队", org_unit=nanshan)
    staff.change_user(actor=admin, user=s001, team=team)
    assert User.objects.get(pk=s001.pk).team == Team.objects.get(code="T-NS")

"""Forms of the administrators' org screens. Fields the HR extract owns are disabled for the units
and users it manages (`keyclient.org.hr`): a disabled field keeps its value whatever is posted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from keyclient.org.choices import OrgLevel, StaffGrade, UnitStatus
from keyclient.org.models import OrgUnit, Team, User
from keyclient.security.roles import Role

HR_HELP = _("From the HR extract: change it in the HR system.")


def _open_units() -> Any:
    return OrgUnit.objects.filter(status=UnitStatus.ACTIVE).order_by("path")


class UserForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=60)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    grade = forms.ChoiceField(label=_("Grade"), choices=[("", "—"), *StaffGrade.choices], required=False)
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, hr_fields: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = _open_units()  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.select_related("org_unit").order_by("code")  # type: ignore[attr-defined]
        for name in hr_fields & set(self.fields):
            self.fields[name].disabled = True
            self.fields[name].help_text = HR_HELP


class NewUserForm(UserForm):
    username = forms.CharField(label=_("Staff number"), max_length=150)

    field_order = ["username", "display_name", "role", "grade", "org_unit", "team"]


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.TextInput)


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    province = forms.CharField(label=_("Province"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=20, required=False)

    def __init__(self, *args: Any, hr_fields: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in hr_fields & set(self.fields):
            self.fields[name].disabled = True
            self.fields[name].help_text = HR_HELP


class NewUnitForm(UnitForm):
    code = forms.CharField(label=_("Code"), max_length=20)
    level = forms.ChoiceField(label=_("Level"), choices=OrgLevel.choices)
    parent = forms.ModelChoiceField(label=_("Parent"), queryset=OrgUnit.objects.none(), required=False)

    field_order = ["code", "name", "level", "parent", "province", "city"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = _open_units()  # type: ignore[attr-defined]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = _open_units()  # type: ignore[attr-defined]


class NewTeamForm(TeamForm):
    code = forms.CharField(label=_("Code"), max_length=20)

    field_order = ["code", "name", "org_unit"]


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Staff number or name"), max_length=60, required=False)
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.all(), required=False)
    active = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), ("1", pgettext_lazy("staff", "Active")), ("0", _("Deactivated"))],
        required=False,
    )


__all__ = [
    "DeactivateForm",
    "NewTeamForm",
    "NewUnitForm",
    "NewUserForm",
    "TeamForm",
    "UnitForm",
    "User",
    "UserFilterForm",
    "UserForm",
]

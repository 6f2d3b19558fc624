"""Forms for what RMs maintain on a client."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyclient.customers.choices import ContactKind, TeamRole
from keyclient.customers.models import ContactPoint
from keyclient.org.models import User

_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE = re.compile(r"[\d\-+() ]{6,20}")


def contact_value_error(kind: str | None, value: str) -> str | None:
    """Why `value` is not a valid contact of `kind`, or None; shared by the form and the API."""
    if kind == ContactKind.MOBILE and not _MOBILE.fullmatch(value):
        return str(_("A mobile number has 11 digits and starts with 13–19."))
    if kind == ContactKind.PHONE and not _PHONE.fullmatch(value):
        return str(_("A phone number has 6 to 20 digits, dashes or spaces."))
    if kind == ContactKind.EMAIL:
        try:
            forms.EmailField().clean(value)
        except forms.ValidationError:
            return str(_("Enter a valid email address."))
    if kind == ContactKind.ADDRESS and len(value) < 6:
        return str(_("An address needs at least 6 characters."))
    return None


class ContactPointForm(forms.ModelForm):
    """On edit the current value is never sent to the browser: a blank value keeps it."""

    class Meta:
        model = ContactPoint
        fields = ["kind", "value", "label", "is_primary"]
        widgets = {"value": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = self.instance.pk is not None
        if self.editing:
            self.initial["value"] = ""
            self.fields["value"].required = False
            self.fields["value"].help_text = _("Leave blank to keep the current value.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = (data.get("value") or "").strip()
        if self.editing and not value:
            value = self.instance.value
        error = contact_value_error(data.get("kind"), value)
        if error:
            self.add_error("value", error)
        data["value"] = value
        return data


class TeamMemberForm(forms.Form):
    """Add a member of staff (any department, by staff number) to a client's service team."""

    staff_no = forms.CharField(label=_("Staff number"), max_length=150)
    team_role = forms.ChoiceField(label=_("Role in team"), choices=TeamRole.choices)

    def clean_staff_no(self) -> Any:
        member = User.objects.filter(username=self.cleaned_data["staff_no"].strip()).first()
        if member is None:
            raise forms.ValidationError(_("No member of staff has this number."))
        return member


class TeamRoleForm(forms.Form):
    team_role = forms.ChoiceField(label=_("Role in team"), choices=TeamRole.choices)

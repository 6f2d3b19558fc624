"""Forms of the assignment screens: change the primary RM, the credit split, release, bulk assign."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyclient.coverage.rules import MIN_REASON, assignable_rms

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff


class RmChoice(forms.ModelChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("Choose an RM"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.username})"


def _reason() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"), min_length=MIN_REASON, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the history and shown to the approver."),
    )  # fmt: skip


class ChangeRmForm(forms.Form):
    """Assign a primary RM, or reassign the client to another one."""

    rm = RmChoice(label=_("Primary RM"), queryset=None)  # type: ignore[arg-type]
    reason = _reason()

    def __init__(self, *args: Any, actor: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rm"].queryset = assignable_rms(actor)  # type: ignore[attr-defined]


class SplitForm(forms.Form):
    """The credit split as lines of "staff number percent"; the primary RM keeps the primary role."""

    split = forms.CharField(
        label=_("Credit split"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('One line per RM: staff number and percent, e.g. "E1001 60". The shares sum to 100.'),
    )  # fmt: skip
    reason = _reason()

    def clean_split(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for line in self.cleaned_data["split"].splitlines():
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2:
                raise forms.ValidationError(
                    _("Write each line as a staff number and a percent: %(line)r.") % {"line": line}
                )
            pairs[parts[0]] = parts[1]
        return pairs


class ReleaseForm(forms.Form):
    reason = _reason()


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False,
                           help_text=_("Required to reject."))  # fmt: skip


class BulkForm(forms.Form):
    """Assign the clients chosen on the list to one RM."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), widget=forms.MultipleHiddenInput)
    rm = RmChoice(label=_("Primary RM"), queryset=None)  # type: ignore[arg-type]
    reason = _reason()

    def __init__(self, *args: Any, actor: Staff, ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rm"].queryset = assignable_rms(actor)  # type: ignore[attr-defined]
        self.fields["ids"].choices = [(i, i) for i in ids]  # type: ignore[attr-defined]


class HandoverForm(forms.Form):
    """Hand one RM's whole book to another."""

    from_rm = RmChoice(label=_("RM handing over"), queryset=None)  # type: ignore[arg-type]
    to_rm = RmChoice(label=_("New RM"), queryset=None)  # type: ignore[arg-type]
    reason = _reason()

    def __init__(self, *args: Any, actor: Staff, **kwargs: Any) -> None:
        from keyclient.org.models import User

        super().__init__(*args, **kwargs)
        reach = assignable_rms(actor)
        if actor.role == "administrator":  # closing accounts: any serving staff
            reach = User.objects.filter(is_active=True, role__in=("relationship_manager", "team_lead"))
        self.fields["from_rm"].queryset = reach  # type: ignore[attr-defined]
        self.fields["to_rm"].queryset = reach  # type: ignore[attr-defined]

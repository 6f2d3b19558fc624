"""The form that starts an intake: one business date among those whose folder is in the inbox."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _


class IntakeStartForm(forms.Form):
    day = forms.TypedChoiceField(
        label=_("Business date (extracts folder)"),
        coerce=date.fromisoformat,
        error_messages={"invalid_choice": _("No extracts folder for this date in the inbox.")},
    )

    def __init__(self, *args: object, dates: list[date], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["day"].choices = [(d.isoformat(), f"{d.isoformat()}/") for d in dates]  # type: ignore[attr-defined]

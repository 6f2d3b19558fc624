"""Forms of the client-facing tier screens. They only carry the input: the rules (reason length, which
tiers a client may be set to, who may decide) are checked by `valuation.services`, whose field errors
the views put back next to these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyclient.valuation.choices import OverrideKind, ProminenceKind
from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER


def tier_choices(customer: Any) -> list[tuple[str, str]]:
    """The tiers of the client's kind, highest first."""
    ladder = CORPORATE_LADDER if customer.uses_corporate_rules else INDIVIDUAL_LADDER
    return [(str(t.value), str(t.label)) for t in reversed(ladder)]


class _Form(forms.Form):
    """Ids prefixed per form, so that several forms share the client page without clashing ids."""

    id_prefix = "tier"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class TierRequestForm(_Form):
    id_prefix = "request"
    kind = forms.ChoiceField(label=_("Decision"), choices=OverrideKind.choices)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A second person (team lead, branch head or head office) decides on it."),
    )

    def __init__(self, *args: Any, customer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("— (to disqualify)")), *tier_choices(customer)]


class DecisionForm(_Form):
    id_prefix = "decision"
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to reject."),
    )


class EndForm(_Form):
    id_prefix = "end"
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProminenceForm(_Form):
    id_prefix = "prominence"
    kind = forms.ChoiceField(label=_("Kind of standing"), choices=ProminenceKind.choices)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=500,
        help_text=_("Where this is known from: a public source, a document, a date."),
    )

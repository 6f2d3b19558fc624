"""Which org records the HR extract owns, so that the screens show its fields read-only.

Where a bank sends the HR extract (`org_units`, `staff`; keyclient/intake/crm_org.py) it is the
source of the fields it carries: a change made on a screen would be overwritten by the next load
that carries that unit or person. A unit or user is *HR-managed* when the extract has written it:
the load records every field it sets as a field change under `job:intake`, so the presence of such
a row is the proof. Units and users made on the screens (a bank without the extract, or
administrators the extract does not list) are the screens' own, every field editable.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model

from keyclient.audit.models import FieldChange

INTAKE_ACTOR = "job:intake"
# The fields the extract owns (crm_org.UNIT_TRACKED / STAFF_TRACKED, and the keys).
HR_UNIT_FIELDS = frozenset({"code", "name", "level", "parent", "province", "city", "status"})
HR_STAFF_FIELDS = frozenset({"username", "display_name", "role", "grade", "org_unit", "is_active"})


def hr_managed_ids(model: type[Model], ids: Iterable[int]) -> set[int]:
    """The ids among `ids` of `model` rows the HR extract has written (one query)."""
    rows = FieldChange.objects.filter(
        model=model._meta.label, object_id__in=[str(i) for i in ids], actor_name=INTAKE_ACTOR
    )
    return {int(i) for i in rows.order_by().values_list("object_id", flat=True).distinct()}


def hr_managed(instance: Model) -> bool:
    return bool(hr_managed_ids(type(instance), [instance.pk]))


def hr_fields_of(instance: Model) -> frozenset[str]:
    """The fields of `instance` a screen may not change (empty for a record the screens own)."""
    if not hr_managed(instance):
        return frozenset()
    return HR_UNIT_FIELDS if instance._meta.model_name == "orgunit" else HR_STAFF_FIELDS

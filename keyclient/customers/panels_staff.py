"""The administrators' staff page panel of what a person serves: counts only (administrators see no
client data), so that a deactivation shows what awaits a handover."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from keyclient.core.panels import Panel
from keyclient.customers.models import Customer, ServiceTeamMember

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


def book_panel(*, user: Viewer, staff: Any) -> Panel:
    """Clients whose primary RM `staff` is, and their places in service teams by role (two queries)."""
    roles = (
        ServiceTeamMember.objects.filter(member=staff)
        .values("team_role")
        .annotate(n=Count("id"))
        .order_by("team_role")
    )
    labels = dict(ServiceTeamMember._meta.get_field("team_role").choices or [])
    return Panel(
        key="book",
        title=str(_("Clients served")),
        template="customers/panels/staff_book.html",
        context={
            "staff": staff,
            "primary": Customer.objects.filter(primary_rm=staff).count(),
            "places": [(labels.get(r["team_role"], r["team_role"]), r["n"]) for r in roles],
        },
    )

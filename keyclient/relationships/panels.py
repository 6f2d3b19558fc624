"""The 360-page panel of a client's links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from keyclient.core.panels import Panel, shows
from keyclient.relationships.queries import links_of
from keyclient.security.field_classes import FieldClass

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


@shows(FieldClass.RELATIONSHIPS)
def links_panel(*, user: Viewer, customer: Any) -> Panel:
    return Panel(
        key="links",
        title=str(_("Relationships")),
        template="relationships/panels/links.html",
        context={"links": links_of(customer, user)},
        wide=True,
    )

"""Panels: pieces of a page contributed by the domain that owns the data.

The client 360 page lives in `customers`, but holdings, balances and links belong to higher
domains that `customers` may not import. Each such domain offers panel functions; the page lists
them in `settings.KEYCLIENT_360_PANELS` (one explicit list, in order) and renders each one.

A panel function of client data declares the field class it shows (`@shows("wealth")`, see
`keyclient.security.field_classes`); `build_panels(..., classes=...)` calls only the functions whose
class is among `classes`, so a withheld panel runs no query. A function without a class is shown
only when every class is (`classes=None`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class Panel:
    """A titled block of a page: a template and its context."""

    key: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    wide: bool = False


PanelFunction = Callable[..., Panel | None]


def shows(field_class: str) -> Callable[[PanelFunction], PanelFunction]:
    """Declare the field class a panel function shows."""

    def mark(function: PanelFunction) -> PanelFunction:
        function.field_class = field_class  # type: ignore[attr-defined]
        return function

    return mark


def build_panels(setting_name: str, *, classes: frozenset[str] | None = None, **kwargs: Any) -> list[Panel]:
    """Call every panel function named in `settings.<setting_name>` with `kwargs`; with `classes`,
    only those that show one of them."""
    panels = []
    for dotted in getattr(settings, setting_name):
        function = import_string(dotted)
        if classes is not None and getattr(function, "field_class", None) not in classes:
            continue
        panel = function(**kwargs)
        if panel is not None:
            panels.append(panel)
    return panels

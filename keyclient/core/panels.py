"""Panels: pieces of a page contributed by the domain that owns the data.

The client 360 page lives in `customers`, but holdings, balances and links belong to higher
domains that `customers` may not import. Each such domain offers panel functions; the page lists
them in `settings.KEYCLIENT_360_PANELS` (one explicit list, in order) and renders each one.
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


def build_panels(setting_name: str, **kwargs: Any) -> list[Panel]:
    """Call every panel function named in `settings.<setting_name>` with `kwargs`."""
    panels = []
    for dotted in getattr(settings, setting_name):
        panel = import_string(dotted)(**kwargs)
        if panel is not None:
            panels.append(panel)
    return panels

"""The job kinds: `settings.KEYCLIENT_JOB_KINDS` maps each kind to its runner, so the list is one place.

A runner is a thin wrapper in the app that owns the work (`keyclient/intake/jobs.py`…): it takes the
job's context and the parameters as keyword arguments, calls the existing service (which reports its
progress through `keyclient.core.progress`), and returns a small JSON-able summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

Runner = Callable[..., dict[str, Any] | None]


class UnknownJobKind(ValueError):
    """No runner is declared for the kind."""


def kinds() -> list[str]:
    return sorted(settings.KEYCLIENT_JOB_KINDS)


def runner(kind: str) -> Runner:
    try:
        path = settings.KEYCLIENT_JOB_KINDS[kind]
    except KeyError:
        raise UnknownJobKind(f"unknown job kind {kind!r}: one of {', '.join(kinds())}") from None
    return import_string(path)

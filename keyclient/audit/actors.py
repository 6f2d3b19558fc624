"""Who did it: every write and every recorded access has an actor, a user or a named job.

The types here are the one place that names the user model below `org` (docs/development/typing.md):
`Actor` for whoever writes or is recorded, `Staff` for a verb only a person may do, `Viewer` for
whoever reads (a request's user, possibly anonymous), `StaffRequest` for a view's request behind the
login. `org` sits above `audit` in the import layers, so the user model is imported for the type
checker only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    from keyclient.org.models import User


@dataclass(frozen=True)
class Job:
    """A named background job acting on its own behalf, e.g. `Job("pipeline.month_end")`."""

    name: str


Actor: TypeAlias = "User | Job"
"""Who writes or is recorded: a logged-in member of staff or a named background job."""

Staff: TypeAlias = "User"
"""A logged-in member of staff: the actor of a verb that no job may do (a decision, an unmask)."""

Viewer: TypeAlias = "User | AnonymousUser"
"""Who reads: a request's user; an anonymous or inactive one sees nothing."""


class StaffRequest(HttpRequest):
    """A view's request: `LoginRequiredMiddleware` lets only logged-in staff through to a view."""

    user: User
    htmx: HtmxDetails


def signed_in(user: Viewer) -> Staff:
    """`user` as a member of staff, for API views: DRF's `IsAuthenticated` lets no anonymous caller
    through, so the refusal here only backs up what the type checker is told."""
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def actor_columns(actor: Actor) -> dict[str, Any]:
    """The actor as stored on an audit row: a user id plus a readable name, or a job name."""
    if isinstance(actor, Job):
        return {"actor_id": None, "actor_name": f"job:{actor.name}"}
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise ValueError("an audit row needs an actor: a logged-in user or a named Job")
    return {"actor_id": actor.pk, "actor_name": actor.get_username()}

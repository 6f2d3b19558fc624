"""Who did it: every write and every recorded access has an actor, a user or a named job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    """A named background job acting on its own behalf, e.g. `Job("pipeline.month_end")`."""

    name: str


def actor_columns(actor: Any) -> dict[str, Any]:
    """The actor as stored on an audit row: a user id plus a readable name, or a job name."""
    if isinstance(actor, Job):
        return {"actor_id": None, "actor_name": f"job:{actor.name}"}
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise ValueError("an audit row needs an actor: a logged-in user or a named Job")
    return {"actor_id": actor.pk, "actor_name": actor.get_username()}

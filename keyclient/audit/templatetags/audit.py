"""Template filters for audit actors: `{{ job.actor_name|actor_label }}`."""

from __future__ import annotations

from django import template

from keyclient.audit.display import actor_label as _actor_label

register = template.Library()


@register.filter
def actor_label(actor_name: str) -> str:
    """`job:intake` → the job's name in words; a staff number as it is."""
    return _actor_label(actor_name or "")

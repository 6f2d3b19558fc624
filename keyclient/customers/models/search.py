"""Each staff member's current search window, counted by `keyclient.customers.search_limits`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchWindow(models.Model):
    """How many client searches one user made in the window that started at `started_at`.

    One row per user, locked while a search is counted, so every web worker counts the same
    searches. Operational state, not an audit record (the audit holds the identifier searches):
    it goes with its user.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(_("window started"))
    searches = models.PositiveIntegerField(_("searches"), default=0)
    identifier_searches = models.PositiveIntegerField(_("searches by a full identifier"), default=0)
    alerted = models.BooleanField(_("compliance alerted"), default=False)

    class Meta:
        verbose_name = _("search window")
        verbose_name_plural = _("search windows")
        ordering = ["user"]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.started_at:%Y-%m-%d %H:%M}: {self.searches}/{self.identifier_searches}"

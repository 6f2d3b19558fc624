"""The three append-only audit streams.

Rows are only ever inserted (by `keyclient.audit.services`); nothing in the code updates or deletes
them. The access stream is also hash-chained (`ChainHead`, `keyclient.audit.chain`) so that an edit
or deletion made behind the application's back shows up in `keyclient audit verify`.
Clients are referred to by id and number, not by foreign key: the log outlives the client row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditRow(models.Model):
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150)

    class Meta:
        abstract = True


class AccessEvent(AuditRow):
    """Someone looked at client data: opened a 360 page, unmasked a field, exported a list."""

    seq = models.PositiveBigIntegerField(_("chain position"), unique=True)
    action = models.CharField(_("action"), max_length=40)
    customer_id = models.BigIntegerField(_("client id"), null=True, blank=True, db_index=True)
    customer_no = models.CharField(_("client number"), max_length=20, blank=True)
    fields = models.CharField(_("unmasked fields"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["actor", "at"], name="access_actor_at_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_name} {self.action} {self.customer_no}"


class FieldChange(AuditRow):
    """One field of one record changed: old → new (personal fields stored masked)."""

    model = models.CharField(_("record type"), max_length=60)
    object_id = models.CharField(_("record id"), max_length=40)
    customer_id = models.BigIntegerField(_("client id"), null=True, blank=True, db_index=True)
    field = models.CharField(_("field"), max_length=60)
    old = models.TextField(_("old value"), blank=True)
    new = models.TextField(_("new value"), blank=True)

    class Meta:
        verbose_name = _("field change")
        verbose_name_plural = _("field changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["model", "object_id"], name="field_change_object_idx")]

    def __str__(self) -> str:
        return f"{self.model}:{self.object_id}.{self.field}"


class BusinessEvent(AuditRow):
    """A business event with before/after: tier changed, RM reassigned, export made, alert raised…"""

    verb = models.CharField(_("event"), max_length=60, db_index=True)
    customer_id = models.BigIntegerField(_("client id"), null=True, blank=True, db_index=True)
    customer_no = models.CharField(_("client number"), max_length=20, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("business event")
        verbose_name_plural = _("business events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.customer_no}"


class ChainHead(models.Model):
    """The end of a hash chain: its last position and hash. Locked while a row is appended."""

    stream = models.CharField(_("stream"), max_length=20, unique=True)
    seq = models.PositiveBigIntegerField(_("last position"), default=0)
    hash = models.CharField(_("last hash"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("chain head")
        verbose_name_plural = _("chain heads")
        ordering = ["stream"]

    def __str__(self) -> str:
        return f"{self.stream}@{self.seq}"

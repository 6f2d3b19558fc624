"""Who covers a client (管户): the primary RM and secondary RMs with their credit split, the history
of every change, and the requests a team lead approves.

`Coverage` is the source of truth; `customers.Customer.primary_rm` mirrors the primary row (written
through `customers.writer`, so the data-scope door follows). A client's shares sum to 100.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.coverage.choices import ChangeKind, CoverageRole
from keyclient.valuation.choices import OverrideStatus

OPEN = (OverrideStatus.PENDING,)


class Coverage(models.Model):
    """One RM of one client, primary or secondary, with the share of the client credited to them
    (percent; read by the scorecards)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="coverage"
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("RM"), on_delete=models.PROTECT, related_name="coverage"
    )
    role = models.CharField(_("role"), max_length=10, choices=CoverageRole.choices)
    share = models.DecimalField(_("credit share (%)"), max_digits=5, decimal_places=2)
    since = models.DateField(_("effective from"))

    class Meta:
        verbose_name = _("coverage")
        verbose_name_plural = _("coverage")
        ordering = ["customer", "role", "-share", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "rm"], name="coverage_one_row_per_rm"),
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(role="primary"), name="coverage_one_primary"
            ),
            models.CheckConstraint(
                condition=models.Q(share__gt=0, share__lte=100), name="coverage_share_in_range"
            ),
        ]
        indexes = [models.Index(fields=["rm", "customer"], name="coverage_rm_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.role} {self.rm_id} {self.share}%"


class CoverageChange(models.Model):
    """History: one row per RM whose coverage of a client changed (from, to, shares, who, why, when).

    `from_rm` empty: the RM was added; `to_rm` empty: released. Append-only."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("change"), max_length=10, choices=ChangeKind.choices)
    role = models.CharField(_("role"), max_length=10, choices=CoverageRole.choices)
    from_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("from RM"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    to_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to RM"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    share_from = models.DecimalField(_("share before"), max_digits=5, decimal_places=2, null=True)
    share_to = models.DecimalField(_("share after"), max_digits=5, decimal_places=2, null=True)
    effective_on = models.DateField(_("effective on"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("coverage change")
        verbose_name_plural = _("coverage changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["customer", "-changed_at"], name="coverage_change_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.from_rm_id}->{self.to_rm_id}"


class AssignmentRequest(models.Model):
    """A change of RM that the client's service level (or a declared rule) holds for a second person's
    approval: the same request / decide pattern and statuses as the tier decisions
    (`valuation.TierOverride`, decided through `valuation.decisions.check_decision`)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("change"), max_length=10, choices=ChangeKind.choices)
    primary = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("new primary RM"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    split = models.JSONField(_("credit split"), default=dict)  # {"<user id>": "<percent>"}, empty: released
    primary_before = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("primary RM before"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=OverrideStatus.choices, default=OverrideStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("RM change request")
        verbose_name_plural = _("RM change requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(status="pending"), name="assignment_request_one_open"
            )
        ]
        indexes = [models.Index(fields=["status", "-requested_at"], name="assignment_request_status_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} ({self.status})"

"""Month-end results of the valuation run: each client's four value indicators, value score and CLV
(`ValueScore`), and the tier decision (`TierAssignment`). One row per client and month end.

Both are month-end snapshots written only by the valuation run, a million rows at a time, for clients it
has just read from the client master. Their client key has no database foreign-key constraint: on
PostgreSQL such a constraint is a trigger run per row at commit, which cost more than the whole
computation at 1,000,000 clients (bench/valuation.py). Deleting a client still deletes its rows
(`on_delete=CASCADE` is applied by Django)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.customers.choices import Tier
from keyclient.valuation.choices import TierState


def money(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=18, decimal_places=2, default=0)


def score(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=5, decimal_places=2, default=0)


class ValueScore(models.Model):
    """The value breakdown of one client at one month end, with the inputs each indicator used."""

    as_of = models.DateField(_("month end"))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="value_scores",
        db_constraint=False,  # see the module docstring
        db_index=False,  # the unique (customer, as_of) index serves lookups by client
    )
    policy_version = models.PositiveIntegerField(_("policy version"))
    # contribution (贡献度)
    contribution_12m = money(_("contribution, 12 months"))
    contribution_trend = models.DecimalField(
        _("contribution trend"), max_digits=7, decimal_places=4, default=0
    )
    contribution_score = score(_("contribution"))
    # risk (风险度): higher is riskier
    # Unknown inputs are NULL (never risk): a loan class or days overdue not on file, no KYC date.
    worst_loan_class = models.CharField(  # noqa: DJ001 - "" is "no loan", NULL is "class not on file"
        _("worst loan classification"), max_length=4, blank=True, null=True
    )
    max_overdue_days = models.IntegerField(_("days overdue"), default=0, null=True)
    concentration = models.DecimalField(_("largest holding share"), max_digits=5, decimal_places=4, default=0)
    risk_flags = models.IntegerField(_("risk flags"), default=0)
    kyc_stale = models.BooleanField(_("KYC review overdue"), default=False, null=True)
    risk_score = score(_("risk"))
    # prominence (知名度)
    prominence_points = models.IntegerField(_("prominence points"), default=0)
    prominence_score = score(_("prominence"))
    # relatedness (关联度)
    link_count = models.IntegerField(_("linked clients"), default=0)
    linked_aum = money(_("linked clients' AUM"))
    linked_contribution = money(_("linked clients' contribution"))
    relatedness_score = score(_("relatedness"))
    # combined
    value_score = score(_("value score"))
    retention = models.DecimalField(_("retention estimate"), max_digits=5, decimal_places=4, default=0)
    clv = money(_("lifetime value"))

    class Meta:
        verbose_name = _("value score")
        verbose_name_plural = _("value scores")
        ordering = ["customer", "-as_of"]
        constraints = [models.UniqueConstraint(fields=["customer", "as_of"], name="value_score_unique")]
        indexes = [models.Index(fields=["as_of", "-value_score"], name="value_score_month_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of} {self.value_score}"


class TierAssignment(models.Model):
    """A client's tier at one month end: what the rules say (`qualified_tier`) and what the lifecycle
    decided without manual decisions (`rule_tier`: watch months included) and with them (`tier`,
    `state`), next to last month's tier so a month's migration is one GROUP BY."""

    as_of = models.DateField(_("month end"))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="tier_assignments",
        db_constraint=False,  # see the module docstring
        db_index=False,  # the unique (customer, as_of) index serves lookups by client
    )
    policy_version = models.PositiveIntegerField(_("policy version"))
    basis = money(_("tier basis (weighted monthly average AUM or contribution)"))
    qualified_tier = models.CharField(_("qualifies for"), max_length=30, choices=Tier.choices)
    previous_tier = models.CharField(_("previous tier"), max_length=30, choices=Tier.choices, blank=True)
    rule_tier = models.CharField(_("tier by the rules"), max_length=30, choices=Tier.choices)
    tier = models.CharField(_("tier"), max_length=30, choices=Tier.choices)
    state = models.CharField(_("state"), max_length=12, choices=TierState.choices)
    months_below = models.IntegerField(_("consecutive months below"), default=0)

    class Meta:
        verbose_name = _("tier assignment")
        verbose_name_plural = _("tier assignments")
        ordering = ["customer", "-as_of"]
        constraints = [models.UniqueConstraint(fields=["customer", "as_of"], name="tier_assignment_unique")]
        indexes = [models.Index(fields=["as_of", "previous_tier", "tier"], name="tier_assignment_move_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of} {self.tier}"

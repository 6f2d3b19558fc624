"""The client master: one row per client, with contact points and tags."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyclient.customers.choices import (
    NOT_ON_FILE,
    TAG_MAX_LENGTH,
    ContactKind,
    CustomerKind,
    CustomerStatus,
    Gender,
    IdType,
    RiskTolerance,
    Tier,
    rule_kind,
)
from keyclient.customers.queries import CustomerQuerySet
from keyclient.security.fields import EncryptedTextField
from keyclient.security.masking import age_on

# The client fields searched by an exact blind index (`<key>_bidx`), see `search_keys`.
BLIND_KEYS = ("id_number", "id_last4", "mobile", "mobile_last4")


class Customer(models.Model):
    """A client of the bank: individual, corporate or institution (a long-term partner institution).

    `tier` is the current tier, written by the valuation (only for the clients whose tier changes).
    The monthly average AUM the lists rank on lives in the client's position (`CustomerPosition`,
    `Customer.objects.ranked_for(user)`), beside copies of the scope columns, so that a month end does
    not rewrite this wide row (see docs/adr/0006-client-position-table.md). The ID number and mobile are
    encrypted at rest; search keys (`name_initials` and the `*_bidx` blind indexes) are derived by
    `keyclient.customers.services.search_keys` on every write.
    """

    customer_no = models.CharField(_("client number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CustomerKind.choices)
    # Name and ID may be not on file (`""`, shown as `NOT_ON_FILE`): a bank's extract may lack them.
    name = models.CharField(_("name"), max_length=120, db_index=True, blank=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=60, db_index=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    registration_no = models.CharField(_("registration number"), max_length=30, blank=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    # Blind indexes are only ever matched whole: their indexes are declared in Meta, because a
    # field's `db_index` adds a second, pattern-matching index on PostgreSQL that nothing uses.
    id_number_bidx = models.CharField(_("ID number index"), max_length=32, blank=True, editable=False)
    id_last4_bidx = models.CharField(_("ID last-four index"), max_length=32, blank=True, editable=False)
    mobile = EncryptedTextField(_("mobile"), blank=True)
    mobile_bidx = models.CharField(_("mobile index"), max_length=32, blank=True, editable=False)
    mobile_last4_bidx = models.CharField(
        _("mobile last-four index"), max_length=32, blank=True, editable=False
    )
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=20, blank=True)
    home_org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("home org unit"), on_delete=models.PROTECT, related_name="customers"
    )
    primary_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("primary RM"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="book",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    open_date = models.DateField(_("client since"), null=True, blank=True)
    risk_tolerance = models.CharField(
        _("risk tolerance"), max_length=2, choices=RiskTolerance.choices, blank=True
    )
    risk_assessed_on = models.DateField(_("risk assessed on"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=30, choices=Tier.choices, default=Tier.MASS)
    tags: models.ManyToManyField[Tag, CustomerTag] = models.ManyToManyField(
        "Tag", through="CustomerTag", verbose_name=_("tags"), related_name="customers"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["id"]
        indexes = [
            *(models.Index(fields=[f"{key}_bidx"], name=f"customer_{key}_bidx") for key in BLIND_KEYS),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.customer_no})"

    @property
    def display_name(self) -> str:
        """The name, or "not on file" (translated) when the bank sent none."""
        return self.name or str(NOT_ON_FILE)

    @property
    def is_individual(self) -> bool:
        return self.kind == CustomerKind.INDIVIDUAL

    @property
    def uses_corporate_rules(self) -> bool:
        """Tiered and scored by the tier policy's corporate rules (corporates and institutions)."""
        return rule_kind(self.kind) == CustomerKind.CORPORATE

    @property
    def age(self) -> int | None:
        """Age in whole years today: shown instead of the birth date, which the ID mask hides."""
        return age_on(self.birth_date, timezone.localdate())


class ContactPoint(models.Model):
    """One phone, email or address of a client."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("client"), on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    label = models.CharField(_("label"), max_length=30, blank=True)
    value = EncryptedTextField(_("value"))
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["customer", "kind", "-is_primary", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.customer_id}"

    @property
    def pk_str(self) -> str:
        return str(self.pk)

    @property
    def dom_id(self) -> str:
        return f"contact-{self.pk}"


class Tag(models.Model):
    """A label RMs and the pipeline attach to clients (企业主, 上市公司高管, 跨境需求…)."""

    name = models.CharField(_("name"), max_length=TAG_MAX_LENGTH, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerTag(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("client tag")
        verbose_name_plural = _("client tags")
        ordering = ["customer", "tag"]
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.tag_id}"

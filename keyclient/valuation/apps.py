from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValuationConfig(AppConfig):
    name = "keyclient.valuation"
    label = "valuation"
    verbose_name = _("Client value and tiers")

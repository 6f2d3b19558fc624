from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessAction(models.TextChoices):
    VIEW_CLIENT = "view_client", _("Opened a client")
    UNMASK_FIELD = "unmask_field", _("Unmasked a field")
    EXPORT_LIST = "export_list", _("Exported a list")
    SEARCH_IDENTIFIER = "search_identifier", _("Searched by a full identifier")

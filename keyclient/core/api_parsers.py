"""Request parsers for the API that refuse a body they cannot read instead of treating it as empty."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser


class StrictMultiPartParser(MultiPartParser):
    """A multipart body with bytes but no parts (no boundary lines) is malformed: 400, not `{}`.

    DRF's parser reads such a body as an empty form, so a PATCH carrying garbage answered 200 as if
    nothing had been asked.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> DataAndFiles:
        result = super().parse(stream, media_type, parser_context)
        request = (parser_context or {}).get("request")
        length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if length and not result.data and not result.files:
            raise ParseError(_("Multipart body without any part."))
        return result

"""Request parsers for the API that refuse a body they cannot read instead of treating it as empty."""

from __future__ import annotations

import io
from typing import Any

from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser


class StrictMultiPartParser(MultiPartParser):
    """A multipart body that yields no field is either the empty form (just the closing delimiter)
    or malformed: the latter answers 400 instead of being read as `{}`.

    DRF's parser skips a part without headers, so a PATCH carrying garbage answered 200 as if
    nothing had been asked.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> DataAndFiles:
        body = stream.read() if stream is not None else b""
        result = super().parse(io.BytesIO(body), media_type, parser_context)
        if result.data or result.files or not body.strip():
            return result
        _kind, params = parse_header_parameters(media_type or "")
        boundary = params.get("boundary", "").encode("ascii", "replace")
        if body.strip() != b"--" + boundary + b"--":
            raise ParseError(_("Multipart body without any readable part."))
        return result

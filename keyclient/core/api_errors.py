"""The error answers of the API, for the OpenAPI schema (drf-spectacular `extend_schema`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_DETAIL = inline_serializer(name="ErrorDetail", fields={"detail": serializers.CharField()})

BAD_REQUEST = OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid filter or body: field → messages.")
FORBIDDEN = OpenApiResponse(
    ERROR_DETAIL, description="Not logged in, second factor pending, CSRF check failed, or the role may not."
)
NOT_FOUND = OpenApiResponse(
    ERROR_DETAIL, description="No such client (or not in the caller's scope), or no such page."
)
ID_ERRORS = {403: FORBIDDEN, 404: NOT_FOUND}
INPUT_ERRORS = {400: BAD_REQUEST, **ID_ERRORS}
TOO_MANY_SEARCHES = OpenApiResponse(
    ERROR_DETAIL,
    description="Over the caller's search limits: wait for Retry-After seconds, then search again.",
)

"""Production logs are JSON lines, and every handler masks personal numbers."""

from __future__ import annotations

import io
import json
import logging

from django.conf import settings

from keyclient.core.logjson import JsonFormatter
from keyclient.security.logfilter import RedactPersonalNumbers


def test_a_json_line_carries_the_redacted_message() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactPersonalNumbers())
    logger = logging.getLogger("keyclient.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("search for %s by %s", "13800001111", "rm1")
    finally:
        logger.removeHandler(handler)
    entry = json.loads(out.getvalue())
    assert (entry["level"], entry["logger"]) == ("WARNING", "keyclient.test.json")
    assert "13800001111" not in entry["message"] and entry["message"].endswith(" by rm1")
    assert set(entry) == {"time", "level", "logger", "message", "process"}


def test_every_log_handler_redacts() -> None:
    handlers = settings.LOGGING["handlers"]
    assert handlers and all("redact" in h.get("filters", []) for h in handlers.values())
    assert set(settings.LOGGING["formatters"]) == {"plain", "json"}

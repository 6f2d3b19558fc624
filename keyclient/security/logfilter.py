"""A logging filter that masks resident ID and mobile numbers in every log line.

Personal numbers can reach a log through a URL (a search for a full mobile number), an error
message or a library. The filter sits on every handler (see LOGGING in settings), so what is
written out never carries them, whatever the code that logged.
"""

from __future__ import annotations

import logging
import re

from keyclient.security.masking import mask_id_number, mask_phone

RESIDENT_ID = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def redact(text: str) -> str:
    text = RESIDENT_ID.sub(lambda m: mask_id_number(m.group(0)), text)
    return MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


class RedactPersonalNumbers(logging.Filter):
    """Rewrites the record's message with personal numbers masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True

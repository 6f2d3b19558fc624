"""Number formats for Simplified Chinese as banks print them: `1,234,567.80` (Django's own zh_Hans
formats group nothing). Only what differs from Django's module is set here (FORMAT_MODULE_PATH)."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

"""The `keyclient` console entry point: Django's management commands with our settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command, e.g. `keyclient migrate` or `keyclient demo generate`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyclient.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["keyclient", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()

"""`keyclient serve`: the production server (gunicorn with `keyclient.config.gunicorn`).

Collects the static files into STATIC_ROOT (hashed and compressed, WhiteNoise's manifest storage),
then replaces this process by gunicorn, so a signal to this process (Ctrl-C, systemd's stop)
reaches gunicorn's master directly."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Keyclient with gunicorn (collects the static files first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", help="host:port (default KEYCLIENT_BIND or 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, help="worker processes (default: from the cores)")
        parser.add_argument("--no-collectstatic", action="store_true", help="the static files are collected")

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "KEYCLIENT_STATIC_MANIFEST": "1"}
        if options["bind"]:
            env["KEYCLIENT_BIND"] = options["bind"]
        if options["workers"]:
            env["KEYCLIENT_WEB_WORKERS"] = str(options["workers"])
        if not options["no_collectstatic"]:
            # A fresh interpreter: this one's settings chose the storage before the variable was set.
            subprocess.run(
                [sys.executable, "-m", "keyclient.cli", "collectstatic", "--no-input", "-v", "0"],
                env=env,
                check=True,
            )
        argv = [sys.executable, "-m", "gunicorn", "--config", "python:keyclient.config.gunicorn"]
        self.stdout.write(f"serving on {env.get('KEYCLIENT_BIND', '127.0.0.1:8000')} (gunicorn)")
        self.stdout.flush()
        os.execve(sys.executable, argv, env)  # noqa: S606 (a fixed argv, no shell)

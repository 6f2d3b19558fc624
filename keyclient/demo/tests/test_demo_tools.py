"""The demo tools exist only outside production, and `demo code` prints only the demo's own devices."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from keyclient.audit.models import AccessEvent, BusinessEvent
from keyclient.demo.models import DemoAuthenticator
from keyclient.security.models import TOTPDevice

ROOT = Path(__file__).resolve().parents[3]


def run(tmp_path: Path, *argv: str, production: bool) -> subprocess.CompletedProcess:
    """`python ARGV` in a fresh process with our settings and the keys production requires."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("KEYCLIENT_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="keyclient.config.settings",
        KEYCLIENT_VAR_DIR=str(tmp_path),
        KEYCLIENT_SECRET_KEY="s" * 50,
        KEYCLIENT_AUDIT_KEY="a" * 50,
        KEYCLIENT_BLIND_INDEX_KEY="b" * 50,
        KEYCLIENT_FIELD_KEYS=base64.urlsafe_b64encode(b"k" * 32).decode(),
    )
    if production:
        env["KEYCLIENT_ENV"] = "production"
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


PROBE = "import django; django.setup(); from django.conf import settings; print('keyclient.demo' in settings.INSTALLED_APPS)"


def test_production_has_no_demo_app_and_no_demo_commands(tmp_path):
    production = run(tmp_path, "-c", PROBE, production=True)
    assert (production.returncode, production.stdout.strip()) == (0, "False"), production.stderr
    development = run(tmp_path / "dev", "-c", PROBE, production=False)
    assert (development.returncode, development.stdout.strip()) == (0, "True"), development.stderr

    for args in (("demo", "code", "E1001"), ("demo", "org", str(tmp_path)), ("demo", "logins")):
        result = run(tmp_path, "-m", "keyclient.cli", *args, production=True)
        assert result.returncode == 1, result
        assert "Unknown command: 'demo'" in result.stderr
        assert result.stdout == ""
    # Outside production the command is there.
    result = run(tmp_path / "dev", "-m", "keyclient.cli", "demo", "--help", production=False)
    assert (result.returncode, "code" in result.stdout) == (0, True), result.stderr


@pytest.fixture
def users(db):  # type: ignore[no-untyped-def]
    from tests.personas import build_bank

    bank = build_bank()
    now = timezone.now()
    demo_device = TOTPDevice.objects.create(
        user=bank.user("rm_hd"), secret=pyotp.random_base32(32), confirmed_at=now
    )
    DemoAuthenticator.objects.create(device=demo_device)
    TOTPDevice.objects.create(user=bank.user("admin"), secret=pyotp.random_base32(32), confirmed_at=now)
    return bank


def test_demo_code_refuses_a_device_the_demo_did_not_enrol(users):
    admin = users.user("admin")
    out = io.StringIO()
    with pytest.raises(CommandError, match=f"{admin.username} has no demo authenticator"):
        call_command("demo", "code", admin.username, stdout=out)
    assert out.getvalue() == ""
    assert not BusinessEvent.objects.exists()
    assert not AccessEvent.objects.exists()
    assert TOTPDevice.objects.get(user=admin).last_used_step is None


def test_demo_code_prints_the_demo_devices_code_and_records_it(users):
    rm = users.user("rm_hd")
    out = io.StringIO()
    call_command("demo", "code", rm.username, stdout=out)
    device = TOTPDevice.objects.get(user=rm)
    totp, now = pyotp.TOTP(device.secret), timezone.now()
    assert out.getvalue().strip() in {totp.at(now), totp.at(now, counter_offset=-1)}
    event = BusinessEvent.objects.get()
    assert (event.verb, event.actor_name, event.after, event.customer_id) == (
        "demo_code_shown",
        "job:demo.code",
        {"user": rm.username},
        None,
    )

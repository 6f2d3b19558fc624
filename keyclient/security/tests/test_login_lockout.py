"""Lockout after failed logins: per staff number (5 in 15 minutes) and per address (20), at the boundary."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from django.conf import settings
from django.utils import timezone

from keyclient.audit.models import BusinessEvent
from keyclient.security import lockout
from keyclient.security.models import LoginAttempt, LoginOutcome, TOTPDevice
from keyclient.security.tests import password_fixtures
from tests.personas import PASSWORD

# Fast password hashing and the re-hashed persona bank for this module (see password_fixtures).
bank = password_fixtures.bank
fast_hashing = password_fixtures.fast_hashing

LOCKED = "Too many failed attempts: logging in with this staff number or from this address is locked."
WRONG = "Staff number or password is wrong, or the account is locked."


def post_login(client, username: str, password: str, ip: str = "10.1.1.1"):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def complete_login(client, user, ip: str = "10.1.1.1"):  # type: ignore[no-untyped-def]
    """The password step, then the code step (every role logs in with a second factor)."""
    secret = pyotp.random_base32(32)
    TOTPDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": timezone.now(), "last_used_step": None}
    )
    response = post_login(client, user.username, PASSWORD, ip=ip)
    if response.status_code != 302 or not response.url.startswith("/login/verify/"):
        return response
    return client.post(response.url, {"code": pyotp.TOTP(secret).now()}, REMOTE_ADDR=ip)


def login_error(body: str) -> str:
    match = re.search(r'<p class="error" role="alert" data-testid="login-error">(.*?)</p>', body)
    assert match is not None, "no login error shown"
    return match.group(1)


def logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return "_auth_user_id" in client.session


def outcomes(**filters: str) -> list[str]:
    return list(LoginAttempt.objects.filter(**filters).order_by("at", "pk").values_list("outcome", flat=True))


def travel(minutes: int) -> None:
    """Move every recorded attempt (and the locks they started) `minutes` into the past."""
    for attempt in LoginAttempt.objects.all():
        attempt.at -= dt.timedelta(minutes=minutes)
        if attempt.user_locked_until:
            attempt.user_locked_until -= dt.timedelta(minutes=minutes)
        if attempt.ip_locked_until:
            attempt.ip_locked_until -= dt.timedelta(minutes=minutes)
        attempt.save()


def test_settings_are_the_documented_limits():
    assert settings.KEYCLIENT_LOCKOUT_USER_FAILURES == 5
    assert settings.KEYCLIENT_LOCKOUT_IP_FAILURES == 20
    assert settings.KEYCLIENT_LOCKOUT_WINDOW_MINUTES == 15
    assert settings.KEYCLIENT_LOCKOUT_MINUTES == 15


def test_four_failures_then_the_right_password_logs_in(bank, english):
    admin = bank.user("admin")
    for _ in range(4):
        response = post_login(english, admin.username, "wrong-password-123")
        assert response.status_code == 200
        assert WRONG in response.content.decode()
        assert LOCKED not in response.content.decode()
    response = complete_login(english, admin)
    assert response.status_code == 302
    assert response.url == "/clients/"
    assert logged_in(english)
    assert outcomes(username=admin.username) == ["wrong_password"] * 4 + ["password_ok", "succeeded"]
    assert LoginAttempt.objects.filter(succeeded=True).count() == 1
    assert not BusinessEvent.objects.filter(verb="login_locked").exists()


def test_fifth_failure_locks_and_the_right_password_is_refused(bank, english):
    admin = bank.user("admin")
    for _ in range(4):
        post_login(english, admin.username, "wrong-password-123")
    response = post_login(english, admin.username, "wrong-password-123")
    body = response.content.decode()
    assert response.status_code == 200
    assert LOCKED in body
    assert "Try again in 15 minutes." in body

    fifth = LoginAttempt.objects.order_by("-at", "-pk").first()
    assert fifth.outcome == LoginOutcome.WRONG_PASSWORD
    assert fifth.user_locked_until == fifth.at + dt.timedelta(minutes=15)
    assert fifth.ip_locked_until is None
    event = BusinessEvent.objects.get(verb="login_locked")
    assert event.actor_id is None
    assert event.actor_name == "job:security.lockout"
    assert event.after == {
        "scope": "user",
        "username": admin.username,
        "ip": "10.1.1.1",
        "failures": 5,
        "until": fifth.user_locked_until.isoformat(),
    }

    # Locked: the right password is refused, recorded as refused, and nothing else is written.
    response = post_login(english, admin.username, PASSWORD)
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert not logged_in(english)
    assert outcomes(username=admin.username) == ["wrong_password"] * 5 + ["refused"]
    assert BusinessEvent.objects.filter(verb="login_locked").count() == 1
    # Another address does not help: the staff number itself is locked.
    response = post_login(english, admin.username, PASSWORD, ip="10.9.9.9")
    assert LOCKED in response.content.decode()
    assert not logged_in(english)


def test_the_lock_ends_after_the_lockout_minutes(bank, english):
    admin = bank.user("admin")
    for _ in range(5):
        post_login(english, admin.username, "wrong-password-123")
    travel(14)
    assert LOCKED in post_login(english, admin.username, PASSWORD).content.decode()
    assert not logged_in(english)
    travel(2)  # 16 minutes after the lock started
    response = complete_login(english, admin)
    assert (response.status_code, response.url) == (302, "/clients/")
    assert logged_in(english)
    assert outcomes(username=admin.username) == ["wrong_password"] * 5 + [
        "refused",
        "password_ok",
        "succeeded",
    ]


def test_after_a_lock_ends_the_count_starts_again(bank, english):
    admin = bank.user("admin")
    for _ in range(5):
        post_login(english, admin.username, "wrong-password-123")
    travel(16)
    for _ in range(4):
        response = post_login(english, admin.username, "wrong-password-123")
        assert LOCKED not in response.content.decode()
    assert LOCKED in post_login(english, admin.username, "wrong-password-123").content.decode()
    assert BusinessEvent.objects.filter(verb="login_locked").count() == 2


def test_failures_older_than_the_window_do_not_count(bank, english):
    admin = bank.user("admin")
    for _ in range(4):
        post_login(english, admin.username, "wrong-password-123")
    travel(16)
    for _ in range(4):
        assert LOCKED not in post_login(english, admin.username, "wrong-password-123").content.decode()
    assert post_login(english, admin.username, PASSWORD).status_code == 302
    assert not BusinessEvent.objects.filter(verb="login_locked").exists()


def test_a_login_resets_the_count_but_keeps_the_history(bank, english, client):
    admin = bank.user("admin")
    for _ in range(4):
        post_login(english, admin.username, "wrong-password-123")
    assert complete_login(english, admin).url == "/clients/"
    english.post("/logout/")
    for _ in range(4):
        assert LOCKED not in post_login(english, admin.username, "wrong-password-123").content.decode()
    assert LOCKED in post_login(english, admin.username, "wrong-password-123").content.decode()
    assert outcomes(username=admin.username) == (
        ["wrong_password"] * 4 + ["password_ok", "succeeded"] + ["wrong_password"] * 5
    )


def test_an_unknown_staff_number_locks_the_same_way(bank, english):
    """The lock says nothing about whether the staff number exists."""
    known, unknown = bank.user("admin").username, "E9999"
    bodies = {}
    for username in (known, unknown):
        for _ in range(5):
            response = post_login(english, username, "wrong-password-123")
        bodies[username] = response.content.decode()
    assert LOCKED in bodies[known]
    assert login_error(bodies[known]) == login_error(bodies[unknown])
    assert BusinessEvent.objects.filter(verb="login_locked").count() == 2


def test_the_lock_message_is_chinese_by_default(bank, client):
    for _ in range(5):
        response = post_login(client, "E9999", "wrong-password-123")
    body = response.content.decode()
    from django.utils import translation

    with translation.override("zh-hans"):
        expected = str(
            translation.gettext(
                "Too many failed attempts: logging in with this staff number or from this address is "
                "locked. Try again in %(minutes)s minutes."
            )
            % {"minutes": 15}
        )
    assert re.search(r"[\u4e00-\u9fff]", expected), "the lock message has no Chinese translation"
    assert expected in body
    assert '<html lang="zh-hans">' in body


def test_twenty_failures_from_one_address_lock_the_address(bank, english):
    rm = bank.user("rm_hd")
    for number in range(19):  # five staff numbers, none reaching its own limit
        response = post_login(english, f"E90{number % 5}", "wrong-password-123", ip="10.2.2.2")
        assert LOCKED not in response.content.decode(), number
    assert not BusinessEvent.objects.filter(verb="login_locked").exists()

    response = post_login(english, "E909", "wrong-password-123", ip="10.2.2.2")
    assert LOCKED in response.content.decode()
    twentieth = LoginAttempt.objects.order_by("-at", "-pk").first()
    assert twentieth.ip_locked_until == twentieth.at + dt.timedelta(minutes=15)
    assert twentieth.user_locked_until is None
    event = BusinessEvent.objects.get(verb="login_locked")
    assert event.after["scope"] == "ip"
    assert event.after["ip"] == "10.2.2.2"
    assert event.after["failures"] == 20

    # A valid staff number with its right password is refused from that address ...
    response = post_login(english, rm.username, PASSWORD, ip="10.2.2.2")
    assert LOCKED in response.content.decode()
    assert not logged_in(english)
    assert LoginAttempt.objects.filter(username=rm.username).get().outcome == LoginOutcome.REFUSED
    # ... and accepted from another one.
    response = post_login(english, rm.username, PASSWORD, ip="10.3.3.3")
    assert response.status_code == 302
    assert logged_in(english)

    travel(16)
    english.post("/logout/")
    response = post_login(english, rm.username, PASSWORD, ip="10.2.2.2")
    assert response.status_code == 302


def test_a_login_does_not_reset_the_address_count(bank, english):
    """One valid account must not let an address keep guessing at others."""
    admin = bank.user("admin")
    for number in range(19):
        post_login(english, f"E90{number % 5}", "wrong-password-123", ip="10.2.2.2")
    assert post_login(english, admin.username, PASSWORD, ip="10.2.2.2").status_code == 302
    english.post("/logout/")
    assert LOCKED in post_login(english, "E909", "wrong-password-123", ip="10.2.2.2").content.decode()


def test_standing_costs_two_queries(bank, django_assert_num_queries):
    now = timezone.now()
    LoginAttempt.objects.bulk_create(
        LoginAttempt(
            username="E1001",
            ip="10.4.4.4",
            at=now - dt.timedelta(seconds=n),
            outcome=LoginOutcome.WRONG_PASSWORD,
        )
        for n in range(3)
    )
    with django_assert_num_queries(2):
        state = lockout.standing("E1001", "10.4.4.4")
    assert (state.user_failures, state.ip_failures, state.lock) == (3, 3, None)


def test_refused_attempts_do_not_extend_the_lock(bank, english):
    admin = bank.user("admin")
    for _ in range(5):
        post_login(english, admin.username, "wrong-password-123")
    until = LoginAttempt.objects.order_by("-at", "-pk").first().user_locked_until
    for _ in range(3):
        post_login(english, admin.username, "wrong-password-123")
    state = lockout.standing(admin.username, "10.1.1.1")
    assert state.lock is not None
    assert state.lock.scope == "user"
    assert state.lock.until == until
    assert outcomes(username=admin.username).count("refused") == 3

"""Two-factor login with TOTP: who needs it, enrolment, the code step, reuse and wrong codes."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from keyclient.audit.models import BusinessEvent
from keyclient.security import totp
from keyclient.security.models import LoginAttempt, LoginOutcome, TOTPDevice
from keyclient.security.roles import Role, requires_two_factor
from keyclient.security.tests import password_fixtures
from tests.personas import PASSWORD

# Fast password hashing and the re-hashed persona bank for this module (see password_fixtures).
bank = password_fixtures.bank
fast_hashing = password_fixtures.fast_hashing

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def now_code(secret: str) -> str:
    return code_at(secret, totp.current_step())


def give_device(user, secret: str = SECRET) -> TOTPDevice:  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())


def password_step(client, user, next_url: str = ""):  # type: ignore[no-untyped-def]
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def verified(client, user) -> bool:  # type: ignore[no-untyped-def]
    return client.session.get(totp.SESSION_KEY) == str(user.pk)


# -- who needs a second factor ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "needed"),
    [
        (Role.RELATIONSHIP_MANAGER, True),
        (Role.TEAM_LEAD, True),
        (Role.BRANCH_HEAD, True),
        (Role.HEAD_OFFICE, True),
        (Role.RISK_OFFICER, True),
        (Role.COMPLIANCE, True),
        (Role.ADMINISTRATOR, True),
    ],
)
def test_roles_that_unmask_export_or_configure_need_two_factor(role, needed):
    from django.contrib.auth import get_user_model

    User = get_user_model()

    assert requires_two_factor(User(username="x", role=role)) is needed


def test_anonymous_needs_no_second_factor():
    from django.contrib.auth.models import AnonymousUser

    assert requires_two_factor(AnonymousUser()) is False
    assert requires_two_factor(None) is False


# -- enrolment ---------------------------------------------------------------------------------


def test_first_login_leads_to_enrolment_and_a_code_confirms_it(bank, english):
    rm = bank.user("rm_hd")
    response = password_step(english, rm)
    assert response.status_code == 302
    assert response.url == "/login/enrol/?next=%2Fclients%2F"
    assert "_auth_user_id" in english.session and not verified(english, rm)
    assert list(LoginAttempt.objects.values_list("outcome", "succeeded")) == [
        (LoginOutcome.PASSWORD_OK, False)
    ]

    page = english.get(response.url)
    assert page.status_code == 200
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=rm)
    assert device.confirmed_at is None
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)</code>', body).group(1)
    assert shown.replace(" ", "") == device.secret
    assert len(device.secret) == 32
    assert '<svg width="' in body and 'class="segno"' in body  # the QR code, inline
    assert "http" not in body.split('data-testid="totp-qr">')[1].split("</div>")[0]
    # A reload shows the same secret (the QR code scanned before still fits).
    english.get(response.url)
    assert TOTPDevice.objects.get(user=rm).secret == device.secret

    # A wrong code: refused, nothing confirmed, no event, counted as a failed attempt.
    wrong = f"{(int(now_code(device.secret)) + 1) % 1_000_000:06d}"
    response = english.post("/login/enrol/", {"code": wrong, "next": "/clients/"})
    assert response.status_code == 200
    assert "The code is wrong." in response.content.decode()
    assert TOTPDevice.objects.get(user=rm).confirmed_at is None
    assert not BusinessEvent.objects.filter(verb="two_factor_enrolled").exists()
    assert not verified(english, rm)
    assert LoginAttempt.objects.filter(outcome=LoginOutcome.WRONG_CODE).count() == 1

    response = english.post("/login/enrol/", {"code": now_code(device.secret), "next": "/clients/"})
    assert response.status_code == 302
    assert response.url == "/clients/"
    device.refresh_from_db()
    assert device.confirmed_at is not None
    assert device.last_used_step in {totp.current_step(), totp.current_step() - 1}
    assert verified(english, rm)
    event = BusinessEvent.objects.get(verb="two_factor_enrolled")
    assert (event.actor_id, event.actor_name) == (rm.pk, rm.username)
    assert event.after == {"user": rm.username, "method": "totp"}
    assert english.get("/clients/").status_code == 200
    assert (
        LoginAttempt.objects.filter(username=rm.username).order_by("at", "pk").last().outcome == "succeeded"
    )


def test_the_secret_is_encrypted_at_rest(bank):
    device = give_device(bank.user("rm_hd"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM security_totpdevice WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
    assert SECRET not in stored
    assert TOTPDevice.objects.get(pk=device.pk).secret == SECRET


def test_a_malformed_code_is_refused_without_counting(bank, english):
    rm = bank.user("rm_hd")
    password_step(english, rm)
    english.get("/login/enrol/")
    response = english.post("/login/enrol/", {"code": "12ab56"})
    assert response.status_code == 200
    assert "Enter the 6-digit code shown by your authenticator app." in response.content.decode()
    assert not LoginAttempt.objects.filter(outcome=LoginOutcome.WRONG_CODE).exists()
    assert TOTPDevice.objects.get(user=rm).confirmed_at is None


def test_enrolment_page_sends_an_enrolled_user_to_the_code_step(bank, english):
    rm = bank.user("rm_hd")
    give_device(rm)
    password_step(english, rm)
    response = english.get("/login/enrol/")
    assert response.status_code == 302
    assert response.url == "/login/verify/?next=%2Fclients%2F"
    assert TOTPDevice.objects.filter(user=rm).count() == 1


# -- the code step -----------------------------------------------------------------------------


def test_login_with_a_code_then_the_same_code_is_refused(bank, english):
    rm = bank.user("rm_hd")
    give_device(rm)
    response = password_step(english, rm, next_url="/clients/?tier=gold")
    assert response.status_code == 302
    assert response.url == "/login/verify/?next=%2Fclients%2F%3Ftier%3Dgold"
    assert english.get("/clients/").url == "/login/verify/?next=%2Fclients%2F"

    code = now_code(SECRET)
    response = english.post("/login/verify/", {"code": code, "next": "/clients/?tier=gold"})
    assert response.status_code == 302
    assert response.url == "/clients/?tier=gold"
    assert verified(english, rm)
    assert english.get("/clients/").status_code == 200

    english.post("/logout/")
    password_step(english, rm)
    attempts_before = LoginAttempt.objects.count()
    response = english.post("/login/verify/", {"code": code})
    assert response.status_code == 200
    assert "This code was used already." in response.content.decode()
    assert not verified(english, rm)
    assert LoginAttempt.objects.count() == attempts_before + 1
    assert LoginAttempt.objects.order_by("at", "pk").last().outcome == LoginOutcome.WRONG_CODE
    assert english.get("/clients/").status_code == 302


def test_a_wrong_code_is_refused(bank, english):
    rm = bank.user("rm_hd")
    device = give_device(rm)
    password_step(english, rm)
    wrong = f"{(int(now_code(SECRET)) + 500_000) % 1_000_000:06d}"
    response = english.post("/login/verify/", {"code": wrong})
    assert response.status_code == 200
    assert "The code is wrong." in response.content.decode()
    assert not verified(english, rm)
    device.refresh_from_db()
    assert device.last_used_step is None
    assert not BusinessEvent.objects.exists()


def test_the_code_step_after_a_wrong_code_keeps_the_next_url(bank, english):
    rm = bank.user("rm_hd")
    give_device(rm)
    password_step(english, rm)
    response = english.post("/login/verify/?next=/clients/", {"code": "000000", "next": "/clients/"})
    assert 'name="next" value="/clients/"' in response.content.decode()


def test_an_outside_next_url_is_ignored(bank, english):
    rm = bank.user("rm_hd")
    give_device(rm)
    password_step(english, rm)
    response = english.post("/login/verify/", {"code": now_code(SECRET), "next": "https://evil.example/"})
    assert response.url == "/clients/"


def test_five_wrong_codes_lock_the_staff_number_and_end_the_session(bank, english):
    rm = bank.user("rm_hd")
    give_device(rm)
    password_step(english, rm)
    for _ in range(4):
        response = english.post("/login/verify/", {"code": "000000"})
        assert response.status_code == 200
    response = english.post("/login/verify/", {"code": "000000"}, follow=True)
    assert response.redirect_chain == [("/login/", 302)]
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in english.session
    assert BusinessEvent.objects.filter(verb="login_locked").count() == 1
    # The right password is now refused too.
    response = password_step(english, rm)
    assert response.status_code == 200
    assert "_auth_user_id" not in english.session


def test_the_password_step_does_not_reset_the_count_of_wrong_codes(bank, english):
    """Someone with the password must not get endless code guesses by logging in again."""
    rm = bank.user("rm_hd")
    give_device(rm)
    password_step(english, rm)
    for _ in range(4):
        english.post("/login/verify/", {"code": "000000"})
    english.post("/logout/")
    password_step(english, rm)
    response = english.post("/login/verify/", {"code": "000000"}, follow=True)
    assert response.redirect_chain == [("/login/", 302)]
    assert BusinessEvent.objects.filter(verb="login_locked").count() == 1


def test_the_password_step_never_inherits_a_verified_mark(bank, english):
    """login() keeps the data of an anonymous session: a planted mark must not survive it."""
    rm = bank.user("rm_hd")
    give_device(rm)
    session = english.session
    totp.mark_verified(session, rm)
    session.save()
    english.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    response = password_step(english, rm)
    assert response.url == "/login/verify/?next=%2Fclients%2F"
    assert "_auth_user_id" in english.session
    assert not verified(english, rm)


def test_a_logged_in_user_on_the_login_page_is_sent_on(bank, english):
    rm = bank.user("rm_hd")
    give_device(rm)
    password_step(english, rm)
    english.post("/login/verify/", {"code": now_code(SECRET)})
    attempts = LoginAttempt.objects.count()
    response = password_step(english, rm)
    assert response.status_code == 302
    assert response.url == "/clients/"
    assert verified(english, rm)
    assert LoginAttempt.objects.count() == attempts


def test_verification_rotates_the_session_key(bank, english):
    rm = bank.user("rm_hd")
    give_device(rm)
    password_step(english, rm)
    before = english.session.session_key
    english.post("/login/verify/", {"code": now_code(SECRET)})
    assert english.session.session_key != before


def test_an_administrator_is_held_on_the_enrolment_step(bank, english):
    admin = bank.user("admin")
    response = password_step(english, admin)
    assert (response.status_code, response.url) == (302, "/login/enrol/?next=%2Fclients%2F")
    assert list(LoginAttempt.objects.values_list("outcome", "succeeded")) == [
        (LoginOutcome.PASSWORD_OK, False)
    ]
    assert english.get("/clients/").url == "/login/enrol/?next=%2Fclients%2F"
    assert not verified(english, admin)


# -- the code check itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "result"), [(-2, "wrong"), (-1, "ok"), (0, "ok"), (1, "ok"), (2, "wrong")]
)
def test_one_step_of_clock_drift_is_accepted(bank, offset, result):
    device = give_device(bank.user("rm_hd"))
    now = timezone.now()
    step = totp.current_step(now)
    assert totp.check_code(device=device, code=code_at(SECRET, step + offset), now=now).value == result


def test_a_later_code_is_accepted_an_earlier_one_is_not(bank):
    device = give_device(bank.user("rm_hd"))
    now = timezone.now()
    step = totp.current_step(now)
    assert totp.check_code(device=device, code=code_at(SECRET, step + 1), now=now) is totp.CodeCheck.OK
    assert totp.check_code(device=device, code=code_at(SECRET, step), now=now) is totp.CodeCheck.REUSED
    later = now + dt.timedelta(seconds=60)
    assert totp.check_code(device=device, code=code_at(SECRET, step + 2), now=later) is totp.CodeCheck.OK
    device.refresh_from_db()
    assert device.last_used_step == step + 2


def test_codes_with_spaces_are_accepted(bank):
    device = give_device(bank.user("rm_hd"))
    code = now_code(SECRET)
    assert totp.check_code(device=device, code=f" {code[:3]} {code[3:]} ") is totp.CodeCheck.OK


def test_the_qr_code_is_an_svg_without_external_resources(bank):
    device = give_device(bank.user("rm_hd"))
    uri = totp.provisioning_uri(device, bank.user("rm_hd"))
    assert uri == f"otpauth://totp/Keyclient:E1001?secret={SECRET}&issuer=Keyclient"
    svg = totp.qr_svg(uri, title="QR")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<title>QR</title>" in svg
    assert "href" not in svg and "<script" not in svg

"""Administrators log in with a second factor; a lost authenticator is reset by a request with a reason
and a second administrator's approval, both audited."""

from __future__ import annotations

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from keyclient.audit.models import BusinessEvent
from keyclient.org.models import User
from keyclient.security.models import ResetStatus, TOTPDevice, TwoFactorReset
from keyclient.security.recovery import (
    ResetRefused,
    approve_two_factor_reset,
    reject_two_factor_reset,
    request_two_factor_reset,
)
from keyclient.security.roles import Role, requires_two_factor
from keyclient.security.tests import password_fixtures
from tests.personas import PASSWORD

bank = password_fixtures.bank
fast_hashing = password_fixtures.fast_hashing

REASON = "Phone lost on 2026-12-06; identity checked in person by the branch"


@pytest.fixture
def second_admin(bank):  # type: ignore[no-untyped-def]
    admin = bank.user("admin")
    return User.objects.create_user(
        username="E1099",
        password=PASSWORD,
        display_name="第二管理员",
        role=Role.ADMINISTRATOR,
        org_unit=admin.org_unit,
    )


@pytest.fixture
def rm_device(bank):  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(
        user=bank.user("rm_hd"), secret=pyotp.random_base32(32), confirmed_at=timezone.now()
    )


def events() -> list[tuple[str, str, dict, dict]]:
    return [
        (e.verb, e.actor_name, e.before, e.after)
        for e in BusinessEvent.objects.filter(verb__startswith="two_factor_reset").order_by("pk")
    ]


def test_roles_that_change_users_policies_or_keys_need_a_second_factor(bank):
    assert requires_two_factor(bank.user("admin")) is True
    assert requires_two_factor(bank.user("head_office")) is True
    assert {role for role in Role.values if requires_two_factor(User(role=role))} == set(Role.values)


def test_admin_login_without_totp_cannot_reach_the_policy_page(bank, english):
    admin = bank.user("admin")
    response = english.post("/login/", {"username": admin.username, "password": PASSWORD})
    assert (response.status_code, response.url) == (302, "/login/enrol/?next=%2Fclients%2F")
    policy = reverse("valuation:policy")
    response = english.get(policy)
    assert (response.status_code, response.url) == (302, f"/login/enrol/?next={policy.replace('/', '%2F')}")
    assert english.get("/api/customers/").status_code == 403
    assert english.get(reverse("two_factor_resets")).status_code == 302

    # With an authenticator: the code step, and only after it the policy page.
    english.post("/logout/")
    secret = pyotp.random_base32(32)
    TOTPDevice.objects.create(user=admin, secret=secret, confirmed_at=timezone.now())
    response = english.post("/login/", {"username": admin.username, "password": PASSWORD})
    assert response.url.startswith("/login/verify/")
    assert english.get(policy).url.startswith("/login/verify/")
    response = english.post("/login/verify/", {"code": pyotp.TOTP(secret).now(), "next": policy})
    assert (response.status_code, response.url) == (302, policy)
    assert english.get(policy).status_code == 200


def test_the_reset_takes_a_request_and_a_second_administrators_approval(bank, second_admin, rm_device):
    admin, rm = bank.user("admin"), bank.user("rm_hd")
    reset = request_two_factor_reset(actor=admin, user=rm, reason=f"  {REASON}  ")
    assert (reset.status, reset.reason, reset.requested_by, reset.decided_by) == (
        ResetStatus.PENDING,
        REASON,
        admin,
        None,
    )
    requested = (
        "two_factor_reset_requested",
        admin.username,
        {},
        {"reset": reset.pk, "user": rm.username, "reason": REASON},
    )
    assert events() == [requested]

    # The requester cannot approve (or reject) their own request; the user concerned cannot either.
    for actor, verb in (
        (admin, approve_two_factor_reset),
        (admin, reject_two_factor_reset),
        (rm, approve_two_factor_reset),
    ):
        with pytest.raises(ResetRefused):
            verb(actor=actor, reset=reset)
    assert TOTPDevice.objects.filter(pk=rm_device.pk).exists()
    assert TwoFactorReset.objects.get().status == ResetStatus.PENDING
    assert events() == [requested]

    approve_two_factor_reset(actor=second_admin, reset=reset)
    assert not TOTPDevice.objects.filter(user=rm).exists()
    done = TwoFactorReset.objects.get()
    assert (done.status, done.decided_by, done.decided_at is not None) == (
        ResetStatus.APPROVED,
        second_admin,
        True,
    )
    assert events() == [
        requested,
        (
            "two_factor_reset_approved",
            second_admin.username,
            {"device": True},
            {"reset": reset.pk, "user": rm.username, "requested_by": admin.username, "device": False},
        ),
    ]
    # Decided once only.
    with pytest.raises(ResetRefused, match="decided already"):
        reject_two_factor_reset(actor=second_admin, reset=reset)


def test_after_the_reset_the_user_enrols_again_at_login(bank, second_admin, rm_device, english):
    rm = bank.user("rm_hd")
    reset = request_two_factor_reset(actor=bank.user("admin"), user=rm, reason=REASON)
    approve_two_factor_reset(actor=second_admin, reset=reset)
    response = english.post("/login/", {"username": rm.username, "password": PASSWORD})
    assert response.url.startswith("/login/enrol/")


@pytest.mark.parametrize(
    ("who", "whom", "reason", "message"),
    [
        ("rm_hd", "lead_hd", REASON, "Only administrators"),
        ("admin", "admin", REASON, "your own authenticator"),
        ("admin", "rm_hd", "a.b.", "at least 4 letters or digits"),
        ("admin", "lead_hd", REASON, "has no authenticator"),
    ],
)
def test_a_refused_request_writes_nothing(bank, rm_device, who, whom, reason, message):
    TOTPDevice.objects.create(
        user=bank.user("admin"), secret=pyotp.random_base32(32), confirmed_at=timezone.now()
    )
    with pytest.raises(ResetRefused, match=message):
        request_two_factor_reset(actor=bank.user(who), user=bank.user(whom), reason=reason)
    assert not TwoFactorReset.objects.exists()
    assert events() == []


def test_a_second_pending_request_for_one_user_is_refused(bank, second_admin, rm_device):
    rm = bank.user("rm_hd")
    request_two_factor_reset(actor=bank.user("admin"), user=rm, reason=REASON)
    with pytest.raises(ResetRefused, match="awaits a decision already"):
        request_two_factor_reset(actor=second_admin, user=rm, reason=REASON)
    assert TwoFactorReset.objects.count() == 1
    assert len(events()) == 1


def test_the_reset_page(bank, second_admin, rm_device, login, client):
    # Fresh from the database: the fast hasher re-hashed the passwords (the session keeps their hash).
    admin, rm = User.objects.get(username="E1010"), User.objects.get(username="E1001")
    second_admin.refresh_from_db()
    url = reverse("two_factor_resets")
    client.cookies["django_language"] = "en"
    assert login(rm).get(url).status_code == 403
    assert not TwoFactorReset.objects.exists()

    page = login(admin)
    assert 'href="/security/two-factor-resets/"' in page.get(url).content.decode()
    response = page.post(url, {"username": rm.username, "reason": REASON})
    assert (response.status_code, response.url) == (302, url)
    reset = TwoFactorReset.objects.get()
    body = page.get(url).content.decode()
    assert "Another administrator decides." in body
    assert reverse("two_factor_reset_approve", args=[reset.pk]) not in body

    # Self-approval through the page: refused with a message, nothing changed.
    response = page.post(reverse("two_factor_reset_approve", args=[reset.pk]), follow=True)
    assert "You made this request: a second administrator decides it." in response.content.decode()
    assert TwoFactorReset.objects.get().status == ResetStatus.PENDING
    assert TOTPDevice.objects.filter(user=rm).exists()

    second = login(second_admin)
    assert reverse("two_factor_reset_approve", args=[reset.pk]) in second.get(url).content.decode()
    response = second.post(reverse("two_factor_reset_approve", args=[reset.pk]), follow=True)
    assert f"Authenticator of {rm.username} removed" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=rm).exists()
    assert [verb for verb, *_rest in events()] == ["two_factor_reset_requested", "two_factor_reset_approved"]


def test_an_unknown_staff_number_is_a_form_error(bank, login, client):
    client.cookies["django_language"] = "en"
    response = login(User.objects.get(username="E1010")).post(
        reverse("two_factor_resets"), {"username": "E0000", "reason": REASON}
    )
    assert response.status_code == 400
    assert "No staff member has this staff number." in response.content.decode()
    assert not TwoFactorReset.objects.exists()

"""The real client address behind a trusted proxy: X-Forwarded-For is read only from a trusted peer,
and the lockout and the audit trail both use it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from keyclient.audit.models import AccessEvent, BusinessEvent
from keyclient.audit.services import record_access
from keyclient.security.models import LoginAttempt, LoginOutcome
from keyclient.security.network import client_ip
from keyclient.security.tests import password_fixtures
from tests.personas import PASSWORD

bank = password_fixtures.bank
fast_hashing = password_fixtures.fast_hashing

PROXY = "10.0.0.5"
LOCKED = "Too many failed attempts: logging in with this staff number or from this address is locked."


@pytest.fixture
def behind_proxy(settings):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_TRUSTED_PROXIES = [PROXY, "192.168.50.0/24"]
    return settings


def request(remote_addr: str, forwarded_for: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.KEYCLIENT_TRUSTED_PROXIES = []
    assert client_ip(request(PROXY, "203.0.113.7")) == PROXY
    assert client_ip(None) == ""


def test_the_trusted_proxy_gives_the_clients_address(behind_proxy):
    assert client_ip(request(PROXY, "203.0.113.7")) == "203.0.113.7"
    # Two trusted hops: the first untrusted address from the right is the client.
    assert client_ip(request(PROXY, "203.0.113.7, 192.168.50.9")) == "203.0.113.7"
    # An address with a port, and an IPv6 client.
    assert client_ip(request(PROXY, "203.0.113.7:51234")) == "203.0.113.7"
    assert client_ip(request(PROXY, "[2001:db8::7]:443")) == "2001:db8::7"
    # A trusted peer without the header is itself the client.
    assert client_ip(request(PROXY)) == PROXY


def test_a_client_cannot_spoof_through_the_proxy(behind_proxy):
    """Whatever the client wrote in the header before the proxy appended its address is not used."""
    assert client_ip(request(PROXY, "1.1.1.1, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(request(PROXY, "1.1.1.1, 192.168.50.9, 203.0.113.7")) == "203.0.113.7"
    # Garbage in the chain stops the walk at the last address the proxy vouched for.
    assert client_ip(request(PROXY, "1.1.1.1, not-an-ip")) == PROXY


def test_an_untrusted_peer_cannot_spoof_its_address(behind_proxy):
    assert client_ip(request("198.51.100.9", "203.0.113.7")) == "198.51.100.9"
    # Naming a trusted proxy in the header does not make the peer one.
    assert client_ip(request("198.51.100.9", f"203.0.113.7, {PROXY}")) == "198.51.100.9"


def test_a_bad_trusted_proxy_entry_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.KEYCLIENT_TRUSTED_PROXIES = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match=r"10\.0\.0\.0/33"):
        client_ip(request(PROXY, "203.0.113.7"))


def post_login(client, username: str, password: str, *, peer: str, forwarded_for: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_lockout_of_one_client_does_not_lock_another_behind_the_proxy(bank, english, behind_proxy):
    rm = bank.user("rm_hd")
    for number in range(20):
        post_login(english, f"E90{number % 5}", "wrong-password-123", peer=PROXY, forwarded_for="203.0.113.7")
    event = BusinessEvent.objects.get(verb="login_locked")
    assert (event.after["scope"], event.after["ip"], event.after["failures"]) == ("ip", "203.0.113.7", 20)
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"203.0.113.7"}

    # The locked client is refused even with the right password ...
    response = post_login(english, rm.username, PASSWORD, peer=PROXY, forwarded_for="203.0.113.7")
    assert LOCKED in response.content.decode()
    assert LoginAttempt.objects.filter(username=rm.username).get().outcome == LoginOutcome.REFUSED
    # ... while another client behind the same proxy logs in.
    response = post_login(english, rm.username, PASSWORD, peer=PROXY, forwarded_for="198.51.100.20")
    assert response.status_code == 302
    assert LoginAttempt.objects.filter(username=rm.username, ip="198.51.100.20").get().outcome == (
        LoginOutcome.PASSWORD_OK
    )


def test_a_spoofing_peer_is_locked_by_its_own_address(bank, english, behind_proxy):
    """A client connecting directly cannot rotate X-Forwarded-For to escape the address lock."""
    for number in range(20):
        post_login(
            english,
            f"E90{number % 5}",
            "wrong-password-123",
            peer="198.51.100.9",
            forwarded_for=f"203.0.113.{number}",
        )
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"198.51.100.9"}
    assert BusinessEvent.objects.get(verb="login_locked").after["ip"] == "198.51.100.9"


def test_the_audit_trail_records_the_clients_address(bank, behind_proxy):
    rm = bank.user("rm_hd")
    event = record_access(actor=rm, action="view", request=request(PROXY, "1.1.1.1, 203.0.113.7"))
    assert AccessEvent.objects.get(pk=event.pk).ip == "203.0.113.7"

"""The two-factor gate, the idle timeout and the security headers."""

from __future__ import annotations

import json
import runpy

import pytest
from django.conf import settings
from django.utils import timezone

from keyclient.security import totp
from keyclient.security.middleware import LAST_SEEN_KEY
from keyclient.security.models import TOTPDevice

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def half_logged_in(client, user):  # type: ignore[no-untyped-def]
    """A session past the password step but not the second factor."""
    client.force_login(user)
    return client


def set_last_seen(client, seconds_ago: int) -> None:  # type: ignore[no-untyped-def]
    session = client.session
    session[LAST_SEEN_KEY] = int(timezone.now().timestamp()) - seconds_ago
    session.save()


# -- the two-factor gate -----------------------------------------------------------------------


def test_unverified_session_is_sent_to_enrolment_without_a_device(bank, english):
    client = half_logged_in(english, bank.user("rm_hd"))
    response = client.get("/clients/?q=zs")
    assert response.status_code == 302
    assert response.url == "/login/enrol/?next=%2Fclients%2F%3Fq%3Dzs"
    zhang = bank.customers["zhang"]
    assert client.get(f"/clients/{zhang.pk}/").url == f"/login/enrol/?next=%2Fclients%2F{zhang.pk}%2F"
    assert client.get("/").status_code == 302
    assert client.get("/login/").url.startswith("/login/enrol/")


def test_unverified_session_is_sent_to_the_code_step_with_a_device(bank, english):
    rm = bank.user("rm_hd")
    TOTPDevice.objects.create(user=rm, secret="JBSWY3DPEHPK3PXP", confirmed_at=timezone.now())
    client = half_logged_in(english, rm)
    assert client.get("/clients/").url == "/login/verify/?next=%2Fclients%2F"
    # A form post is not carried over as a `next` URL.
    assert client.post("/clients/").url == "/login/verify/"


def test_htmx_requests_get_a_client_redirect(bank, english):
    client = half_logged_in(english, bank.user("rm_hd"))
    response = client.get("/clients/?q=zs", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/enrol/?next=%2Fclients%2F%3Fq%3Dzs"
    assert response.content == b""


def test_unverified_api_calls_get_403_json(bank, english):
    client = half_logged_in(english, bank.user("rm_hd"))
    for url in ("/api/customers/", f"/api/customers/{bank.customers['zhang'].pk}/", "/api/schema/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {
            "detail": "Two-factor verification required: finish logging in first."
        }


def test_the_steps_logout_static_and_language_switch_stay_open(bank, english):
    client = half_logged_in(english, bank.user("rm_hd"))
    assert client.get("/login/enrol/").status_code == 200
    assert client.get("/login/verify/").status_code == 302  # no device yet: on to enrolment
    assert client.get("/static/keyclient/app.css").status_code == 200
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/enrol/"})
    assert response.status_code == 302
    assert response.url == "/login/enrol/"
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response.url == "/login/"
    assert "_auth_user_id" not in client.session


def test_a_verified_session_passes(bank, login):
    client = login(bank.user("rm_hd"))
    assert client.get("/clients/").status_code == 200
    assert client.get("/api/customers/").status_code == 200


def test_a_mark_for_another_user_does_not_count(bank, english):
    rm, other = bank.user("rm_hd"), bank.user("rm_hd2")
    client = half_logged_in(english, rm)
    session = client.session
    totp.mark_verified(session, other)
    session.save()
    assert client.get("/clients/").status_code == 302


def test_an_unverified_administrator_is_held_on_the_login_steps(bank, english):
    client = half_logged_in(english, bank.user("admin"))
    response = client.get("/tiers/policy/")
    assert (response.status_code, response.url) == (302, "/login/enrol/?next=%2Ftiers%2Fpolicy%2F")


# -- idle timeout ------------------------------------------------------------------------------


def test_idle_timeout_setting():
    assert settings.KEYCLIENT_IDLE_TIMEOUT_MINUTES == 15


def test_a_session_idle_for_too_long_is_logged_out(bank, login, english):
    client = login(bank.user("rm_hd"))
    assert client.get("/clients/").status_code == 200
    set_last_seen(client, 15 * 60 + 1)
    response = client.get("/clients/?q=zs")
    assert response.status_code == 302
    assert response.url == "/login/?next=%2Fclients%2F%3Fq%3Dzs"
    assert "_auth_user_id" not in client.session
    assert totp.SESSION_KEY not in client.session
    page = client.get(response.url)
    assert page.status_code == 200
    assert (
        "You were logged out after 15 minutes without activity. Please log in again." in page.content.decode()
    )
    assert client.get("/clients/").url == "/login/?next=/clients/"  # still logged out


def test_a_session_idle_just_under_the_limit_stays(bank, login, english):
    client = login(bank.user("rm_hd"))
    set_last_seen(client, 15 * 60 - 5)
    assert client.get("/clients/").status_code == 200
    assert "_auth_user_id" in client.session


def test_an_idle_api_call_gets_403_json(bank, login, english):
    client = login(bank.user("rm_hd"))
    set_last_seen(client, 16 * 60)
    response = client.get("/api/customers/")
    assert response.status_code == 403
    assert json.loads(response.content) == {
        "detail": "You were logged out after 15 minutes without activity. Please log in again."
    }
    assert "_auth_user_id" not in client.session


def test_an_idle_htmx_request_reloads_to_the_login_page(bank, login, english):
    client = login(bank.user("rm_hd"))
    set_last_seen(client, 16 * 60)
    response = client.get("/clients/?q=zs", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/login/?next=%2Fclients%2F%3Fq%3Dzs"


def test_last_activity_is_written_at_most_once_a_minute(bank, login):
    client = login(bank.user("rm_hd"))
    client.get("/clients/")
    first = client.session[LAST_SEEN_KEY]
    assert abs(first - timezone.now().timestamp()) < 5
    set_last_seen(client, 30)
    stored = client.session[LAST_SEEN_KEY]
    key = client.session.session_key
    from django.contrib.sessions.models import Session

    expire_before = Session.objects.get(session_key=key).expire_date
    client.get("/clients/")
    assert client.session[LAST_SEEN_KEY] == stored  # not rewritten within the minute
    assert Session.objects.get(session_key=key).expire_date == expire_before  # the row was not saved
    set_last_seen(client, 61)
    client.get("/clients/")
    assert abs(client.session[LAST_SEEN_KEY] - timezone.now().timestamp()) < 5


def test_logging_in_starts_the_idle_clock(bank, client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    from tests.personas import PASSWORD

    admin = bank.user("admin")
    User.objects.filter(pk=admin.pk).update(password=make_password(PASSWORD))
    client.post("/login/", {"username": admin.username, "password": PASSWORD})
    assert abs(client.session[LAST_SEEN_KEY] - timezone.now().timestamp()) < 5


# -- headers -----------------------------------------------------------------------------------


def test_pages_carry_the_security_headers(bank, login):
    client = login(bank.user("rm_hd"))
    for url in ("/login/", "/clients/", "/api/customers/", "/static/keyclient/app.css", "/no-such-page/"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == CSP, url
        assert response["Permissions-Policy"] == (
            "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
            "payment=(), usb=(), browsing-topics=()"
        ), url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
        if not url.startswith("/static/"):  # WhiteNoise answers before the clickjacking middleware
            assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
    assert "Strict-Transport-Security" not in client.get("/clients/")


def test_anonymous_pages_carry_them_too(client):
    response = client.get("/login/")
    assert response["Content-Security-Policy"] == CSP
    assert client.get("/clients/")["Content-Security-Policy"] == CSP  # the redirect to login


def test_only_listed_paths_get_another_policy(bank, login, settings):
    """Swagger UI's start-up script is inline in SpectacularSwaggerView: its page alone may be listed
    (with SpectacularSwaggerSplitView nothing needs to be)."""
    assert set(settings.KEYCLIENT_CSP_BY_PATH) <= {"/api/docs/"}
    client = login(bank.user("rm_hd"))
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == settings.KEYCLIENT_CSP_BY_PATH.get("/api/docs/", CSP)
    assert client.get("/api/schema/")["Content-Security-Policy"] == CSP
    assert client.get("/api/docs/x")["Content-Security-Policy"] == CSP  # exact paths only

    settings.KEYCLIENT_CSP_BY_PATH = {"/clients/": "default-src 'none'"}
    assert client.get("/clients/")["Content-Security-Policy"] == "default-src 'none'"
    assert client.get("/login/")["Content-Security-Policy"] == CSP


def test_a_view_may_set_its_own_policy(rf):
    from django.http import HttpResponse

    from keyclient.security.middleware import SecurityHeadersMiddleware

    def view(request):  # type: ignore[no-untyped-def]
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/x/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Permissions-Policy"].startswith("accelerometer=()")


def test_the_pages_have_no_inline_scripts_or_handlers(bank, login):
    """What the policy would block: inline <script> bodies and on…= handlers."""
    import re

    from django.test import Client

    enrolling = Client()
    enrolling.force_login(bank.user("rm_cy"))  # password step passed, no authenticator yet
    client = login(bank.user("rm_hd"))
    pages = [
        (enrolling, "/login/enrol/"),
        (client, "/clients/"),
        (client, f"/clients/{bank.customers['zhang'].pk}/"),
    ]
    pages += [(Client(), "/login/")]
    for who, url in pages:
        response = who.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert not re.findall(r"\son[a-z]+=", body), url


@pytest.mark.parametrize("production", [True, False])
def test_production_adds_hsts_and_the_https_redirect(monkeypatch, tmp_path, production):
    from cryptography.fernet import Fernet

    monkeypatch.setenv("KEYCLIENT_VAR_DIR", str(tmp_path))
    if production:
        monkeypatch.setenv("KEYCLIENT_ENV", "production")
        for name in ("KEYCLIENT_SECRET_KEY", "KEYCLIENT_AUDIT_KEY", "KEYCLIENT_BLIND_INDEX_KEY"):
            monkeypatch.setenv(name, "x" * 50)
        monkeypatch.setenv("KEYCLIENT_FIELD_KEYS", Fernet.generate_key().decode())
    else:
        monkeypatch.delenv("KEYCLIENT_ENV", raising=False)
    from keyclient.config import settings as settings_module

    values = runpy.run_path(settings_module.__file__)  # a fresh evaluation under this environment
    assert values["SECURE_SSL_REDIRECT"] is production
    assert values["SECURE_HSTS_SECONDS"] == (31_536_000 if production else 0)
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is production
    assert values["SESSION_COOKIE_SECURE"] is production
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    middleware = values["MIDDLEWARE"]
    assert middleware[:3] == [
        "django.middleware.security.SecurityMiddleware",
        "keyclient.security.middleware.SecurityHeadersMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    messages_at = middleware.index("django.contrib.messages.middleware.MessageMiddleware")
    assert middleware[messages_at + 1 : messages_at + 3] == [
        "keyclient.security.middleware.IdleTimeoutMiddleware",
        "keyclient.security.middleware.TwoFactorMiddleware",
    ]


def test_https_redirect_and_hsts_when_switched_on(bank, login, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = login(bank.user("rm_hd"))
    response = client.get("/clients/")
    assert response.status_code == 301
    assert response.url == "https://testserver/clients/"
    response = client.get("/clients/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get("/healthz").status_code == 200  # load balancers probe over plain HTTP


def test_password_rules_are_kept():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    validators = {
        v["NAME"].rsplit(".", 1)[-1]: v.get("OPTIONS", {}) for v in settings.AUTH_PASSWORD_VALIDATORS
    }
    assert validators["MinimumLengthValidator"] == {"min_length": 12}
    assert "CommonPasswordValidator" in validators

"""Lockout after repeated failed logins, per staff number (as typed) and per client address.

Rules (settings, read at call time):

- `KEYCLIENT_LOCKOUT_USER_FAILURES` failures for one staff number within
  `KEYCLIENT_LOCKOUT_WINDOW_MINUTES` lock that staff number for `KEYCLIENT_LOCKOUT_MINUTES`;
  `KEYCLIENT_LOCKOUT_IP_FAILURES` failures from one address lock that address likewise.
- A failure is a wrong password or a wrong / reused two-factor code. While locked, an attempt is
  refused without checking the password (and recorded as `refused`, which counts for nothing).
- A completed login ends the staff number's count (not the address's: one valid account must not
  reset an address that is guessing others). The end of a lock ends both counts. Nothing is deleted.

Checking costs two indexed queries (the latest attempts of the staff number, then of the address);
recording a failure one insert, plus a business event `login_locked` when it starts a lock.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from keyclient.audit.actors import Job
from keyclient.audit.services import record_event
from keyclient.security.models import LoginAttempt, LoginOutcome

logger = logging.getLogger(__name__)
LOCKOUT_JOB = Job("security.lockout")
FAILURES = (LoginOutcome.WRONG_PASSWORD, LoginOutcome.WRONG_CODE)


@dataclass(frozen=True)
class Lock:
    scope: str  # "user" or "ip"
    until: dt.datetime

    def minutes_left(self, now: dt.datetime | None = None) -> int:
        seconds = (self.until - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(seconds / 60))


@dataclass(frozen=True)
class Standing:
    """What the attempt history says about one staff number and one address at `now`."""

    user_failures: int
    ip_failures: int
    lock: Lock | None
    now: dt.datetime


def _minutes(name: str) -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, name))


def _count(
    rows: list[tuple[str, dt.datetime, dt.datetime | None]], now: dt.datetime
) -> tuple[int, Lock | None]:
    """Failures since the last reset among `rows` (newest first), or the lock still running."""
    window_start = now - _minutes("KEYCLIENT_LOCKOUT_WINDOW_MINUTES")
    failures = 0
    for index, (outcome, at, locked_until) in enumerate(rows):
        if locked_until is not None:
            if index == 0 and locked_until > now:
                return failures, Lock(scope="", until=locked_until)
            break  # a lock that ran out ends the count it came from
        if outcome not in FAILURES or at < window_start:
            break
        failures += 1
    return failures, None


def standing(username: str, ip: str, *, now: dt.datetime | None = None) -> Standing:
    """The failure counts and any running lock for `username` and `ip` (two indexed queries)."""
    now = now or timezone.now()
    horizon = now - max(_minutes("KEYCLIENT_LOCKOUT_WINDOW_MINUTES"), _minutes("KEYCLIENT_LOCKOUT_MINUTES"))
    user_rows = list(
        LoginAttempt.objects.filter(
            username=username,
            at__gte=horizon,
            outcome__in=[*FAILURES, LoginOutcome.SUCCEEDED],
        )
        .order_by("-at", "-pk")
        .values_list("outcome", "at", "user_locked_until")[: settings.KEYCLIENT_LOCKOUT_USER_FAILURES]
    )
    user_failures, user_lock = _count(user_rows, now)
    ip_failures, ip_lock = 0, None
    if ip:
        ip_rows = list(
            LoginAttempt.objects.filter(ip=ip, at__gte=horizon, outcome__in=FAILURES)
            .order_by("-at", "-pk")
            .values_list("outcome", "at", "ip_locked_until")[: settings.KEYCLIENT_LOCKOUT_IP_FAILURES]
        )
        ip_failures, ip_lock = _count(ip_rows, now)
    locks = [Lock("user", user_lock.until)] if user_lock else []
    locks += [Lock("ip", ip_lock.until)] if ip_lock else []
    lock = max(locks, key=lambda one: one.until) if locks else None
    return Standing(user_failures=user_failures, ip_failures=ip_failures, lock=lock, now=now)


@transaction.atomic
def record_failure(*, username: str, ip: str, outcome: str, standing: Standing) -> Lock | None:
    """Record a failed attempt; when it is the one that reaches a limit, start the lock, record the
    business event `login_locked` and return the lock."""
    if outcome not in FAILURES:
        raise ValueError(f"not a failure: {outcome}")
    now = standing.now
    until = now + _minutes("KEYCLIENT_LOCKOUT_MINUTES")
    user_locks = standing.user_failures + 1 >= settings.KEYCLIENT_LOCKOUT_USER_FAILURES
    ip_locks = bool(ip) and standing.ip_failures + 1 >= settings.KEYCLIENT_LOCKOUT_IP_FAILURES
    LoginAttempt.objects.create(
        username=username[:150],
        ip=ip,
        at=now,
        outcome=outcome,
        user_locked_until=until if user_locks else None,
        ip_locked_until=until if ip_locks else None,
    )
    started = [scope for scope, locks in (("user", user_locks), ("ip", ip_locks)) if locks]
    for scope in started:
        failures = standing.user_failures if scope == "user" else standing.ip_failures
        record_event(
            actor=LOCKOUT_JOB,
            verb="login_locked",
            after={
                "scope": scope,
                "username": username[:150],
                "ip": ip,
                "failures": failures + 1,
                "until": until.isoformat(),
            },
            note=f"{scope} locked after {failures + 1} failed logins",
        )
        logger.warning(
            "login locked: scope=%s username=%s ip=%s until=%s", scope, username[:150], ip, until.isoformat()
        )
    return Lock(started[0], until) if started else None


def record_refused(*, username: str, ip: str, standing: Standing) -> LoginAttempt:
    """Record an attempt refused because of a running lock (it counts for nothing)."""
    return LoginAttempt.objects.create(
        username=username[:150], ip=ip, at=standing.now, outcome=LoginOutcome.REFUSED
    )


def record_success(*, username: str, ip: str, complete: bool = True) -> LoginAttempt:
    """Record a right password: `complete` when the user is now logged in (it ends the staff number's
    failure count), otherwise the two-factor step is still to come (it ends nothing)."""
    outcome = LoginOutcome.SUCCEEDED if complete else LoginOutcome.PASSWORD_OK
    return LoginAttempt.objects.create(
        username=username[:150], ip=ip, at=timezone.now(), outcome=outcome, succeeded=complete
    )

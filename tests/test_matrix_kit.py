"""The persona matrix kit itself: it must fail when a scope is broken."""

from __future__ import annotations

import pytest
from django.db.models import Q

from tests.matrix import check
from tests.subjects import SUBJECTS

BY_NAME = {s.name: s for s in SUBJECTS}


@pytest.fixture
def broken_scope(monkeypatch):  # type: ignore[no-untyped-def]
    """A scope that lets everyone see every client: the defect the matrix exists to catch."""
    monkeypatch.setattr("keyclient.customers.queries.scope_filter", lambda user: Q())


@pytest.mark.parametrize(
    ("subject", "operation"),
    [
        ("client", "detail"),
        ("client", "list"),
        ("client-api", "detail"),
        ("contact-api", "list"),
        ("contact", "delete"),
    ],
)
def test_the_matrix_fails_on_a_broken_scope(bank, login, broken_scope, subject, operation):
    client = login(bank.user("rm_pd"))
    with pytest.raises(AssertionError):
        check(BY_NAME[subject], operation, "rm_pd", bank, client)


def test_the_same_checks_pass_with_the_real_scope(bank, login):
    client = login(bank.user("rm_pd"))
    for subject, operation in [("client", "detail"), ("client", "list"), ("contact", "delete")]:
        check(BY_NAME[subject], operation, "rm_pd", bank, client)


def test_the_matrix_fails_when_compliance_can_write(bank, login, monkeypatch):
    monkeypatch.setattr("keyclient.customers.scope.may", lambda user, action: True)
    with pytest.raises(AssertionError, match="204"):  # the delete went through: the kit reports the status
        check(BY_NAME["contact-api"], "delete", "compliance", bank, login(bank.user("compliance")))

"""The persona matrix kit itself: it must fail when a scope is broken."""

from __future__ import annotations

import pytest
from django.db.models import Q

from tests.matrix import OPERATIONS, check
from tests.subjects import SUBJECTS

BY_NAME = {s.name: s for s in SUBJECTS}


@pytest.fixture
def broken_scope(monkeypatch):  # type: ignore[no-untyped-def]
    """A scope that lets everyone see every client: the defect the matrix exists to catch."""
    monkeypatch.setattr("keyclient.customers.queries.scope_filter", lambda user, field_class=None, on="": Q())


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


# Subtle widenings: an RM's "own book" grown to the RM's sub-branch, or to the RM's team. A scope
# that still hides other cities' clients passes every check made as rm_pd; the near personas catch it.
WIDENINGS = {
    # the RM's unit subtree, as if an RM were scoped like a branch head
    "sub-branch": (
        lambda user, on: Q(**{f"{on}home_org_unit__path__startswith": user.org_unit.path}),
        ("rm_zgc",),
    ),
    # the team's books, as if an RM were scoped like a team lead
    "team": (lambda user, on: Q(**{f"{on}primary_rm__team_id": user.team_id}), ("rm_hd2",)),
}
WIDENED_CASES = [
    pytest.param(widening, persona, subject, operation, id=f"{widening}-{persona}-{subject.name}-{operation}")
    for widening, (_extra, personas) in WIDENINGS.items()
    for persona in personas
    for subject in SUBJECTS
    for operation in OPERATIONS
    if subject.supports(operation)
]


def _widen(monkeypatch, widening: str) -> None:  # type: ignore[no-untyped-def]
    """Plant the widening in the real door: RMs get their own book plus the extra clients."""
    from keyclient.customers import scope

    own_book = scope._own_book
    extra = WIDENINGS[widening][0]

    def widened(user, on="", field_class=None):  # type: ignore[no-untyped-def]
        # `on`: the door filters the client master or the copies in its position (docs/adr/0006).
        mine = own_book(user, on, field_class)
        return mine | extra(user, on) if user.role == "relationship_manager" else mine

    monkeypatch.setattr(scope, "_own_book", widened)


@pytest.mark.parametrize(("widening", "persona", "subject", "operation"), WIDENED_CASES)
def test_every_check_fails_when_an_rms_scope_is_widened(
    bank, login, monkeypatch, widening, persona, subject, operation
):
    _widen(monkeypatch, widening)
    with pytest.raises(AssertionError):
        check(subject, operation, persona, bank, login(bank.user(persona)))


@pytest.mark.parametrize("widening", sorted(WIDENINGS))
def test_the_widening_is_real_and_the_far_rm_alone_misses_it(bank, login, monkeypatch, widening):
    """Why the near personas exist: with either widening, rm_pd (another city) still passes."""
    from keyclient.customers.models import Customer

    _widen(monkeypatch, widening)
    near = WIDENINGS[widening][1][0]
    assert Customer.objects.visible_to(bank.user(near)).filter(pk=bank.customers["zhang"].pk).exists()
    client = login(bank.user("rm_pd"))
    for subject, operation in [("client", "detail"), ("client", "list"), ("client-api", "detail")]:
        check(BY_NAME[subject], operation, "rm_pd", bank, client)


@pytest.mark.parametrize("widening", sorted(WIDENINGS))
@pytest.mark.unmasks  # the planted widening lets rm_hd unmask his team mate's client: that is the leak
def test_the_route_walk_fails_when_an_rms_scope_is_widened(bank, login, monkeypatch, widening):
    """The route walk's RM (rm_hd) must not see his team mate's client at his sub-branch (李四)."""
    from tests.test_route_scope import test_route_keeps_other_units_clients_out as walk

    _widen(monkeypatch, widening)
    with pytest.raises(AssertionError, match="李四"):
        walk(bank, login, "/clients/", "customers:list", set())
    with pytest.raises(AssertionError, match="李四"):
        walk(bank, login, "/clients/<int:pk>/unmask/", "customers:unmask", {"pk"})

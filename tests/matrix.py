"""The persona matrix kit: one generic check of every model's screens and API endpoints for every
persona. A model joins by declaring a `Subject` (a few URLs and how to make one object); the
matrix test then checks list, detail, create, edit and delete for each persona below.

The object under test always belongs to 张三, a client of rm_hd at the 中关村 outlet (海淀支行,
北京分行). What each persona must get:

| persona | expectation |
|---|---|
| anonymous | redirected to the login page (UI) or refused with 401/403 (API); nothing written |
| rm_hd (same unit, his client) / lead_hd (his team lead) / head_bj (the branch head) / risk / head_office | full access |
| rm_hd2 (same team and sub-branch as rm_hd) / rm_zgc (works at 张三's outlet, another team) | 404 for the object; absent from lists; nothing written |
| rm_pd (another city's RM) / admin (no client data) | 404 for the object; absent from lists; nothing written |

The near RMs are there because a scope widened by mistake from "own book" to the RM's team or
sub-branch would still hide 张三 from rm_pd: tests/test_matrix_kit.py plants both widenings and
checks that the matrix fails on each.
| compliance | reads (200), every write refused with 403; nothing written |
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.test import Client

EXPECT = {
    "anonymous": "login",
    "rm_hd": "write",
    "lead_hd": "write",
    "head_bj": "write",
    "risk": "write",
    "head_office": "write",
    "rm_hd2": "hidden",  # same team and same sub-branch as rm_hd, but not 张三's RM
    "rm_zgc": "hidden",  # at 张三's own outlet, in another team
    "rm_pd": "hidden",
    "admin": "hidden",
    "compliance": "read",
}
OPERATIONS = ("list", "detail", "create", "edit", "delete")


@dataclass(frozen=True)
class Subject:
    """How the matrix reaches one model. URLs are functions of the object or of its client."""

    name: str
    model: type[models.Model]
    make: Callable[[Any, Any], models.Model]  # (bank, customer) -> a saved object of that client
    routes: frozenset[str]
    api: bool = False
    list_url: str | None = None
    marker: Callable[[Any], str] = lambda obj: str(obj.pk)  # appears in the list iff obj is shown
    detail_url: Callable[[Any], str] | None = None
    create_url: Callable[[Any], str] | None = None  # of the client
    create_data: Callable[[Any], dict] = field(default=lambda customer: {})
    edit_url: Callable[[Any], str] | None = None
    edit_method: str = "post"
    edit_data: dict = field(default_factory=dict)
    delete_url: Callable[[Any], str] | None = None
    delete_method: str = "post"
    written: Callable[[], int] = lambda: 0  # audit rows a write leaves behind
    expect: dict[str, str] = field(default_factory=dict)  # personas whose expectation differs here

    def supports(self, operation: str) -> bool:
        return getattr(self, {"list": "list_url"}.get(operation, f"{operation}_url")) is not None


def _send(client: Client, method: str, url: str, data: dict, api: bool) -> Any:
    if api and method in ("post", "patch", "put"):
        return getattr(client, method)(url, json.dumps(data), content_type="application/json")
    return getattr(client, method)(url, data) if method == "post" else getattr(client, method)(url)


def _refused(response: Any, expectation: str, api: bool) -> None:
    if expectation == "login":
        if api:
            assert response.status_code in (401, 403), response.status_code
        else:
            assert response.status_code == 302 and "/login/" in response["Location"], response.status_code
    elif expectation == "hidden":
        assert response.status_code == 404, response.status_code
    else:  # read-only
        assert response.status_code == 403, response.status_code


def check(subject: Subject, operation: str, persona: str, bank: Any, client: Client) -> None:
    """Assert what `persona` gets for `operation` on an object of `subject`; raises AssertionError."""
    expectation = subject.expect.get(persona, EXPECT[persona])
    customer = bank.customers["zhang"]
    obj = subject.make(bank, customer)
    count = subject.model.objects.count()
    audit_rows = subject.written()
    if operation == "list":
        response = client.get(subject.list_url)
        if expectation == "login":
            _refused(response, expectation, subject.api)
            return
        assert response.status_code == 200, response.status_code
        shown = subject.marker(obj) in response.content.decode()
        assert shown == (expectation in ("write", "read")), (
            f"{persona} {'does not see' if not shown else 'sees'} the object"
        )
        return
    if operation == "detail":
        response = client.get(subject.detail_url(obj))
        if expectation in ("write", "read"):
            assert response.status_code == 200, response.status_code
        else:
            _refused(response, expectation, subject.api)
        return
    if operation == "create":
        response = _send(
            client, "post", subject.create_url(customer), subject.create_data(customer), subject.api
        )
        if expectation == "write":
            assert response.status_code in (201, 302), response.status_code
            assert subject.model.objects.count() == count + 1
        else:
            _refused(response, expectation, subject.api)
            assert subject.model.objects.count() == count, "a refused create wrote a row"
            assert subject.written() == audit_rows, "a refused create wrote an audit row"
        return
    if operation == "edit":
        before = subject.model.objects.filter(pk=obj.pk).values().get()
        response = _send(client, subject.edit_method, subject.edit_url(obj), subject.edit_data, subject.api)
        after = subject.model.objects.filter(pk=obj.pk).values().get()
        if expectation == "write":
            assert response.status_code in (200, 302), response.status_code
            assert after != before, "the edit changed nothing"
        else:
            _refused(response, expectation, subject.api)
            assert after == before, "a refused edit changed the row"
            assert subject.written() == audit_rows, "a refused edit wrote an audit row"
        return
    if operation == "delete":
        response = _send(client, subject.delete_method, subject.delete_url(obj), {}, subject.api)
        exists = subject.model.objects.filter(pk=obj.pk).exists()
        if expectation == "write":
            assert response.status_code in (204, 302), response.status_code
            assert not exists, "the delete left the row"
        else:
            _refused(response, expectation, subject.api)
            assert exists, "a refused delete removed the row"
            assert subject.written() == audit_rows, "a refused delete wrote an audit row"
        return
    raise ValueError(operation)

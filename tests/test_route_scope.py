"""Every URL and API route, walked as a relationship manager of one sub-branch.

A route that takes a client id must answer 404 for a client outside the RM's book (and 200 for the
RM's own); a route without one must not mention such a client. The clients outside the book are
near and far: 李四 (a client of rm_hd's team mate at the same sub-branch) and 赵六 (another city),
so a scope widened to the RM's team or sub-branch fails here too. A new route fails this test until
it is declared below: that is the point. A route checked elsewhere is skipped with the reason.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.subjects import MATRIX_ROUTES

# Routes that show no client data at all, by name: not even the RM's own client appears.
NON_CLIENT_ROUTES = {"login", "logout", "healthz", "readyz", "set_language", "api-schema", "api-docs", "jobs"}
# Two-factor resets (administrators only; they show staff, never a client).
NON_CLIENT_ROUTES |= {"two_factor_resets", "two_factor_reset_approve", "two_factor_reset_reject"}
# The administrators' org screens (units, teams, staff: never a client; keyclient/org/views.py).
NON_CLIENT_ROUTES |= {"tree", "unit", "unit-close", "team", "users", "user-create", "user"}
NON_CLIENT_ROUTES |= {"user-deactivate", "user-reactivate"}
NON_CLIENT_ROUTES |= {"api-org-units", "api-org-teams", "api-org-staff", "api-org-staff-deactivate"}
# Routes taking the client's primary key as `pk`.
CLIENT_PK_KWARGS = {"pk"}
# Keyword arguments that are not a client, and the value each route is walked with.
# `version`: a tier policy version (its pages show counts, never a client; head office only).
# `intake_job`: an intake load (its rejects page shows file, line, field and reason; administrators only).
# `norms`: a capacity-norms version (head office publishes a draft; it names no client).
NON_CLIENT_KWARGS = {"stream": "access", "version": 1, "intake_job": 1, "norms": 1}
# Routes that only answer POST, with the form they are tested with.
POST_ROUTES = {"customers:unmask": {"field": "mobile", "reason": "route scope test"}}
# Routes that decide a tier request, by the request's id (path, API?): only an approver with the
# client in scope, who did not make the request, may. See test_decision_routes_keep_other_units_out.
DECISION_ROUTES = {
    "valuation:request-approve": ("/tiers/requests/{id}/approve/", False),
    "valuation:request-reject": ("/tiers/requests/{id}/reject/", False),
    "api-tier-override-approve": ("/api/tier-overrides/{id}/approve/", True),
    "api-tier-override-reject": ("/api/tier-overrides/{id}/reject/", True),
}

# Routes that grant or end a client's service level (head office only): an RM gets 404 for a client
# outside his book and 403 for his own. See test_service_grant_routes_keep_other_units_out.
SERVICE_GRANT_ROUTES = {
    "valuation:client-service-grant": ("/tiers/clients/{pk}/service-level/grant/", False),
    "api-customer-service-grant": ("/api/customers/{pk}/service-level/grant/", True),
    "api-customer-service-grant-end": ("/api/customers/{pk}/service-level/grant/end/", True),
    "valuation:service-grant-end": ("/tiers/service-grants/{grant}/end/", False),
}

# Routes that decide an RM change request (keyclient.coverage), by the request's id: as DECISION_ROUTES.
# See test_coverage_decision_routes_keep_other_units_out.
COVERAGE_DECISION_ROUTES = {
    "coverage:request-approve": ("/coverage/requests/{id}/approve/", False),
    "coverage:request-reject": ("/coverage/requests/{id}/reject/", False),
    "api-coverage-request-approve": ("/api/coverage-requests/{id}/approve/", True),
    "api-coverage-request-reject": ("/api/coverage-requests/{id}/reject/", True),
}
# POST-only API routes that change a client's coverage: 404 outside the RM's book, nothing written.
# See test_coverage_post_routes_keep_other_units_out.
COVERAGE_POST_ROUTES = {
    "api-customer-coverage-split": "/api/customers/{pk}/coverage/split/",
    "api-customer-coverage-release": "/api/customers/{pk}/coverage/release/",
}

# A handover's report, by its id: only whoever made the handover sees it (404 for anyone else).
# See test_handover_report_is_its_makers.
HANDOVER_ROUTES = {"coverage:handover": "/coverage/handovers/{id}/"}

# Routes of one background job, by the job's id (`job`): a job is scoped to the person who started it
# (administrators and head office see all), never to a client. See test_job_routes_keep_other_staff_out.
JOB_ROUTES = {"jobs:detail": "GET", "jobs:retry": "POST"}


def all_routes() -> list[tuple[str, str, set[str]]]:
    """(path template, name, kwargs) for every route of the project."""
    found: list[tuple[str, str, set[str]]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                kwargs = set(p.pattern.converters) | set(p.pattern.regex.groupindex)
                found.append((prefix + str(p.pattern), f"{namespace}{p.name}", kwargs))

    walk(get_resolver().url_patterns, "/", "")
    return found


def concrete(template: str, **kwargs: object) -> str:
    import re

    path = template
    for key, value in kwargs.items():
        path = re.sub(rf"\(\?P<{key}>[^)]*\)", str(value), path)
        path = re.sub(rf"<(?:\w+:)?{key}>", str(value), path)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "")
    path = re.sub(r"\(\?P<format>[^)]*\)", "", path)
    return path


ROUTES = all_routes()


def test_the_route_list_is_not_empty():
    names = {name for _t, name, _k in ROUTES}
    assert {"customers:list", "customers:detail", "api-customer-list", "api-customer-detail"} <= names


def test_routes_declared_as_checked_elsewhere_exist():
    """A route skipped below because another test checks it must still be a route (no stale names)."""
    names = {name for _t, name, _k in ROUTES}
    assert not MATRIX_ROUTES - names, sorted(MATRIX_ROUTES - names)
    assert not set(DECISION_ROUTES) - names, sorted(set(DECISION_ROUTES) - names)


@pytest.mark.parametrize(("template", "name", "kwargs"), ROUTES, ids=[f"{n}:{t}" for t, n, _k in ROUTES])
@pytest.mark.unmasks  # the POST routes show the own client's field in clear
def test_route_keeps_other_units_clients_out(bank, login, template, name, kwargs):
    rm = bank.user("rm_hd")
    own = bank.customers["zhang"]
    # Outside rm_hd's book: his team mate's client at his own sub-branch, and another city's client.
    others = [bank.customers["li"], bank.customers["zhao"]]
    client = login(rm)
    no_client_data = name.split(":")[-1] in NON_CLIENT_ROUTES
    # /readyz answers 503 where the test settings have no lake directory; it names no client either way.
    allowed = (200, 302, 403, 405, 503) if name == "readyz" else (200, 302, 403, 405)
    if kwargs and no_client_data:  # an id of something else than a client (a two-factor reset)
        template = concrete(template, **dict.fromkeys(kwargs, 1))
        kwargs, allowed = set(), (*allowed, 404)
    if kwargs and kwargs <= set(NON_CLIENT_KWARGS):
        template = concrete(template, **{k: NON_CLIENT_KWARGS[k] for k in kwargs})
        kwargs = set()
    if kwargs == set():
        # As the RM: no client outside his book; as his team lead (who may also export): not the
        # other city's client (his team mate's client is in the lead's scope).
        for viewer, hidden in ((rm, others), (bank.user("lead_hd"), others[1:])):
            response = login(viewer).get(concrete(template))
            assert response.status_code in allowed, (name, response.status_code)
            body = response.content.decode("utf-8-sig", errors="replace")
            for customer in [*hidden, own] if no_client_data else hidden:
                assert customer.customer_no not in body and customer.name not in body, (name, customer.name)
        return
    if name in MATRIX_ROUTES:
        pytest.skip(f"{name}: checked for every persona by tests/test_persona_matrix.py")
    if name in DECISION_ROUTES:
        pytest.skip(f"{name}: checked by test_decision_routes_keep_other_units_out")
    if name in SERVICE_GRANT_ROUTES:
        pytest.skip(f"{name}: checked by test_service_grant_routes_keep_other_units_out")
    if name in JOB_ROUTES:
        pytest.skip(f"{name}: checked by test_job_routes_keep_other_staff_out")
    if name in COVERAGE_DECISION_ROUTES:
        pytest.skip(f"{name}: checked by test_coverage_decision_routes_keep_other_units_out")
    if name in HANDOVER_ROUTES:
        pytest.skip(f"{name}: checked by test_handover_report_is_its_makers")
    if name in COVERAGE_POST_ROUTES:
        pytest.skip(f"{name}: checked by test_coverage_post_routes_keep_other_units_out")
    assert kwargs <= CLIENT_PK_KWARGS, f"declare how route {name} ({template}) is scoped (tests/subjects.py)"
    if name in POST_ROUTES:
        for other in others:
            response = client.post(concrete(template, pk=other.pk), POST_ROUTES[name])
            assert response.status_code == 404, (name, other.name)
            assert other.mobile not in response.content.decode()
        assert client.post(concrete(template, pk=own.pk), POST_ROUTES[name]).status_code == 200, name
        return
    for other in others:
        assert client.get(concrete(template, pk=other.pk)).status_code == 404, (name, other.name)
    assert client.get(concrete(template, pk=own.pk)).status_code == 200, name


@pytest.mark.parametrize("name", sorted(DECISION_ROUTES))
def test_decision_routes_keep_other_units_out(bank, login, name):
    import json

    from keyclient.valuation.models import TierOverride
    from keyclient.valuation.services import request_override

    assert name in {n for _t, n, _k in ROUTES}, f"{name} is declared but no longer a route"
    path, api = DECISION_ROUTES[name]
    reason = "route scope test request"
    own = request_override(
        actor=bank.user("rm_hd"), customer=bank.customers["zhang"], kind="disqualify", reason=reason
    )
    other = request_override(
        actor=bank.user("rm_pd"), customer=bank.customers["zhao"], kind="disqualify", reason=reason
    )
    mate = request_override(  # rm_hd's team mate's client, at the same sub-branch
        actor=bank.user("rm_hd2"), customer=bank.customers["li"], kind="disqualify", reason=reason
    )
    data = {"note": "route scope test"}

    def send(client, override):  # type: ignore[no-untyped-def]
        url = path.format(id=override.pk)
        if api:
            return client.post(url, json.dumps(data), content_type="application/json")
        return client.post(url, data)

    # The RM: the Shanghai client's request does not exist for him; his own client's he may not decide.
    rm = login(bank.user("rm_hd"))
    assert send(rm, other).status_code == 404
    assert send(rm, mate).status_code == 404
    assert send(rm, own).status_code == 403
    # His team lead, an approver: still 404 for Shanghai; his team's request is decided.
    lead = login(bank.user("lead_hd"))
    response = send(lead, other)
    assert response.status_code == 404
    assert other.customer.name not in response.content.decode()
    assert send(lead, own).status_code in (200, 302)
    assert TierOverride.objects.get(pk=other.pk).status == "pending"
    assert TierOverride.objects.get(pk=mate.pk).status == "pending"
    assert TierOverride.objects.get(pk=own.pk).status != "pending"


@pytest.mark.parametrize("name", sorted(COVERAGE_DECISION_ROUTES))
def test_coverage_decision_routes_keep_other_units_out(bank, login, name):
    import json

    from keyclient.coverage.models import AssignmentRequest
    from keyclient.coverage.services import reassign

    assert name in {n for _t, n, _k in ROUTES}, f"{name} is declared but no longer a route"
    path, api = COVERAGE_DECISION_ROUTES[name]
    reason = "route scope test request"
    # Each client's service level asks a dedicated RM: every reassignment waits for approval.
    own = reassign(actor=bank.user("rm_hd"), customer=bank.customers["zhang"], rm=bank.user("rm_hd2"),
                   reason=reason).request  # fmt: skip
    other = reassign(actor=bank.user("head_office"), customer=bank.customers["zhao"], rm=bank.user("rm_cy"),
                     reason=reason).request  # fmt: skip
    mate = reassign(actor=bank.user("rm_hd2"), customer=bank.customers["li"], rm=bank.user("rm_hd"),
                    reason=reason).request  # fmt: skip
    data = {"note": "route scope test"}

    def send(client, change):  # type: ignore[no-untyped-def]
        url = path.format(id=change.pk)
        if api:
            return client.post(url, json.dumps(data), content_type="application/json")
        return client.post(url, data)

    rm = login(bank.user("rm_hd"))
    assert send(rm, other).status_code == 404
    assert send(rm, mate).status_code == 404
    assert send(rm, own).status_code == 403
    lead = login(bank.user("lead_hd"))
    response = send(lead, other)
    assert response.status_code == 404
    assert other.customer.name not in response.content.decode()
    assert send(lead, own).status_code in (200, 302)
    assert AssignmentRequest.objects.get(pk=other.pk).status == "pending"
    assert AssignmentRequest.objects.get(pk=mate.pk).status == "pending"
    assert AssignmentRequest.objects.get(pk=own.pk).status != "pending"


@pytest.mark.parametrize("name", sorted(COVERAGE_POST_ROUTES))
def test_coverage_post_routes_keep_other_units_out(bank, login, name):
    import json

    from keyclient.audit.models import BusinessEvent
    from keyclient.coverage.models import AssignmentRequest, Coverage, CoverageChange

    assert name in {n for _t, n, _k in ROUTES}, f"{name} is declared but no longer a route"
    rm = bank.user("rm_hd")
    client = login(rm)
    data = {"reason": "route scope test change", "split": {str(rm.pk): "100"}}

    def written() -> tuple[int, ...]:
        return tuple(m.objects.count() for m in (Coverage, CoverageChange, AssignmentRequest, BusinessEvent))

    before = written()
    for other in (bank.customers["li"], bank.customers["zhao"]):
        url = COVERAGE_POST_ROUTES[name].format(pk=other.pk)
        response = client.post(url, json.dumps(data), content_type="application/json")
        assert response.status_code == 404, (name, other.name)
        assert other.name not in response.content.decode()
    assert written() == before
    own = COVERAGE_POST_ROUTES[name].format(pk=bank.customers["zhang"].pk)
    assert client.post(own, json.dumps(data), content_type="application/json").status_code in (200, 201, 400)


def test_handover_report_is_its_makers(bank, login):
    from keyclient.coverage.handover import hand_over

    assert set(HANDOVER_ROUTES) <= {n for _t, n, _k in ROUTES}
    done = hand_over(actor=bank.user("lead_hd"), from_rm=bank.user("rm_hd2"), to_rm=bank.user("rm_hd"),
                     reason="route scope handover")  # fmt: skip
    url = HANDOVER_ROUTES["coverage:handover"].format(id=done.pk)
    for persona in ("rm_hd", "rm_hd2", "head_bj", "rm_pd", "admin"):
        assert login(bank.user(persona)).get(url).status_code == 404, persona
    body = login(bank.user("lead_hd")).get(url).content.decode()
    assert "李四" in body and "赵六" not in body


@pytest.mark.parametrize("name", sorted(JOB_ROUTES))
def test_job_routes_keep_other_staff_out(bank, login, name):
    from keyclient.jobs.models import JobRun, JobStatus
    from keyclient.jobs.services import start_job

    templates = {n: t for t, n, _k in ROUTES}
    assert name in templates, f"{name} is declared but no longer a route"
    own = start_job(actor=bank.user("rm_hd"), kind="jobs.probe", parameters={})
    other = start_job(actor=bank.user("rm_pd"), kind="jobs.probe", parameters={})
    JobRun.objects.update(status=JobStatus.FAILED)
    client = login(bank.user("rm_hd"))
    send = client.post if JOB_ROUTES[name] == "POST" else client.get
    response = send(concrete(templates[name], job=other.pk))
    assert response.status_code == 404
    assert send(concrete(templates[name], job=own.pk)).status_code in (200, 302)
    assert JobRun.objects.filter(retry_of=other).count() == 0


@pytest.mark.parametrize("name", sorted(SERVICE_GRANT_ROUTES))
def test_service_grant_routes_keep_other_units_out(bank, login, name):
    import json

    from keyclient.valuation.models import ServiceLevelGrant
    from keyclient.valuation.service_grants import grant_service_level

    assert name in {n for _t, n, _k in ROUTES}, f"{name} is declared but no longer a route"
    path, api = SERVICE_GRANT_ROUTES[name]
    reason = "route scope test grant"
    head = bank.user("head_office")
    grants = {
        bank.customers[key].pk: grant_service_level(
            actor=head, customer=bank.customers[key], tier="gold", reason=reason
        ).pk
        for key in ("zhang", "li", "zhao")
    }
    data = {"tier": "mass", "reason": reason}

    def send(client, customer):  # type: ignore[no-untyped-def]
        url = path.format(pk=customer.pk, grant=grants[customer.pk])
        if api:
            return client.post(url, json.dumps(data), content_type="application/json")
        return client.post(url, data)

    before = list(ServiceLevelGrant.objects.values())
    rm = login(bank.user("rm_hd"))
    for other in (bank.customers["li"], bank.customers["zhao"]):
        response = send(rm, other)
        assert response.status_code == 404
        assert other.name not in response.content.decode()
    assert send(rm, bank.customers["zhang"]).status_code == 403
    assert list(ServiceLevelGrant.objects.values()) == before

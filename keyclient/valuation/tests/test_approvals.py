"""The approvals queue /tiers/approvals/ and deciding tier requests from it (or from the client's page):
scoped to the approver, never one's own request, a reason to reject, nothing written on refusal."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer
from keyclient.valuation.models import TierOverride
from keyclient.valuation.services import request_override

REASON = "客户家族企业即将上市，资金将陆续转入我行"


def english(client):  # type: ignore[no-untyped-def]
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def pending(bank):  # type: ignore[no-untyped-def]
    """One pending request per client of 海淀 (two), 朝阳 and 浦东, and a rejected one on 钱七."""
    c, u = bank.customers, bank.user
    made = {
        "li": request_override(
            actor=u("rm_hd2"), customer=c["li"], kind="override", tier="diamond", reason=REASON
        ),
        "zhang": request_override(actor=u("lead_hd"), customer=c["zhang"], kind="disqualify", reason=REASON),
        "wang": request_override(
            actor=u("rm_cy"), customer=c["wang"], kind="override", tier="platinum", reason=REASON
        ),
        "zhao": request_override(actor=u("rm_pd"), customer=c["zhao"], kind="disqualify", reason=REASON),
    }
    closed = request_override(actor=u("rm_hd2"), customer=c["served"], kind="disqualify", reason=REASON)
    TierOverride.objects.filter(pk=closed.pk).update(status="rejected")
    return made


def queue(client) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get("/tiers/approvals/")
    assert response.status_code == 200
    return [r.customer.name for r in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        ("lead_hd", ["李四", "张三"]),  # the team's book, oldest first
        ("head_bj", ["李四", "张三", "王五"]),
        ("head_office", ["李四", "张三", "王五", "赵六"]),
    ],
)
def test_the_queue_lists_pending_requests_in_the_approvers_scope(bank, login, pending, persona, names):
    assert queue(login(bank.user(persona))) == names


@pytest.mark.parametrize("persona", ["rm_hd", "risk", "compliance", "admin"])
def test_only_approvers_open_the_queue(bank, login, pending, persona):
    assert login(bank.user(persona)).get("/tiers/approvals/").status_code == 403


def test_the_queue_shows_who_asked_what_and_why(bank, login, pending):
    html = english(login(bank.user("lead_hd"))).get("/tiers/approvals/").content.decode()
    assert "2 requests" in html
    row = html.split('data-testid="approval-row"')[1]
    assert "李四" in row and "Override to a tier" in row and "Platinum → Diamond" in row
    assert REASON in row and "孙二" in row and 'data-testid="approve"' in row
    own = html.split('data-testid="approval-row"')[2]  # the team lead's own request on 张三
    assert "Disqualify" in own and "Private banking → no tier (disqualified)" in own
    assert "Your request: another approver decides." in own and 'data-testid="approve"' not in own
    assert "赵六" not in html and "王五" not in html


def test_team_lead_approves_from_the_queue(bank, login, pending):
    li = bank.customers["li"]
    override = pending["li"]
    response = login(bank.user("lead_hd")).post(
        f"/tiers/requests/{override.pk}/approve/",
        {"note": "同意，请跟进资金到账", "next": "/tiers/approvals/"},
    )
    assert response.status_code == 302 and response["Location"] == "/tiers/approvals/"
    override.refresh_from_db()
    assert (override.status, override.decided_by, override.decision_note) == (
        "approved", bank.user("lead_hd"), "同意，请跟进资金到账",
    )  # fmt: skip
    assert Customer.objects.get(pk=li.pk).tier == "diamond"
    events = BusinessEvent.objects.filter(customer_id=li.pk).exclude(verb="tier_override.requested")
    assert [(e.verb, e.actor_name, e.before, e.after, e.note) for e in events.order_by("id")] == [
        ("tier_override.approved", "E1003", {"tier": "platinum", "status": "pending"},
         {"id": override.pk, "kind": "override", "tier": "diamond", "status": "approved"}, "同意，请跟进资金到账"),
        ("tier.changed", "E1003", {"tier": "platinum"}, {"tier": "diamond"}, f"tier_override:{override.pk}"),
    ]  # fmt: skip
    assert queue(login(bank.user("lead_hd"))) == ["张三"]


def test_the_requester_cannot_approve_their_own_request(bank, login, pending):
    own = pending["zhang"]  # requested by lead_hd, an approver
    before = BusinessEvent.objects.count()
    response = login(bank.user("lead_hd")).post(f"/tiers/requests/{own.pk}/approve/", {"note": "自己批准"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert (own.status, own.decided_by, own.decided_at) == ("pending", None, None)
    assert Customer.objects.get(pk=own.customer_id).tier == "private_banking"
    assert BusinessEvent.objects.count() == before
    # another approver of the same client may
    response = login(bank.user("head_bj")).post(f"/tiers/requests/{own.pk}/approve/", {"note": "同意"})
    assert response.status_code == 302
    assert Customer.objects.get(pk=own.customer_id).tier == "mass"


@pytest.mark.parametrize(
    ("persona", "status"), [("rm_hd2", 403), ("risk", 403), ("compliance", 403), ("rm_pd", 404)]
)
def test_who_may_not_decide_gets_403_or_404_and_nothing_changes(bank, login, pending, persona, status):
    override = pending["li"]
    before = BusinessEvent.objects.count()
    for verb in ("approve", "reject"):
        response = login(bank.user(persona)).post(
            f"/tiers/requests/{override.pk}/{verb}/", {"note": "无权决定"}
        )
        assert response.status_code == status
    override.refresh_from_db()
    assert override.status == "pending"
    assert BusinessEvent.objects.count() == before


def test_an_approver_outside_the_scope_gets_404(bank, login, pending):
    before = BusinessEvent.objects.count()
    response = login(bank.user("lead_hd")).post(
        f"/tiers/requests/{pending['wang'].pk}/approve/", {"note": "同意"}
    )
    assert response.status_code == 404
    assert TierOverride.objects.get(pk=pending["wang"].pk).status == "pending"
    assert BusinessEvent.objects.count() == before


def test_rejecting_needs_a_note_next_to_the_field(bank, login, pending):
    override = pending["li"]
    before = BusinessEvent.objects.count()
    client = english(login(bank.user("lead_hd")))
    response = client.post(
        f"/tiers/requests/{override.pk}/reject/", {"note": "", "next": "/tiers/approvals/"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-note">Say why the request is rejected.' in html
    assert '<input type="hidden" name="next" value="/tiers/approvals/">' in html
    assert TierOverride.objects.get(pk=override.pk).status == "pending"
    assert BusinessEvent.objects.count() == before

    response = client.post(
        f"/tiers/requests/{override.pk}/reject/", {"note": "资金来源尚未核实", "next": "/tiers/approvals/"}
    )
    assert response.status_code == 302
    override.refresh_from_db()
    assert (override.status, override.decision_note) == ("rejected", "资金来源尚未核实")
    assert Customer.objects.get(pk=override.customer_id).tier == "platinum"
    event = BusinessEvent.objects.get(verb="tier_override.rejected")
    assert (event.before, event.after, event.note) == (
        {"tier": "platinum", "status": "pending"},
        {"id": override.pk, "kind": "override", "tier": "diamond", "status": "rejected"},
        "资金来源尚未核实",
    )
    assert not BusinessEvent.objects.filter(verb="tier.changed").exists()


def test_a_decided_request_cannot_be_decided_again(bank, login, pending):
    override = pending["li"]
    client = english(login(bank.user("lead_hd")))
    assert client.post(f"/tiers/requests/{override.pk}/approve/", {}).status_code == 302
    before = BusinessEvent.objects.count()
    response = client.post(f"/tiers/requests/{override.pk}/reject/", {"note": "改为拒绝"})
    assert response.status_code == 400
    assert "This request is already Approved." in response.content.decode()
    assert TierOverride.objects.get(pk=override.pk).status == "approved"
    assert BusinessEvent.objects.count() == before


def test_a_next_address_off_the_site_is_ignored(bank, login, pending):
    override = pending["li"]
    response = login(bank.user("lead_hd")).post(
        f"/tiers/requests/{override.pk}/approve/", {"next": "https://evil.example.com/"}
    )
    assert response["Location"] == f"/clients/{override.customer_id}/#tier-decisions"


@pytest.mark.parametrize(("persona", "queries"), [("head_office", 5), ("lead_hd", 7)])
def test_the_queue_query_count_is_pinned(bank, login, pending, django_assert_num_queries, persona, queries):
    client = login(bank.user(persona))
    client.get("/tiers/approvals/")
    for n in range(3):  # more requests change nothing
        TierOverride.objects.filter(pk=pending["li"].pk).update(status="rejected")
        pending["li"] = request_override(
            actor=bank.user("rm_hd2"), customer=bank.customers["li"], kind="disqualify", reason=f"{REASON}{n}"
        )
    # session, user, page keys (the count), page rows with client and requester, the user's unit (header);
    # a team lead's scope adds two (the team's members, the clients they serve)
    with django_assert_num_queries(queries):
        client.get("/tiers/approvals/")

"""Service teams edited by team leads, branch heads and head office: every edit audited, refusals
write nothing, and each member sees the field classes of their team role."""

from __future__ import annotations

import pytest

from keyclient.audit.models import BusinessEvent, FieldChange
from keyclient.customers.choices import TeamRole
from keyclient.customers.field_classes import CLASSES_BY_TEAM_ROLE
from keyclient.customers.models import Customer, ServiceTeamMember
from keyclient.customers.scope import field_classes_for
from keyclient.security.field_classes import ALL_CLASSES


def _counts() -> tuple[int, int, int]:
    return ServiceTeamMember.objects.count(), FieldChange.objects.count(), BusinessEvent.objects.count()


def _audit(model_id: int) -> list[tuple[str, str, str, str]]:
    rows = FieldChange.objects.filter(model="customers.ServiceTeamMember", object_id=str(model_id))
    return list(rows.order_by("id").values_list("actor_name", "field", "old", "new"))


def test_every_team_role_declares_its_field_classes():
    assert set(CLASSES_BY_TEAM_ROLE) == set(TeamRole.values)
    assert CLASSES_BY_TEAM_ROLE[TeamRole.CREDIT_OFFICER] == {
        "profile",
        "contact",
        "credit",
        "relationships",
        "service",
    }
    assert "wealth" not in CLASSES_BY_TEAM_ROLE[TeamRole.CREDIT_OFFICER]


def test_team_lead_adds_changes_and_removes_a_member_all_audited(bank, login):
    zhang = bank.customers["zhang"]
    lead = login(bank.user("lead_hd"))
    assert (
        lead.post(
            f"/clients/{zhang.pk}/team/new/", {"staff_no": "E1011", "team_role": "investment_advisor"}
        ).status_code
        == 302
    )
    row = ServiceTeamMember.objects.get(customer=zhang)
    assert (row.member.username, row.team_role) == ("E1011", "investment_advisor")
    assert (
        lead.post(f"/clients/{zhang.pk}/team/{row.pk}/edit/", {"team_role": "credit_officer"}).status_code
        == 302
    )
    assert lead.post(f"/clients/{zhang.pk}/team/{row.pk}/remove/").status_code == 302
    assert not ServiceTeamMember.objects.filter(customer=zhang).exists()
    assert _audit(row.pk) == [
        ("E1003", "member", "", "E1011"),
        ("E1003", "team_role", "", "investment_advisor"),
        ("E1003", "team_role", "investment_advisor", "credit_officer"),
        ("E1003", "member", "E1011", ""),
        ("E1003", "team_role", "credit_officer", ""),
    ]
    assert set(FieldChange.objects.filter(object_id=str(row.pk)).values_list("customer_id", flat=True)) == {
        zhang.pk
    }
    events = BusinessEvent.objects.filter(customer_id=zhang.pk).order_by("id")
    assert [(e.actor_name, e.verb, e.before, e.after) for e in events] == [
        ("E1003", "service_team.added", {}, {"member": "E1011", "team_role": "investment_advisor"}),
        (
            "E1003",
            "service_team.role_changed",
            {"member": "E1011", "team_role": "investment_advisor"},
            {"member": "E1011", "team_role": "credit_officer"},
        ),
        ("E1003", "service_team.removed", {"member": "E1011", "team_role": "credit_officer"}, {}),
    ]


def test_the_shortfall_shows_after_an_edit(bank, login):
    """张三 (private banking) is owed an investment advisor and a legal / tax specialist."""
    zhang = bank.customers["zhang"]
    lead = login(bank.user("lead_hd"))
    lead.post(f"/clients/{zhang.pk}/team/new/", {"staff_no": "E1011", "team_role": "investment_advisor"})
    html = lead.get(f"/clients/{zhang.pk}/").content.decode()
    assert "服务团队缺少“法律/税务顾问”角色" in html
    assert "服务团队缺少“投资顾问”角色" not in html and "客户没有服务团队" not in html


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rm_hd", 403), ("compliance", 403), ("risk", 403), ("admin", 404), ("rm_pd", 404), ("rm_hd2", 404)],
)
def test_refused_team_edits_write_nothing(bank, login, persona, status):
    zhang = bank.customers["zhang"]
    row = ServiceTeamMember.objects.create(
        customer=zhang, member=bank.user("rm_zgc"), team_role="credit_officer"
    )
    before = _counts()
    client = login(bank.user(persona))
    assert (
        client.post(
            f"/clients/{zhang.pk}/team/new/", {"staff_no": "E1005", "team_role": "legal_tax"}
        ).status_code
        == status
    )
    assert (
        client.post(f"/clients/{zhang.pk}/team/{row.pk}/edit/", {"team_role": "operations"}).status_code
        == status
    )
    assert client.post(f"/clients/{zhang.pk}/team/{row.pk}/remove/").status_code == status
    assert _counts() == before
    assert ServiceTeamMember.objects.get(pk=row.pk).team_role == "credit_officer"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"staff_no": "E1011", "team_role": "senior_sponsor"}, "A senior sponsor comes from management"),
        ({"staff_no": "E1010", "team_role": "operations"}, "Administrators do not serve clients"),
        ({"staff_no": "NOBODY", "team_role": "operations"}, "No member of staff has this number"),
        ({"staff_no": "E1011", "team_role": "astrologer"}, "astrologer"),
    ],
)
def test_bad_members_are_refused_with_a_reason_and_nothing_written(bank, login, settings, data, message):
    settings.LANGUAGE_CODE = "en"
    zhang = bank.customers["zhang"]
    before = _counts()
    response = login(bank.user("head_bj")).post(
        f"/clients/{zhang.pk}/team/new/", data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _counts() == before


def test_a_deactivated_member_cannot_be_added(bank, login):
    officer = bank.user("rm_zgc")
    officer.is_active = False
    officer.save()
    before = _counts()
    zhang = bank.customers["zhang"]
    response = login(bank.user("head_office")).post(
        f"/clients/{zhang.pk}/team/new/", {"staff_no": "E1011", "team_role": "operations"}
    )
    assert response.status_code == 400
    assert _counts() == before


def test_field_classes_follow_the_team_role_and_end_with_it(bank):
    zhang, wang = bank.customers["zhang"], bank.customers["wang"]
    officer = bank.user("rm_zgc")
    assert field_classes_for(officer, [zhang.pk]) == {zhang.pk: frozenset()}
    row = ServiceTeamMember.objects.create(customer=zhang, member=officer, team_role="credit_officer")
    assert field_classes_for(officer, [zhang.pk, wang.pk]) == {
        zhang.pk: CLASSES_BY_TEAM_ROLE["credit_officer"],
        wang.pk: frozenset(),
    }
    assert list(Customer.objects.visible_to(officer, field_class="wealth")) == []
    assert list(Customer.objects.visible_to(officer, field_class="credit")) == [zhang]
    ServiceTeamMember.objects.create(customer=zhang, member=officer, team_role="investment_advisor")
    assert "wealth" in field_classes_for(officer, [zhang.pk])[zhang.pk]
    assert field_classes_for(bank.user("rm_hd"), [zhang.pk]) == {zhang.pk: ALL_CLASSES}
    assert field_classes_for(bank.user("head_bj"), [zhang.pk]) == {zhang.pk: ALL_CLASSES}
    ServiceTeamMember.objects.filter(member=officer).delete()
    assert list(Customer.objects.visible_to(officer)) == []
    del row


def test_team_lead_export_withholds_wealth_of_a_client_reached_only_through_a_credit_officer(bank, login):
    """王五 is rm_cy's client (another team); rm_hd of lead_hd's team is his credit officer, so the
    lead reaches 王五 only through that role: the export lists him without AUM."""
    wang = bank.customers["wang"]
    ServiceTeamMember.objects.create(customer=wang, member=bank.user("rm_hd"), team_role="credit_officer")
    response = login(bank.user("lead_hd")).get("/clients/export/?format=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    wang_line = next(line for line in lines if "6200000003" in line)
    zhang_line = next(line for line in lines if "6200000001" in line)
    assert ",60000.00," not in wang_line and "王五" in wang_line
    assert "12000000.00" in zhang_line

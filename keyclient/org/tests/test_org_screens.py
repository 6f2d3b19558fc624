"""The administrators' org screens: deactivation without orphans, audited changes, fields the HR
extract owns read-only, units that cannot close while something hangs on them, refusals that
write nothing."""

from __future__ import annotations

import pytest

from keyclient.audit.models import BusinessEvent, FieldChange
from keyclient.customers.models import Customer
from keyclient.org.models import OrgUnit, Team, User


def _audit_counts() -> tuple[int, int]:
    return FieldChange.objects.count(), BusinessEvent.objects.count()


def _changes(instance) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    rows = FieldChange.objects.filter(model=instance._meta.label, object_id=str(instance.pk)).order_by("id")
    return list(rows.values_list("actor_name", "field", "old", "new"))


def _mark_hr(instance) -> None:  # type: ignore[no-untyped-def]
    """As if the HR extract had written `instance` (its load records each field under job:intake)."""
    FieldChange.objects.create(
        at="2026-11-01T00:00:00Z", actor_name="job:intake", model=instance._meta.label,
        object_id=str(instance.pk), field="name", old="", new="x",
    )  # fmt: skip


def test_deactivating_an_rm_orphans_nothing(bank, login):
    rm, zhang = bank.user("rm_hd"), bank.customers["zhang"]
    admin = login(bank.user("admin"))
    response = admin.post(f"/org/users/{rm.pk}/deactivate/", {"reason": "left the bank"})
    assert response.status_code == 302
    rm.refresh_from_db()
    assert (rm.is_active, User.objects.filter(pk=rm.pk).exists()) == (False, True)
    assert Customer.objects.get(pk=zhang.pk).primary_rm_id == rm.pk  # still his until a handover
    assert _changes(rm) == [("E1010", "is_active", "True", "False")]
    event = BusinessEvent.objects.get(verb="org.user_deactivated")
    assert (event.actor_name, event.after, event.note) == (
        "E1010",
        {"staff_no": "E1001", "active": False, "clients_awaiting_handover": 1},
        "left the bank",
    )
    staff_page = admin.get(f"/org/users/{rm.pk}/").content.decode()
    assert 'data-testid="book-handover"' in staff_page and "张三" not in staff_page
    # His clients stay visible to his team lead and his branch, flagged for handover.
    for persona in ("lead_hd", "head_bj"):
        page = login(bank.user(persona)).get(f"/clients/{zhang.pk}/")
        assert page.status_code == 200
        assert 'data-testid="handover-flag"' in page.content.decode()
    assert Customer.objects.visible_to(bank.user("lead_hd")).filter(pk=zhang.pk).exists()


@pytest.mark.parametrize(
    ("persona", "target", "data", "status"),
    [
        ("head_office", "rm_hd", {"reason": "left the bank"}, 403),
        ("rm_hd", "rm_hd2", {"reason": "left the bank"}, 403),
        ("admin", "admin", {"reason": "left the bank"}, 302),  # refused: not oneself
        ("admin", "rm_hd", {"reason": "x"}, 302),  # refused: no reason
    ],
)
def test_refused_deactivations_write_nothing(bank, login, persona, target, data, status):
    before = _audit_counts()
    user = bank.user(target)
    assert login(bank.user(persona)).post(f"/org/users/{user.pk}/deactivate/", data).status_code == status
    assert User.objects.get(pk=user.pk).is_active
    assert _audit_counts() == before


def test_changing_a_position_is_audited_with_codes(bank, login):
    rm = bank.user("rm_hd")
    data = {"display_name": "孙一", "role": "team_lead", "grade": "senior", "org_unit": bank.units["hd"].pk,
            "team": Team.objects.get(code="T-HD").pk}  # fmt: skip
    assert login(bank.user("admin")).post(f"/org/users/{rm.pk}/", data).status_code == 302
    rm.refresh_from_db()
    assert (rm.role, rm.grade) == ("team_lead", "senior")
    assert _changes(rm) == [
        ("E1010", "role", "relationship_manager", "team_lead"),
        ("E1010", "grade", "", "senior"),
    ]
    data["team"] = Team.objects.get(code="T-PD").pk  # a team of Shanghai: outside his unit
    response = login(bank.user("admin")).post(f"/org/users/{rm.pk}/", data)
    assert response.status_code == 400 and User.objects.get(pk=rm.pk).team.code == "T-HD"


def test_fields_the_hr_extract_owns_are_read_only_for_its_users(bank, login):
    rm = bank.user("rm_hd")
    _mark_hr(rm)
    admin = login(bank.user("admin"))
    page = admin.get(f"/org/users/{rm.pk}/").content.decode()
    assert 'data-testid="hr-note"' in page and 'data-testid="deactivate"' not in page
    assert 'name="display_name"' in page and "disabled" in page.split('name="display_name"')[1].split(">")[0]
    other = Team.objects.create(code="T-HD9", name="海淀九队", org_unit=bank.units["hd"])
    data = {"display_name": "改名", "role": "head_office", "grade": "principal", "org_unit": bank.units["bj"].pk,
            "team": other.pk}  # fmt: skip
    before = _audit_counts()
    assert admin.post(f"/org/users/{rm.pk}/", data).status_code == 302
    rm.refresh_from_db()
    # Name, role, grade and unit are the extract's: unchanged. The team is the screens'.
    assert (rm.display_name, rm.role, rm.grade, rm.org_unit.code, rm.team.code) == (
        "孙一", "relationship_manager", "", "110108", "T-HD9",
    )  # fmt: skip
    assert _changes(rm)[-1] == ("E1010", "team", "T-HD", "T-HD9")
    assert _audit_counts() == (before[0] + 1, before[1])
    admin.post(f"/org/users/{rm.pk}/deactivate/", {"reason": "left the bank"})
    assert User.objects.get(pk=rm.pk).is_active  # leavers are marked in the HR system


def test_a_unit_with_children_staff_or_clients_cannot_close(bank, login):
    hd = bank.units["hd"]
    admin = login(bank.user("admin"))
    page = admin.get(f"/org/units/{hd.pk}/").content.decode()
    assert "1 open unit(s) below it" in page or "下属" in page
    before = _audit_counts()
    admin.post(f"/org/units/{hd.pk}/close/")
    assert OrgUnit.objects.get(pk=hd.pk).status == "active"
    assert _audit_counts() == before
    from keyclient.org.services import closing_blockers

    assert len(closing_blockers(hd)) == 4  # a child, staff, a team with members, clients


def test_an_empty_unit_closes_and_is_kept(bank, login):
    admin = login(bank.user("admin"))
    assert admin.post("/org/", {"add_unit": "1", "unit-code": "110199", "unit-name": "北京新支行",
                                "unit-level": "sub_branch", "unit-parent": bank.units["bj"].pk}).status_code == 302  # fmt: skip
    unit = OrgUnit.objects.get(code="110199")
    assert unit.path == "/000000/110000/110199/"
    assert admin.post(f"/org/units/{unit.pk}/close/").status_code == 302
    unit.refresh_from_db()
    assert unit.status == "closed"
    assert _changes(unit)[-1] == ("E1010", "status", "active", "closed")
    assert [f for _a, f, _o, _n in _changes(unit)] == ["name", "level", "parent", "status", "status"]


def test_teams_are_added_and_changed_with_audit(bank, login):
    admin = login(bank.user("admin"))
    response = admin.post("/org/", {"add_team": "1", "team-code": "T-HD2", "team-name": "海淀二队",
                                    "team-org_unit": bank.units["hd"].pk})  # fmt: skip
    assert response.status_code == 302
    team = Team.objects.get(code="T-HD2")
    assert (
        admin.post(
            f"/org/teams/{team.pk}/", {"name": "海淀私行队", "org_unit": bank.units["hd"].pk}
        ).status_code
        == 302
    )
    assert _changes(team) == [
        ("E1010", "name", "", "海淀二队"), ("E1010", "org_unit", "", "110108"), ("E1010", "name", "海淀二队", "海淀私行队"),
    ]  # fmt: skip


@pytest.mark.parametrize("persona", ["rm_hd", "lead_hd", "head_office", "compliance"])
def test_only_administrators_reach_the_org_screens(bank, login, persona):
    client = login(bank.user(persona))
    before = _audit_counts()
    for url in (
        "/org/",
        "/org/users/",
        f"/org/users/{bank.user('rm_hd2').pk}/",
        f"/org/units/{bank.units['hd'].pk}/",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            "/org/",
            {"add_team": "1", "team-code": "X", "team-name": "X", "team-org_unit": bank.units["hd"].pk},
        ).status_code
        == 403
    )
    assert _audit_counts() == before and not Team.objects.filter(code="X").exists()


def test_the_staff_list_filters_and_marks_hr_users(bank, login):
    _mark_hr(bank.user("rm_hd"))
    bank.user("rm_pd").is_active = False
    bank.user("rm_pd").save()
    page = login(bank.user("admin")).get("/org/users/", {"org_unit": bank.units["hd"].pk}).content.decode()
    assert "E1001" in page and "E1005" not in page and page.count('<span class="tag">HR</span>') == 1
    page = login(bank.user("admin")).get("/org/users/", {"active": "0"}).content.decode()
    assert page.count('data-testid="staff-row"') == 1 and "E1005" in page


def test_the_org_api_for_administrators(bank, login):
    import json

    _mark_hr(bank.user("rm_hd"))
    admin = login(bank.user("admin"))
    rows = {r["staff_no"]: r for r in admin.get("/api/org/staff/").json()}
    assert (rows["E1001"]["hr_managed"], rows["E1002"]["hr_managed"], rows["E1002"]["team"]) == (
        True,
        False,
        "T-HD",
    )
    assert [u["code"] for u in admin.get("/api/org/units/").json()][:3] == ["000000", "110000", "110105"]
    rm2 = bank.user("rm_hd2")
    response = admin.post(
        f"/api/org/staff/{rm2.pk}/deactivate/",
        json.dumps({"reason": "left the bank"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    refused = admin.post(
        f"/api/org/staff/{bank.user('rm_hd').pk}/deactivate/",
        json.dumps({"reason": "left the bank"}),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "is_active" in refused.json()


def test_the_org_api_refuses_everyone_else_and_writes_nothing(bank, login):
    import json

    before = _audit_counts()
    client = login(bank.user("head_office"))
    assert client.get("/api/org/staff/").status_code == 403
    target = bank.user("rm_hd2")
    assert (
        client.post(
            f"/api/org/staff/{target.pk}/deactivate/",
            json.dumps({"reason": "left the bank"}),
            content_type="application/json",
        ).status_code
        == 403
    )
    assert User.objects.get(pk=target.pk).is_active and _audit_counts() == before

"""The tier policy screens: who may use them, the rules shown, a draft edited field by field (every
wrong value named on its field, nothing saved), publishing, and the navigation links per role."""

from __future__ import annotations

import re

import pytest

from keyclient.audit.models import BusinessEvent
from keyclient.valuation.choices import PolicyStatus
from keyclient.valuation.models import TierPolicy
from keyclient.valuation.policy import default_rules
from keyclient.valuation.services import start_draft

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def form_data(form) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the browser would post back for `form` untouched."""
    data = {}
    for field in form:
        value = field.value()
        if isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        else:
            data[field.html_name] = "" if value is None else str(value)
    return data


def policy_events(verb: str) -> int:
    return BusinessEvent.objects.filter(verb=verb).count()


@pytest.fixture
def draft(bank) -> TierPolicy:  # type: ignore[no-untyped-def]
    return start_draft(actor=bank.user("head_office"))


@pytest.fixture
def editor(bank, draft, login):  # type: ignore[no-untyped-def]
    """The head office's client and the untouched form data of the draft."""
    client = login(bank.user("head_office"))
    response = client.get(f"/tiers/policy/{draft.version}/edit/", **EN)
    assert response.status_code == 200
    return client, form_data(response.context["form"])


# --- who may use it ------------------------------------------------------------------------------

NOT_EDITORS = ["rm_hd", "lead_hd", "head_bj", "risk", "compliance"]


@pytest.mark.parametrize("persona", NOT_EDITORS)
def test_other_roles_get_403_and_write_nothing(bank, draft, login, persona) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user(persona))
    rules = TierPolicy.objects.get(pk=draft.pk).rules
    for url in (
        "/tiers/policy/",
        f"/tiers/policy/{draft.version}/edit/",
        f"/tiers/policy/{draft.version}/what-if/",
    ):
        assert client.get(url).status_code == 403, url
    events = BusinessEvent.objects.count()
    assert client.post("/tiers/policy/draft/").status_code == 403
    assert client.post(f"/tiers/policy/{draft.version}/edit/", {"ind_gold_on": "on"}).status_code == 403
    assert client.post(f"/tiers/policy/{draft.version}/publish/").status_code == 403
    assert BusinessEvent.objects.count() == events
    assert list(TierPolicy.objects.values_list("version", "status")) == [(2, "draft"), (1, "published")]
    assert TierPolicy.objects.get(pk=draft.pk).rules == rules


@pytest.mark.parametrize("persona", ["head_office", "admin"])
def test_head_office_and_administrators_may(bank, draft, login, persona) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user(persona))
    assert client.get("/tiers/policy/").status_code == 200
    assert client.get(f"/tiers/policy/{draft.version}/edit/").status_code == 200
    assert client.get(f"/tiers/policy/{draft.version}/what-if/").status_code == 200


def test_anonymous_is_sent_to_login(bank, client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/tiers/policy/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/tiers/policy/"


@pytest.mark.parametrize(
    ("persona", "links"),
    [
        ("rm_hd", {"/tiers/migration/", "/tiers/pareto/"}),
        ("compliance", {"/tiers/migration/", "/tiers/pareto/"}),
        ("head_office", {"/tiers/migration/", "/tiers/pareto/", "/tiers/policy/"}),
        ("admin", {"/tiers/policy/"}),
    ],
)
def test_navigation_shows_the_pages_the_role_may_open(bank, login, persona, links) -> None:  # type: ignore[no-untyped-def]
    body = login(bank.user(persona)).get("/clients/").content.decode()
    nav = body[body.index('<nav class="mainnav">') : body.index("</nav>")]
    assert {
        u for u in ("/tiers/migration/", "/tiers/pareto/", "/tiers/policy/") if f'href="{u}"' in nav
    } == links


# --- the rules in force and the history ------------------------------------------------------------


def test_the_page_shows_the_defaults_before_anything_is_published_and_writes_nothing(bank, login) -> None:  # type: ignore[no-untyped-def]
    response = login(bank.user("head_office")).get("/tiers/policy/", **EN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "In force: the default rules (nothing published yet)" in body
    assert '<td class="num">10,000,000</td>' in body  # the private-banking bar
    assert 'data-testid="start-draft"' in body
    assert not TierPolicy.objects.exists() and not BusinessEvent.objects.exists()


def test_the_page_shows_the_published_rules_readably_and_the_history(bank, draft, login) -> None:  # type: ignore[no-untyped-def]
    body = login(bank.user("head_office")).get("/tiers/policy/", **EN).content.decode()
    assert "In force: version 1" in body
    tiers = body[body.index('data-testid="rules-individual"') :]
    tiers = tiers[: tiers.index("</table>")]
    assert [re.findall(r'<td class="num">([^<]*)</td>', row) for row in tiers.split("<tr>")[2:]] == [
        ["10,000,000", "0", "6"],
        ["6,000,000", "0", "3"],
        ["500,000", "0", "3"],
        ["50,000", "0", "3"],
    ]
    assert '<dt>Discount rate</dt><dd class="num-left">0.08</dd>' in body
    history = body[body.index('data-testid="policy-history"') :]
    assert "<td>v2</td><td>Draft</td>" in history and "<td>v1</td><td>Published</td>" in history
    assert "冯总" in history  # drafted by
    assert 'data-testid="edit-draft"' in body


def test_starting_a_draft_copies_the_rules_in_force(bank, login) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("head_office"))
    response = client.post("/tiers/policy/draft/")
    assert response.status_code == 302 and response["Location"] == "/tiers/policy/2/edit/"
    draft = TierPolicy.objects.get(version=2)
    assert (draft.status, draft.rules, draft.created_by) == (
        "draft",
        default_rules(),
        bank.user("head_office"),
    )
    assert policy_events("tier_policy.drafted") == 1
    # A second click opens the same draft.
    assert client.post("/tiers/policy/draft/")["Location"] == "/tiers/policy/2/edit/"
    assert TierPolicy.objects.count() == 2 and policy_events("tier_policy.drafted") == 1


# --- editing a draft -------------------------------------------------------------------------------


def test_untouched_form_gives_back_exactly_the_rules(bank, draft, editor) -> None:  # type: ignore[no-untyped-def]
    client, data = editor
    assert (data["ind_gold_min_aum"], data["ind_private_banking_downgrade_months"], data["weight_risk"]) == (
        "50000",
        "6",
        "0.3",
    )
    assert "上市公司高管: 40" in data["tag_points"].splitlines()  # (PostgreSQL's jsonb keeps no key order)
    response = client.post(f"/tiers/policy/{draft.version}/edit/", data)
    assert response.status_code == 302 and response["Location"] == f"/tiers/policy/{draft.version}/what-if/"
    assert TierPolicy.objects.get(pk=draft.pk).rules == default_rules()


def test_raising_the_gold_bar_saves_exactly_that(bank, draft, editor) -> None:  # type: ignore[no-untyped-def]
    client, data = editor
    response = client.post(
        f"/tiers/policy/{draft.version}/edit/", {**data, "ind_gold_min_aum": "100000", "note": "提高金卡门槛"}
    )
    assert response.status_code == 302
    expected = default_rules()
    expected["individual"]["tiers"][3]["min_aum"] = 100_000
    saved = TierPolicy.objects.get(pk=draft.pk)
    assert (saved.rules, saved.note, saved.status) == (expected, "提高金卡门槛", "draft")
    event = BusinessEvent.objects.get(verb="tier_policy.edited")
    assert (event.actor_name, event.after["version"], event.note) == ("E1007", 2, "提高金卡门槛")


def test_every_wrong_value_is_named_on_its_field_and_nothing_is_saved(bank, draft, editor) -> None:  # type: ignore[no-untyped-def]
    client, data = editor
    wrong = {
        "ind_gold_min_aum": "-1",
        "corp_strategic_branch_min_value_score": "101",
        "weight_risk": "11",
        "loan_loss": "101",
        "clv_discount_rate": "2",
        "related_link_count_full": "0",
        "tag_points": "上市公司高管: 400",
    }
    response = client.post(f"/tiers/policy/{draft.version}/edit/", {**data, **wrong}, **EN)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {name: errors[name] for name in wrong} == {
        "ind_gold_min_aum": ["individual.gold.min_aum = -1 is outside ≥ 0"],
        "corp_strategic_branch_min_value_score": [
            "corporate.strategic_branch.min_value_score = 101 is outside [0, 100]"
        ],
        "weight_risk": ["score.weights.risk = 11 is outside [0, 10]"],
        "loan_loss": ["score.risk.loan_class_points.损失 = 101 is outside [0, 100]"],
        "clv_discount_rate": ["clv.discount_rate = 2 is outside [0, 1]"],
        "related_link_count_full": ["score.relatedness.link_count_full = 0 is outside ≥ 1"],
        "tag_points": ["score.prominence.tag_points.上市公司高管 = 400 is outside [0, 100]"],
    }
    assert set(errors) == set(wrong)
    body = response.content.decode()
    assert body.count('class="error field-error"') == 7
    assert TierPolicy.objects.get(pk=draft.pk).rules == default_rules()
    assert policy_events("tier_policy.edited") == 0


def test_a_rule_across_fields_is_shown_on_the_form(bank, draft, editor) -> None:  # type: ignore[no-untyped-def]
    client, data = editor
    response = client.post(
        f"/tiers/policy/{draft.version}/edit/", {**data, "ind_gold_min_aum": "600000"}, **EN
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "individual tiers: a higher tier needs a higher AUM bar"
    ]
    assert 'data-testid="form-errors"' in response.content.decode()
    assert TierPolicy.objects.get(pk=draft.pk).rules == default_rules()


def test_type_errors_and_unreadable_lines(bank, draft, editor) -> None:  # type: ignore[no-untyped-def]
    client, data = editor
    bad = {
        "ind_gold_min_aum": "五万",
        "ind_gold_downgrade_months": "2.5",
        "tag_points": "上市公司\n专精特新: 20",
    }
    response = client.post(f"/tiers/policy/{draft.version}/edit/", {**data, **bad}, **EN)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {name: errors[name] for name in bad} == {
        "ind_gold_min_aum": ["Enter a number."],
        "ind_gold_downgrade_months": ["Enter a whole number."],
        "tag_points": ["line 1 (“上市公司”) is not “tag: points”"],
    }
    assert TierPolicy.objects.get(pk=draft.pk).rules == default_rules()


def test_a_missing_bar_of_a_tier_in_use_is_named(bank, draft, editor) -> None:  # type: ignore[no-untyped-def]
    client, data = editor
    response = client.post(
        f"/tiers/policy/{draft.version}/edit/", {**data, "corp_strategic_branch_min_loan": ""}, **EN
    )
    assert response.status_code == 400
    assert response.context["form"].errors["corp_strategic_branch_min_loan"] == [
        "corporate.strategic_branch.min_loan must be a number, not None"
    ]


def test_a_tier_taken_out_of_use_and_tags_edited(bank, draft, editor) -> None:  # type: ignore[no-untyped-def]
    client, data = editor
    data.pop("ind_diamond_on")
    data.update(
        {
            "risk_tags": "涉诉、被执行人, 涉诉",
            "tag_points": "上市公司：30\n\n专精特新=12.5",
            "weight_risk": "0.25",
        }
    )
    response = client.post(f"/tiers/policy/{draft.version}/edit/", data)
    assert response.status_code == 302
    rules = TierPolicy.objects.get(pk=draft.pk).rules
    assert [t["tier"] for t in rules["individual"]["tiers"]] == ["private_banking", "platinum", "gold"]
    assert rules["score"]["risk"]["risk_tags"] == ["涉诉", "被执行人"]
    assert rules["score"]["prominence"]["tag_points"] == {"上市公司": 30, "专精特新": 12.5}
    assert rules["score"]["weights"]["risk"] == 0.25
    # Back in use: the diamond row comes back with the default bars.
    response = client.get(f"/tiers/policy/{draft.version}/edit/")
    form = response.context["form"]
    assert (form["ind_diamond_on"].value(), form["ind_diamond_min_aum"].value()) == (False, 6_000_000)


def test_a_published_version_is_not_edited(bank, draft, login) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("head_office"))
    assert client.get("/tiers/policy/1/edit/").status_code == 409
    assert client.post("/tiers/policy/1/edit/", {"ind_gold_min_aum": "1"}).status_code == 409
    assert TierPolicy.objects.get(version=1).rules == default_rules()
    assert client.get("/tiers/policy/99/edit/").status_code == 404
    assert client.get("/tiers/policy/99/what-if/").status_code == 404


# --- publishing ------------------------------------------------------------------------------------


def test_publishing_puts_the_draft_in_force(bank, draft, editor) -> None:  # type: ignore[no-untyped-def]
    client, data = editor
    client.post(f"/tiers/policy/{draft.version}/edit/", {**data, "ind_gold_min_aum": "100000"})
    response = client.post(f"/tiers/policy/{draft.version}/publish/")
    assert response.status_code == 302 and response["Location"] == "/tiers/policy/"
    assert list(TierPolicy.objects.values_list("version", "status", "published_by__username")) == [
        (2, "published", "E1007"),
        (1, "retired", None),
    ]
    event = BusinessEvent.objects.get(verb="tier_policy.published")
    assert (event.before, event.after) == ({"version": 1}, {"version": 2})
    body = client.get("/tiers/policy/", **EN).content.decode()
    assert "In force: version 2" in body and '<td class="num">100,000</td>' in body
    # Published once: a second publish is refused and changes nothing.
    again = client.post(f"/tiers/policy/{draft.version}/publish/", **EN)
    assert again.status_code == 400
    assert "Version 2 is not a draft." in again.content.decode()
    assert policy_events("tier_policy.published") == 1
    assert TierPolicy.objects.get(version=2).status == PolicyStatus.PUBLISHED


# --- query counts ----------------------------------------------------------------------------------


def test_query_counts_are_pinned(bank, draft, login, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("head_office"))
    client.get("/tiers/policy/")
    # session, user, the versions (with who drafted and published them), the user's unit
    with django_assert_num_queries(4):
        client.get("/tiers/policy/")
    # session, user, the version, the user's unit
    with django_assert_num_queries(4):
        client.get(f"/tiers/policy/{draft.version}/edit/")

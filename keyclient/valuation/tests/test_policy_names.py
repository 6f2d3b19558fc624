"""Names in the tier policy are data: tags with quotes, SQL-looking text or 300 characters publish through
the policy screens and score exactly as declared at the month end; names that cannot be tags are refused
where they are declared, naming the field, and nothing is saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer, CustomerTag, Tag
from keyclient.valuation.models import TierPolicy, ValueScore
from keyclient.valuation.policy import PolicyError, default_rules
from keyclient.valuation.services import save_draft, start_draft
from keyclient.valuation.tests.monthly import run_month
from keyclient.valuation.tests.test_policy_views import EN, form_data

AS_OF = dt.date(2026, 1, 31)
OBRIEN = "O'Brien"
INJECTION = "'; DROP TABLE x; --"
# 300 characters (the longest tag), with both quote characters and text outside ASCII.
LONG = ("重要客户“甲”'乙\"丙" * 40)[:300]


@pytest.fixture
def lake(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return settings.KEYCLIENT_LAKE_DIR


def tag(customer: Customer, *names: str) -> None:
    for name in names:
        CustomerTag.objects.create(customer=customer, tag=Tag.objects.get_or_create(name=name)[0])


def test_tags_with_quotes_sql_and_300_characters_publish_and_score_as_declared(bank, lake, login) -> None:  # type: ignore[no-untyped-def]
    assert len(LONG) == 300
    c = bank.customers
    tag(c["wang"], OBRIEN)
    tag(c["li"], LONG)
    tag(c["zhang"], INJECTION, "上市公司")
    Customer.objects.update(risk_assessed_on=dt.date(2026, 1, 1))  # no stale-KYC points: risk = flags only

    client = login(bank.user("head_office"))
    draft = start_draft(actor=bank.user("head_office"))
    data = form_data(client.get(f"/tiers/policy/{draft.version}/edit/", **EN).context["form"])
    data["tag_points"] += f"\n{OBRIEN}: 30\n{LONG}: 45\n{INJECTION}: 10"
    data["risk_tags"] = f"{INJECTION}\n{LONG}"
    response = client.post(f"/tiers/policy/{draft.version}/edit/", data, **EN)
    assert response.status_code == 302, response.context["form"].errors
    saved = TierPolicy.objects.get(pk=draft.pk).rules
    assert saved["score"]["risk"]["risk_tags"] == [INJECTION, LONG]
    assert saved["score"]["prominence"]["tag_points"] == {
        **default_rules()["score"]["prominence"]["tag_points"],
        OBRIEN: 30,
        LONG: 45,
        INJECTION: 10,
    }
    assert client.post(f"/tiers/policy/{draft.version}/publish/").status_code == 302
    assert TierPolicy.objects.get(pk=draft.pk).status == "published"

    counts = run_month(AS_OF, {customer.customer_no: {} for customer in c.values()})
    assert (counts["value_scores"], counts["tier_assignments"]) == (5, 5)
    scores = {
        key: ValueScore.objects.filter(customer=customer, as_of=AS_OF).values_list(
            "policy_version",
            "prominence_points",
            "prominence_score",
            "risk_flags",
            "risk_score",
            "value_score",
        )[0]
        for key, customer in c.items()
    }
    # No contribution, no links, no loans: points = (0.2 × prominence − 0.3 × risk) / 1.0, within 0–100
    # (wang 6, zhang 2.5, li 1.5); each risk tag is a flag of 25 points. The value score is the points'
    # percentile among the three with positive points.
    assert scores == {
        "wang": (2, 30, Decimal("30.00"), 0, Decimal("0.00"), Decimal("100.00")),  # O'Brien: 30
        "li": (2, 45, Decimal("45.00"), 1, Decimal("25.00"), Decimal("33.33")),  # the long tag: 45, a flag
        "zhang": (2, 50, Decimal("50.00"), 1, Decimal("25.00"), Decimal("66.67")),  # 10 + 上市公司 40, a flag
        "zhao": (2, 0, Decimal("0.00"), 0, Decimal("0.00"), Decimal("0.00")),
        "served": (2, 0, Decimal("0.00"), 0, Decimal("0.00"), Decimal("0.00")),
    }


BAD_NAMES = [
    (
        "tag_points",
        "响铃\x07标签: 10",
        "score.prominence.tag_points: the name '响铃\\x07标签' holds a control character",
    ),
    (
        "tag_points",
        "长" * 301 + ": 10",
        "score.prominence.tag_points: the name '" + "长" * 40 + "…' is longer than 300 characters",
    ),
    ("risk_tags", "好\x1b[31m坏", "score.risk.risk_tags: the name '好\\x1b[31m坏' holds a control character"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_NAMES, ids=["bell", "301 characters", "escape"])
def test_a_name_that_cannot_be_a_tag_is_named_on_its_field_and_nothing_is_saved(  # type: ignore[no-untyped-def]
    bank, login, field, value, message
) -> None:
    client = login(bank.user("head_office"))
    draft = start_draft(actor=bank.user("head_office"))
    data = form_data(client.get(f"/tiers/policy/{draft.version}/edit/", **EN).context["form"])
    response = client.post(f"/tiers/policy/{draft.version}/edit/", {**data, field: value}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert TierPolicy.objects.get(pk=draft.pk).rules == default_rules()
    assert not BusinessEvent.objects.filter(verb="tier_policy.edited").exists()


def test_the_service_refuses_names_and_numbers_the_form_cannot_send(bank) -> None:  # type: ignore[no-untyped-def]
    head = bank.user("head_office")
    draft = start_draft(actor=head)
    rules = default_rules()
    rules["score"]["prominence"]["tag_points"].update({" 上市公司": 5, "": 5})
    rules["score"]["prominence"]["kind_points"]["media\x00"] = 5
    rules["score"]["risk"]["risk_tags"] = ["涉诉", 7]
    rules["score"]["weights"]["risk"] = float("nan")
    rules["individual"]["tiers"][0]["min_aum"] = float("inf")
    with pytest.raises(PolicyError) as error:
        save_draft(actor=head, policy=draft, rules=rules)
    assert error.value.errors == [
        "individual.private_banking.min_aum must be a number, not inf",
        "score.weights.risk must be a number, not nan",
        "score.risk.risk_tags: a name must be text, not 7",
        "score.prominence.kind_points: the name 'media\\x00' holds a control character",
        "score.prominence.tag_points: the name ' 上市公司' starts or ends with a space",
        "score.prominence.tag_points: a name must be text, not ''",
    ]
    assert TierPolicy.objects.get(pk=draft.pk).rules == default_rules()
    assert not BusinessEvent.objects.filter(verb="tier_policy.edited").exists()
    # Any other character is fine: quotes, SQL, 300 characters.
    rules = default_rules()
    rules["score"]["prominence"]["tag_points"].update({OBRIEN: 5, INJECTION: 5, LONG: 5})
    rules["score"]["risk"]["risk_tags"] = [OBRIEN, INJECTION, LONG]
    assert save_draft(actor=head, policy=draft, rules=rules).rules == rules

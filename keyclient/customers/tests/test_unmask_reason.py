"""Break-glass unmasking needs a real reason: words, or a ticket reference the bank's pattern accepts."""

from __future__ import annotations

import pytest

from keyclient.audit.models import AccessEvent

WORDS = "请用文字说明查看该字段的理由（至少 4 个汉字或 8 个字母）。"
WORDS_OR_TICKET = "请用文字说明查看该字段的理由（至少 4 个汉字或 8 个字母），或填写工单编号。"
TICKETS = r"\bINC-\d{6,}\b"


def unmask(client, customer, reason):  # type: ignore[no-untyped-def]
    return client.post(
        f"/clients/{customer.pk}/unmask/", {"field": "mobile", "reason": reason}, HTTP_HX_REQUEST="true"
    )


@pytest.mark.parametrize(
    "reason", ["a.b.", "abcd", "xxxxxxxxxxxx", "ab ab ab ab", "核实", "核实核实", "1234567890", "....!!!!"]
)
def test_no_reason_is_refused_and_nothing_is_revealed_or_written(bank, login, reason):
    zhang = bank.customers["zhang"]
    response = unmask(login(bank.user("rm_hd")), zhang, reason)
    assert response.status_code == 400
    body = response.content.decode()
    assert WORDS in body
    assert zhang.mobile not in body
    assert AccessEvent.objects.count() == 0


def test_an_overlong_reason_is_refused(bank, login):
    response = unmask(login(bank.user("rm_hd")), bank.customers["zhang"], "客户来电核实身份" * 26)
    assert response.status_code == 400
    assert "理由最多 200 个字符。" in response.content.decode()
    assert AccessEvent.objects.count() == 0


@pytest.mark.unmasks
@pytest.mark.parametrize("reason", ["核实身份", "客户来电核实身份", "callback", "client asked to verify"])
def test_a_reason_in_words_is_accepted_and_recorded(bank, login, reason):
    zhang = bank.customers["zhang"]
    response = unmask(login(bank.user("rm_hd")), zhang, f"  {reason} ")
    assert response.status_code == 200
    assert zhang.mobile in response.content.decode()
    assert list(AccessEvent.objects.values_list("action", "fields", "reason")) == [
        ("unmask_field", "mobile", reason)
    ]


@pytest.mark.unmasks
def test_a_ticket_reference_counts_when_the_bank_sets_a_pattern(bank, login, settings):
    settings.KEYCLIENT_UNMASK_TICKET_PATTERN = TICKETS
    zhang = bank.customers["zhang"]
    client = login(bank.user("rm_hd"))
    refused = unmask(client, zhang, "INC-12")
    assert refused.status_code == 400
    assert WORDS_OR_TICKET in refused.content.decode()
    assert AccessEvent.objects.count() == 0
    response = unmask(client, zhang, "INC-123456")
    assert response.status_code == 200
    assert list(AccessEvent.objects.values_list("reason", flat=True)) == ["INC-123456"]


def test_without_a_pattern_a_ticket_number_alone_is_no_reason(bank, login):
    response = unmask(login(bank.user("rm_hd")), bank.customers["zhang"], "INC-123456")
    assert response.status_code == 400
    assert AccessEvent.objects.count() == 0


def test_a_bad_ticket_pattern_stops_start_up(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from keyclient.config.env import env_regex

    monkeypatch.setenv("KEYCLIENT_UNMASK_TICKET_PATTERN", "INC-(")
    with pytest.raises(
        ImproperlyConfigured, match="KEYCLIENT_UNMASK_TICKET_PATTERN is not a regular expression"
    ):
        env_regex("KEYCLIENT_UNMASK_TICKET_PATTERN")

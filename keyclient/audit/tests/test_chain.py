"""The access log's hash chain and `keyclient audit verify`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from keyclient.audit.actors import Job
from keyclient.audit.models import AccessEvent, ChainHead
from keyclient.audit.services import record_access


def verify() -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except CommandError as exc:
        return f"FAILED {exc}\n{err.getvalue()}"
    return out.getvalue()


@pytest.fixture
def three_views(bank):  # type: ignore[no-untyped-def]
    rm = bank.user("rm_hd")
    for key in ("zhang", "zhang", "zhang"):
        record_access(actor=rm, action="view_client", customer=bank.customers[key])
    return list(AccessEvent.objects.order_by("seq"))


def test_rows_chain_and_verify(three_views):
    assert [e.seq for e in three_views] == [1, 2, 3]
    assert three_views[1].prev_hash == three_views[0].hash
    assert ChainHead.objects.get(stream="access").hash == three_views[2].hash
    assert "3 rows, chain intact" in verify()


def test_job_actor_is_recorded_by_name(bank):
    event = record_access(actor=Job("nightly.export"), action="export_list", detail="test")
    assert (event.actor_id, event.actor_name) == (None, "job:nightly.export")


def test_no_actor_is_refused_and_nothing_written(bank):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValueError, match="needs an actor"):
        record_access(actor=AnonymousUser(), action="view_client")
    assert AccessEvent.objects.count() == 0


def test_editing_a_row_is_detected_and_named(three_views):
    victim = three_views[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_accessevent SET customer_no = %s WHERE id = %s", ["6200000004", victim.pk]
        )
    report = verify()
    assert report.startswith("FAILED")
    assert f"row id {victim.pk}, position 2: content does not match its hash (row edited)" in report


def test_deleting_a_row_is_detected(three_views):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accessevent WHERE id = %s", [three_views[1].pk])
    report = verify()
    assert "position 2: rows 2…2 are missing (deleted)" in report
    assert f"row id {three_views[2].pk}, position 3: does not follow the previous row" in report


def test_deleting_the_last_row_is_detected(three_views):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accessevent WHERE id = %s", [three_views[2].pk])
    assert "the chain ends at 2 but its head says 3" in verify()


def test_opening_a_360_page_is_recorded(bank, login):
    zhang = bank.customers["zhang"]
    login(bank.user("rm_hd")).get(f"/clients/{zhang.pk}/")
    event = AccessEvent.objects.get()
    assert (event.actor_name, event.action, event.customer_no, event.ip) == (
        "E1001",
        "view_client",
        "6200000001",
        "127.0.0.1",
    )


def test_a_refused_360_page_records_nothing(bank, login):
    assert login(bank.user("rm_hd")).get(f"/clients/{bank.customers['zhao'].pk}/").status_code == 404
    assert AccessEvent.objects.count() == 0

"""Intake writes the client master through `customers.writer`: a change of name and mobile leaves
exactly its field-change rows (personal values masked); a re-load without change leaves none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from keyclient.audit.models import FieldChange
from keyclient.customers.models import ContactPoint, Customer
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, write_day
from keyclient.intake.tests.test_crm import DAY1, ZHOU

NEXT_DATE = dt.date(2026, 11, 1)


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


def mark() -> int:
    return FieldChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def changes(since: int) -> list[tuple]:
    return sorted(
        (c.actor_name, c.model, c.object_id, c.customer_id, c.field, c.old, c.new)
        for c in FieldChange.objects.filter(id__gt=since)
    )


def test_a_reload_that_renames_a_client_and_changes_the_mobile_writes_its_field_changes(
    bank, lake: Path, tmp_path: Path
) -> None:
    load_extracts(source=write_day(tmp_path / "d1", DAY1), load_date=LOAD_DATE, history=True)
    first = mark()  # after the first load's rows (张三's existing row updated from the extract)
    zhou = Customer.objects.get(customer_no=ZHOU)
    old_mobile = ContactPoint.objects.get(customer=zhou, kind="mobile")
    day2 = {
        "customers": DAY1["customers"].replace("周八", "周八八").replace("13900007777", "13900008888"),
        "accounts": DAY1["accounts"],
        "daily_balances": GOOD["daily_balances"].replace("2026-10-31", "2026-11-01"),
        "transactions": GOOD["transactions"].replace("2026-10-31", "2026-11-01"),
    }
    load_extracts(source=write_day(tmp_path / "d2", day2), load_date=NEXT_DATE)
    new_mobile = ContactPoint.objects.get(customer=zhou, kind="mobile")
    pk = str(zhou.pk)
    assert changes(first) == sorted(
        [
            ("job:intake", "customers.Customer", pk, zhou.pk, "name", "周八", "周八八"),
            ("job:intake", "customers.Customer", pk, zhou.pk, "mobile", "139****7777", "139****8888"),
            ("job:intake", "customers.ContactPoint", str(old_mobile.pk), zhou.pk, "value", "139****7777", ""),
            ("job:intake", "customers.ContactPoint", str(new_mobile.pk), zhou.pk, "kind", "", "mobile"),
            ("job:intake", "customers.ContactPoint", str(new_mobile.pk), zhou.pk, "value", "", "139****8888"),
        ]
    )
    zhou.refresh_from_db()
    assert (zhou.name, zhou.mobile) == ("周八八", "13900008888")
    # The same date loaded again: nothing changes, nothing is recorded.
    second = mark()
    load_extracts(source=write_day(tmp_path / "d2", day2), load_date=NEXT_DATE)
    assert changes(second) == []

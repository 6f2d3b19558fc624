"""Every main screen, for every role, in a real browser: what a bank would not accept fails the test.

For each persona the test logs in, checks that every main screen the role may open is in the menu,
then opens each of them (and the client page, the what-if and the other audit streams where the role
may), saves a screenshot under the test's temporary directory and fails on raw choice codes,
identifiers, unformatted numbers, `---------` or elements wider than the viewport or their card
(`tests/screencheck.py` says exactly what counts and what is exempt).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.screencheck import TOO_WIDE_JS, VISIBLE_TEXT_JS, problems

pytestmark = pytest.mark.browser

MONTH_END = dt.date(2026, 1, 31)
# Main screens (menu entries): the URL name and the path.
MAIN_SCREENS = {
    "clients": "/clients/",
    "migration": "/tiers/migration/",
    "pareto": "/tiers/pareto/",
    "approvals": "/tiers/approvals/",
    "policy": "/tiers/policy/",
    "audit": "/audit/",
    "intake": "/intake/",
}
PERSONAS = ["rm_hd", "lead_hd", "head_bj", "head_office", "risk", "compliance", "admin"]
EXTRA_CLIENTS = 400


@pytest.fixture
def screens(bank, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The persona bank with what each screen shows at a bank: 400 more clients and a month-end run
    (nine clients with a small loss, so the contribution curve dips below zero), a draft policy, links with
    roles, audit rows of every stream, and two intake jobs (one with 20,000 rows and rejects)."""
    from django.utils import timezone

    from keyclient.audit.actors import Job
    from keyclient.audit.choices import AccessAction
    from keyclient.audit.services import record_access, record_changes, record_event
    from keyclient.customers.models import ContactPoint, Customer
    from keyclient.intake.models import IntakeJob
    from keyclient.relationships.models import CustomerLink
    from keyclient.valuation.services import request_override, start_draft
    from keyclient.valuation.tests.monthly import run_month
    from tests.personas import place

    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    rms = ["rm_hd", "rm_hd2", "rm_cy", "rm_pd"]
    units = {"rm_hd": "zgc", "rm_hd2": "hd", "rm_cy": "cy", "rm_pd": "pd"}
    extra = Customer.objects.bulk_create(
        Customer(
            customer_no=f"65{n:08d}",
            kind="corporate" if n % 10 == 0 else "individual",
            name=f"客户{n}",
            id_type="resident_id",
            id_number="x",
            home_org_unit=bank.units[units[rms[n % 4]]],
            primary_rm=bank.user(rms[n % 4]),
            tier="gold",
        )
        for n in range(EXTRA_CLIENTS)
    )
    extra = list(Customer.objects.filter(customer_no__startswith="65").order_by("customer_no"))
    place({c: Decimal(60_000 + 1_000 * n) for n, c in enumerate(extra)}, None)
    figures = {
        c.customer_no: {"deposit_madb": 60_000 + 1_000 * n, "contribution_month": 20_000 + 100 * n, "aum": 0}
        for n, c in enumerate(extra)
    }
    for _key, customer in bank.customers.items():
        figures[customer.customer_no] = {
            "deposit_madb": float(customer.position.aum),
            "contribution_month": 50_000,
        }
    for loss_maker in extra[:9]:  # the curve's first step (9 of 405 clients) dips 0.3% below zero
        figures[loss_maker.customer_no]["contribution_month"] = -5_000
    run_month(MONTH_END, figures)
    start_draft(actor=bank.user("head_office"))

    zhang, li, wang = bank.customers["zhang"], bank.customers["li"], bank.customers["wang"]
    CustomerLink.objects.create(from_customer=li, to_customer=zhang, link_type="household", role="spouse",
                                source="core_banking")  # fmt: skip
    corporate = extra[10]
    CustomerLink.objects.create(from_customer=zhang, to_customer=corporate, link_type="shareholder",
                                role="controlling_shareholder", source="business_registry")  # fmt: skip
    request_override(
        actor=bank.user("rm_hd"),
        customer=zhang,
        kind="disqualify",
        reason="客户本人书面要求降级，不再需要私行服务",
    )

    rm, compliance = bank.user("rm_hd"), bank.user("compliance")
    record_access(actor=rm, action=AccessAction.VIEW_CLIENT, customer=zhang)
    record_access(actor=rm, action=AccessAction.EXPORT_LIST, detail="clients csv rows=1 q=%E7%8E%8B")
    record_access(actor=compliance, action=AccessAction.VIEW_CLIENT, customer=wang)
    record_event(actor=Job("intake"), verb="intake.loaded", after={"date": "2026-01-31", "rows": 20000})
    contact = ContactPoint.objects.create(customer=zhang, kind="mobile", value="13800001234")
    record_changes(actor=rm, instance=contact, customer_id=zhang.pk,
                   changes={"kind": ("phone", "mobile"), "value": ("138****0000", "138****1234")})  # fmt: skip

    now = timezone.now()
    IntakeJob.objects.create(
        load_date=MONTH_END, source="var/demo/extracts", status="succeeded", actor_name="job:intake",
        rows_read=20_000, rows_accepted=20_000, rows_rejected=0, started_at=now, finished_at=now,
    )  # fmt: skip
    IntakeJob.objects.create(
        load_date=MONTH_END, source="var/demo/extracts", status="failed", actor_name="E1010",
        rows_read=120_000, rows_accepted=107_655, rows_rejected=12_345, started_at=now, finished_at=now,
        reject_summary=[{"extract": "customers", "field": "birth_date", "reason": "not a date", "count": 12_345}],
    )  # fmt: skip
    return bank


def check(page, shots: Path, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Screenshot the page and list what is wrong with it."""
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    found = problems(page.evaluate(VISIBLE_TEXT_JS)) + page.evaluate(TOO_WIDE_JS)
    kinds: dict[str, list[str]] = {}  # one line per kind of problem: a list page repeats it per row
    for problem in found:
        kinds.setdefault(re.sub(r"\d+", "#", problem), []).append(problem)
    return [
        f"{name} ({urlsplit(page.url).path}): {same[0]}"
        + (f" (and {len(same) - 1} more like it)" if len(same) > 1 else "")
        for same in kinds.values()
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_main_screen_reads_as_a_bank_screen(screens, page, log_in, persona, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.personas import VISIBLE

    bank = screens
    user = bank.user(persona)
    shots = tmp_path / "screens"
    shots.mkdir()
    page.goto(
        "/login/", timeout=60_000
    )  # the live server's first page (static files found, templates compiled)
    log_in(user.username)
    page.goto("/")
    menu = {
        urlsplit(href).path
        for href in page.locator("nav.mainnav a").evaluate_all("as => as.map(a => a.href)")
    }
    allowed = {name: path for name, path in MAIN_SCREENS.items() if page.request.get(path).status == 200}
    found = [
        f"{persona}: the menu has no entry for {p}, which the role may open"
        for p in allowed.values()
        if p not in menu
    ]
    if urlsplit(page.url).path not in allowed.values():
        found += check(page, shots, f"{persona}-home")
    for name, path in allowed.items():
        page.goto(path)
        found += check(page, shots, f"{persona}-{name}")
    if VISIBLE[persona]:
        key = sorted(VISIBLE[persona])[0]
        page.goto(f"/clients/{bank.customers[key].pk}/")
        found += check(page, shots, f"{persona}-client-{key}")
    if "policy" in allowed:
        page.goto("/tiers/policy/2/what-if/")
        found += check(page, shots, f"{persona}-what-if")
    if "audit" in allowed:
        for stream in ("business", "changes"):
            page.goto(f"/audit/{stream}/")
            found += check(page, shots, f"{persona}-audit-{stream}")
    assert found == [], f"screenshots in {shots}:\n" + "\n".join(found)

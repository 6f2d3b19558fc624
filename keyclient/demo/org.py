"""The demo bank's HR reference data and logins (org units, teams, staff, enrolled demo logins).

A bank sends its org units and staff as the intake's HR extract (docs/intake.md). The demo loads
the generator's `org_units` and `staff` files here, before the intake, with what that extract does
not carry (RM teams, the demo password, enrolled demo logins); the intake then finds them unchanged
and loads the rest, and the pipeline follows (see `make demo`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyotp
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from keyclient.audit.actors import Job
from keyclient.audit.services import record_event
from keyclient.customers.models import Customer, CustomerPosition, ServiceTeamMember
from keyclient.demo.models import DemoAuthenticator
from keyclient.org.models import OrgUnit, Team, User
from keyclient.security.models import TOTPDevice

LEVEL_ORDER = "CASE level WHEN 'head_office' THEN 0 WHEN 'branch' THEN 1 WHEN 'sub_branch' THEN 2 ELSE 3 END"
DEMO_CODE_JOB = Job("demo.code")
LOGIN_ROLES = (
    "relationship_manager",
    "team_lead",
    "branch_head",
    "head_office",
    "risk_officer",
    "compliance",
    "administrator",
)


@dataclass
class OrgReport:
    units: int = 0
    teams: int = 0
    staff: int = 0
    logins: list[dict[str, str]] = field(default_factory=list)


def source(root: Path, name: str) -> tuple[str, Path]:
    """DuckDB's reader (a table function name) for the generated file `name` (Parquet or CSV), and the file."""
    for ext, reader in (("parquet", "read_parquet"), ("csv", "read_csv_auto")):
        path = root / f"{name}.{ext}"
        if path.exists():
            return reader, path
    raise FileNotFoundError(
        f"{root} holds no {name}.parquet or {name}.csv: run `keyclient demo generate` first"
    )


@transaction.atomic
def load_org(root: Path, *, password: str) -> OrgReport:
    """Create the org tree, teams and staff of the generated bank (all of them share `password`)
    and enrol the demo logins. Raises if an org tree is loaded already."""
    if OrgUnit.objects.exists():
        raise RuntimeError("The org tree is loaded already (`make demo-reset` starts over).")
    con = duckdb.connect()
    units = _units(con, source(root, "org_units"))
    teams, staff = _staff(con, source(root, "staff"), units, password)
    report = OrgReport(units=len(units), teams=teams, staff=staff, logins=demo_logins())
    _enrol(report.logins)
    return report


def _units(con: duckdb.DuckDBPyConnection, org_units: tuple[str, Path]) -> dict[str, int]:
    reader, path = org_units
    found = con.execute(
        f"SELECT org_code, name, level, parent_code, province, city FROM {reader}($path) ORDER BY {LEVEL_ORDER}, org_code",  # noqa: S608 - a reader name from `source`, our constant; the path bound
        {"path": str(path)},
    ).fetchall()
    ids: dict[str, int] = {}
    paths: dict[str, str] = {}
    for code, name, level, parent_code, province, city in found:  # parents first: a few hundred units
        path = f"{paths[parent_code] if parent_code else '/'}{code}/"
        unit = OrgUnit.objects.create(
            code=code,
            name=name,
            level=level,
            parent_id=ids.get(parent_code),
            path=path,
            province=province or "",
            city=city or "",
        )
        ids[code], paths[code] = unit.pk, path
    return ids


def _staff(
    con: duckdb.DuckDBPyConnection, staff: tuple[str, Path], units: dict[str, int], password: str
) -> tuple[int, int]:
    reader, path = staff
    found = con.execute(
        f"SELECT staff_no, name, org_code, role, team_code FROM {reader}($path) ORDER BY staff_no",  # noqa: S608 - a reader name from `source`; the path bound
        {"path": str(path)},
    ).fetchall()
    teams: dict[str, Team] = {}
    for _no, _name, org_code, _role, team_code in found:
        if team_code and team_code not in teams:
            teams[team_code] = Team(code=team_code, name=team_code, org_unit_id=units[org_code])
    Team.objects.bulk_create(teams.values())
    unit_names = dict(OrgUnit.objects.values_list("pk", "name"))
    for number, team in enumerate(teams.values(), start=1):
        team.name = f"{unit_names[team.org_unit_id]} · {number:02d}"
    Team.objects.bulk_update(teams.values(), ["name"])
    hashed = make_password(password)  # one hash shared by all demo staff: hashing thousands is slow
    User.objects.bulk_create(
        (
            User(
                username=no,
                display_name=name,
                password=hashed,
                role=role,
                org_unit_id=units[org_code],
                team_id=teams[team_code].pk if team_code else None,
            )
            for no, name, org_code, role, team_code in found
        ),
        batch_size=2000,
    )
    return len(teams), len(found)


def _enrol(logins: list[dict[str, str]]) -> None:
    """Give the printed demo logins a confirmed authenticator, so the demo needs no phone:
    `keyclient demo code <staff no>` prints the current code (see `demo_code`). Each device is
    recorded as the demo's (`DemoAuthenticator`); no other device's code is ever printed."""
    users = list(User.objects.filter(username__in=[login["username"] for login in logins]))
    now = timezone.now()
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=user, secret=pyotp.random_base32(length=32), confirmed_at=now) for user in users
    )
    devices = TOTPDevice.objects.filter(user__in=users)
    DemoAuthenticator.objects.bulk_create(
        DemoAuthenticator(device=device, enrolled_at=now) for device in devices
    )
    for user in users:
        record_event(
            actor=Job("demo.org"), verb="two_factor_enrolled", after={"user": user.username, "demo": True}
        )


@transaction.atomic
def demo_code(username: str) -> str:
    """The current TOTP code of a demo login's authenticator (one the demo enrolled), recorded as the
    business event `demo_code_shown`. Any other device is refused and nothing is written."""
    device = TOTPDevice.objects.filter(
        user__username=username, confirmed_at__isnull=False, demo_enrolment__isnull=False
    ).first()
    if device is None:
        raise LookupError(f"{username} has no demo authenticator: only the printed demo logins do")
    record_event(
        actor=DEMO_CODE_JOB,
        verb="demo_code_shown",
        after={"user": username},
        note="current two-factor code of a demo login printed by `keyclient demo code`",
    )
    return pyotp.TOTP(device.secret).now()


def demo_logins() -> list[dict[str, str]]:
    """The first staff member of each role: the demo's printed logins."""
    logins = []
    for role in LOGIN_ROLES:
        user = User.objects.filter(role=role).select_related("org_unit").order_by("username").first()
        if user:
            logins.append(
                {
                    "role": user.get_role_display(),
                    "username": user.username,
                    "name": user.display_name,
                    "unit": user.org_unit.name,
                }
            )
    return logins


def all_logins() -> list[dict[str, str]]:
    """Every staff member, by role (in the order of the demo logins), unit and staff number; the
    staff number marked `*` when the user has a demo authenticator (see `demo_code`)."""
    order = {role: n for n, role in enumerate(LOGIN_ROLES)}
    enrolled = set(
        TOTPDevice.objects.filter(confirmed_at__isnull=False).values_list("user__username", flat=True)
    )
    users = sorted(
        User.objects.select_related("org_unit", "team"),
        key=lambda u: (order.get(u.role, len(order)), u.org_unit.path if u.org_unit else "", u.username),
    )
    return [
        {
            "role": user.get_role_display(),
            "username": f"{user.username}*" if user.username in enrolled else user.username,
            "name": user.display_name,
            "unit": " · ".join(
                filter(
                    None, [user.org_unit.name if user.org_unit else "", user.team.name if user.team else ""]
                )
            ),
        }
        for user in users
    ]


@transaction.atomic
def assign_sponsors() -> int:
    """Private-banking clients get their RM's team lead as senior sponsor (a stand-in for coverage,
    which is not built yet). Set-based; run after the pipeline has set the tiers; idempotent."""
    team, customers, users = ServiceTeamMember._meta.db_table, Customer._meta.db_table, User._meta.db_table
    positions = CustomerPosition._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {team} (customer_id, member_id, team_role, since)
            SELECT c.id, lead.id, 'senior_sponsor', p.aum_as_of FROM {customers} c
            LEFT JOIN {positions} p ON p.customer_id = c.id
            JOIN {users} rm ON rm.id = c.primary_rm_id
            JOIN {users} lead ON lead.team_id = rm.team_id AND lead.role = 'team_lead'
            WHERE c.tier = 'private_banking' AND lead.id <> rm.id AND NOT EXISTS (
                SELECT 1 FROM {team} t WHERE t.customer_id = c.id AND t.member_id = lead.id
                AND t.team_role = 'senior_sponsor')"""  # noqa: S608 - the models' table names
        )
        return cursor.rowcount

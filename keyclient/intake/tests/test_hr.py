"""The HR extract: org units and staff through the intake, loaded before the clients in the same load;
re-loads write nothing, leavers are deactivated, bad trees and roles stop the load, and a bank
without an org tree loads its clients into one head office."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyclient.audit.models import FieldChange
from keyclient.customers.models import Customer
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, read_rejects, write_day
from keyclient.intake.validate import IntakeError
from keyclient.org.models import OrgUnit, User

# A child listed before its parent, a closed outlet, a unit without place.
ORG_UNITS = (
    "org_code,name,level,parent_code,province,city,status\n"
    "440300,深圳分行,branch,440000,广东,深圳,\n"
    "440000,总行,head_office,,,,active\n"
    "440305,南山支行,sub_branch,440300,广东,深圳,active\n"
    "44030501,蛇口网点,outlet,440305,广东,深圳,closed\n"
)
STAFF = (
    "staff_no,name,org_code,role,grade,status\n"
    "S001,林一,440305,relationship_manager,senior,active\n"
    "S002,林二,440305,relationship_manager,junior,\n"
    "S003,林队,440305,team_lead,,active\n"
    "S004,林总,,head_office,principal,active\n"
)
CUSTOMERS = (
    "customer_no,kind,name,id_type,id_number,mobile,home_org_code,rm_staff_no,status\n"
    "6200000001,individual,张三,resident_id,110108198001011234,13800001234,440305,S001,active\n"
    "7100000001,individual,周八,resident_id,110108197707077777,13900007777,44030501,S002,active\n"
)
HR_DAY = {"org_units": ORG_UNITS, "staff": STAFF, "customers": CUSTOMERS}


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


def units() -> list[tuple]:
    return list(
        OrgUnit.objects.order_by("path").values_list(
            "code", "name", "level", "parent__code", "path", "status"
        )
    )


def staff() -> list[tuple]:
    return list(
        User.objects.order_by("username").values_list(
            "username", "display_name", "role", "grade", "org_unit__code", "is_active"
        )
    )


def changes(model: str) -> list[tuple]:
    return sorted(
        FieldChange.objects.filter(model=model).values_list("actor_name", "object_id", "field", "old", "new")
    )


def test_hr_extract_loads_units_and_staff_before_clients(db, lake: Path, tmp_path: Path) -> None:
    job = load_extracts(source=write_day(tmp_path / "in", HR_DAY), load_date=LOAD_DATE)
    assert units() == [
        ("440000", "总行", "head_office", None, "/440000/", "active"),
        ("440300", "深圳分行", "branch", "440000", "/440000/440300/", "active"),
        ("440305", "南山支行", "sub_branch", "440300", "/440000/440300/440305/", "active"),
        ("44030501", "蛇口网点", "outlet", "440305", "/440000/440300/440305/44030501/", "closed"),
    ]
    assert staff() == [
        ("S001", "林一", "relationship_manager", "senior", "440305", True),
        ("S002", "林二", "relationship_manager", "junior", "440305", True),
        ("S003", "林队", "team_lead", "", "440305", True),
        ("S004", "林总", "head_office", "principal", "440000", True),  # no unit: the head office
    ]
    assert not User.objects.get(username="S001").has_usable_password()
    clients = Customer.objects.order_by("customer_no").values_list(
        "customer_no", "home_org_unit__code", "primary_rm__username"
    )
    assert list(clients) == [("6200000001", "440305", "S001"), ("7100000001", "44030501", "S002")]
    assert {k: job.counts[k] for k in ("org_units_inserted", "org_units_updated", "staff_inserted")} == {
        "org_units_inserted": 4,
        "org_units_updated": 3,  # the parents of the non-roots, set once every unit has an id
        "staff_inserted": 4,
    }
    assert job.counts["org_units"] == {"read": 4, "accepted": 4, "rejected": 0}
    ids = dict(OrgUnit.objects.values_list("code", "id"))
    unit_changes = changes("org.OrgUnit")
    assert len(unit_changes) == 4 * 3 + 3 + 3 * 2  # name/level/status each, 3 parents, 3 with a place
    assert ("job:intake", str(ids["44030501"]), "parent", "", "440305") in unit_changes
    assert ("job:intake", str(ids["44030501"]), "status", "", "closed") in unit_changes
    user = User.objects.get(username="S004")
    assert [c for c in changes("org.User") if c[1] == str(user.pk)] == [
        ("job:intake", str(user.pk), "display_name", "", "林总"),
        ("job:intake", str(user.pk), "grade", "", "principal"),
        ("job:intake", str(user.pk), "is_active", "", "true"),
        ("job:intake", str(user.pk), "org_unit", "", "440000"),
        ("job:intake", str(user.pk), "role", "", "head_office"),
    ]


def test_reload_without_change_writes_nothing(db, lake: Path, tmp_path: Path) -> None:
    source = write_day(tmp_path / "in", HR_DAY)
    load_extracts(source=source, load_date=LOAD_DATE)
    before = (units(), staff(), FieldChange.objects.count())
    job = load_extracts(source=write_day(tmp_path / "in2", HR_DAY), load_date=LOAD_DATE)
    assert (units(), staff(), FieldChange.objects.count()) == before
    assert {k: v for k, v in job.counts.items() if k.startswith(("org_unit_", "org_units_", "staff_"))} == {
        "org_units_inserted": 0,
        "org_units_updated": 0,
        "org_unit_changes": 0,
        "staff_inserted": 0,
        "staff_updated": 0,
        "staff_changes": 0,
    }


def test_moving_a_unit_moves_its_subtree_and_records_the_parent(db, lake: Path, tmp_path: Path) -> None:
    load_extracts(source=write_day(tmp_path / "in", HR_DAY), load_date=LOAD_DATE)
    moved = ORG_UNITS.replace("440305,南山支行,sub_branch,440300", "440305,南山支行,sub_branch,440000")
    moved = moved.replace("44030501,蛇口网点,outlet,440305,广东,深圳,closed\n", "")  # missing: left as it is
    load_extracts(source=write_day(tmp_path / "in2", {**HR_DAY, "org_units": moved}), load_date=LOAD_DATE)
    assert units()[1:] == [
        ("440300", "深圳分行", "branch", "440000", "/440000/440300/", "active"),
        ("440305", "南山支行", "sub_branch", "440000", "/440000/440305/", "active"),
        ("44030501", "蛇口网点", "outlet", "440305", "/440000/440305/44030501/", "closed"),
    ]
    unit = OrgUnit.objects.get(code="440305")
    assert [c for c in changes("org.OrgUnit") if c[1] == str(unit.pk) and c[2] == "parent"] == [
        ("job:intake", str(unit.pk), "parent", "", "440300"),
        ("job:intake", str(unit.pk), "parent", "440300", "440000"),
    ]


def test_leaver_is_deactivated_and_keeps_their_clients(bank, lake: Path, tmp_path: Path) -> None:
    hr = "staff_no,name,org_code,role,grade,status\nE1002,孙二,110108,relationship_manager,senior,active\n"
    load_extracts(source=write_day(tmp_path / "in", {"staff": hr}), load_date=LOAD_DATE)
    rm = User.objects.get(username="E1002")
    clients = set(Customer.objects.filter(primary_rm=rm).values_list("customer_no", flat=True))
    assert "7100000001" in clients  # the new client of GOOD's customers, and the persona bank's own
    history = FieldChange.objects.filter(customer_id__isnull=False).count()
    left = hr.replace("senior,active", "senior,left")
    job = load_extracts(source=write_day(tmp_path / "in2", {"staff": left}), load_date=LOAD_DATE)
    rm.refresh_from_db()
    assert (rm.is_active, rm.role, rm.org_unit.code, rm.grade) == (
        False,
        "relationship_manager",
        "110108",
        "senior",
    )
    assert set(Customer.objects.filter(primary_rm=rm).values_list("customer_no", flat=True)) == clients
    assert FieldChange.objects.filter(customer_id__isnull=False).count() == history
    assert [c for c in changes("org.User") if c[1] == str(rm.pk) and c[2] == "is_active"] == [
        ("job:intake", str(rm.pk), "is_active", "true", "false")
    ]
    assert (job.counts["staff_updated"], job.counts["staff_changes"]) == (1, 1)
    assert User.objects.filter(username="E1001").get().is_active  # missing from the file: as it was


BAD = [
    (
        "org_units",
        ORG_UNITS.replace("440305,南山支行,sub_branch,440300", "440305,南山支行,sub_branch,999999"),
        [
            ("org_units.csv", 4, "parent_code", "unknown org unit: 999999"),
            ("org_units.csv", 5, "parent_code", "parent 440305 is rejected"),
        ],
    ),
    (
        "org_units",
        ORG_UNITS.replace("440300,深圳分行,branch,440000", "440300,深圳分行,branch,440305"),
        [
            ("org_units.csv", 2, "parent_code", "a cycle of parents through 440305"),
            ("org_units.csv", 4, "parent_code", "a cycle of parents through 440300"),
            ("org_units.csv", 5, "parent_code", "a cycle of parents through 440305"),
        ],
    ),
    (
        "staff",
        STAFF.replace("S003,林队,440305,team_lead", "S003,林队,440305,boss"),
        [
            (
                "staff.csv",
                4,
                "role",
                "unknown code: boss (expected relationship_manager/team_lead/branch_head/head_office/"
                "risk_officer/compliance/administrator)",
            )
        ],
    ),
]


@pytest.mark.parametrize(("extract", "text", "expected"), BAD, ids=["bad-parent", "cycle", "unknown-role"])
def test_bad_tree_or_role_is_rejected_and_nothing_written(
    db, lake: Path, tmp_path: Path, extract: str, text: str, expected: list[tuple]
) -> None:
    with pytest.raises(IntakeError, match="over the reject threshold") as failed:
        load_extracts(source=write_day(tmp_path / "in", {**HR_DAY, extract: text}), load_date=LOAD_DATE)
    path = str(failed.value).rsplit("Rejects: ", 1)[1]
    assert [r for r in read_rejects(path) if r[0] == f"{extract}.csv"] == expected
    assert (OrgUnit.objects.count(), User.objects.count(), Customer.objects.count()) == (0, 0, 0)
    assert FieldChange.objects.count() == 0


def test_bank_without_org_tree_loads_into_one_head_office(db, lake: Path, tmp_path: Path) -> None:
    no_org = (
        "customer_no,kind,name,id_type,id_number,status\n"
        "6200000001,individual,张三,resident_id,110108198001011234,active\n"
        "7100000001,individual,周八,resident_id,110108197707077777,active\n"
    )
    load_extracts(source=write_day(tmp_path / "in", {"customers": no_org}), load_date=LOAD_DATE)
    assert units() == [("HO", "总行", "head_office", None, "/HO/", "active")]
    assert set(Customer.objects.values_list("home_org_unit__code", flat=True)) == {"HO"}
    assert [c[2:] for c in changes("org.OrgUnit")] == [
        ("level", "", "head_office"), ("name", "", "总行"), ("status", "", "active"),
    ]  # fmt: skip
    load_extracts(source=write_day(tmp_path / "in2", {"customers": no_org}), load_date=LOAD_DATE)
    assert OrgUnit.objects.count() == 1  # created once
    assert len(changes("org.OrgUnit")) == 3


def test_without_home_org_code_a_bank_with_a_tree_uses_its_head_office(
    bank, lake: Path, tmp_path: Path
) -> None:
    customers = GOOD["customers"].replace(",11010801,E1001,", ",,E1001,")
    load_extracts(source=write_day(tmp_path / "in", {"customers": customers}), load_date=LOAD_DATE)
    assert Customer.objects.get(customer_no="6200000001").home_org_unit.code == "000000"
    assert not OrgUnit.objects.filter(code="HO").exists()


def test_a_banks_own_hr_codes_and_columns_load_through_the_mapping(db, lake: Path, tmp_path: Path) -> None:
    theirs = (
        "工号,姓名,机构号,岗位,职级,状态\n"
        "S001,林一,440305,客户经理,高级,在职\n"
        "S002,林二,440305,客户经理,初级,离职\n"
        "S003,林队,440305,团队长,,在职\n"
        "S004,林总,,总行管理,资深,在职\n"
    )
    mapping = tmp_path / "bank.toml"
    mapping.write_text(
        """[columns.staff]
"工号" = "staff_no"
"姓名" = "name"
"机构号" = "org_code"
"岗位" = "role"
"职级" = "grade"
"状态" = "status"

[codes.staff.role]
"客户经理" = "relationship_manager"
"团队长" = "team_lead"
"总行管理" = "head_office"

[codes.staff.grade]
"初级" = "junior"
"高级" = "senior"
"资深" = "principal"

[codes.staff.status]
"在职" = "active"
"离职" = "left"
""",
        encoding="utf-8",
    )
    customers = CUSTOMERS.replace(",S002,", ",S001,")
    source = write_day(tmp_path / "in", {**HR_DAY, "staff": theirs, "customers": customers})
    load_extracts(source=source, load_date=LOAD_DATE, mapping_path=mapping)
    assert staff() == [
        ("S001", "林一", "relationship_manager", "senior", "440305", True),
        ("S002", "林二", "relationship_manager", "junior", "440305", False),
        ("S003", "林队", "team_lead", "", "440305", True),
        ("S004", "林总", "head_office", "principal", "440000", True),
    ]

"""The organisation tree (head office, branches, sub-branches, outlets) and its staff.

The tree is fixed; the number of relationship managers scales with the number of covered clients
(about 250 per RM). Staff are numbered so that the first of each role is a good demo login: the first
RM works in the first team of the first sub-branch, led by the first team lead, in the branch of the
first branch head.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .geo import PROVINCES, GeoTables, district_short
from .names import draw_people, person_strings

CLIENTS_PER_RM = 250
HEAD_OFFICE_STAFF = (("head_office", 3), ("risk_officer", 2), ("compliance", 2), ("administrator", 2))


@dataclass
class OrgTree:
    """Org units as parallel lists, and lookup arrays from sites to units."""

    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    level: list[str] = field(default_factory=list)
    parent: list[str | None] = field(default_factory=list)
    province: list[str] = field(default_factory=list)
    city: list[str] = field(default_factory=list)
    branch_unit: list[int] = field(default_factory=list)  # unit index of each province's branch
    site_unit: list[int] = field(default_factory=list)  # unit index of each site's sub-branch
    site_outlets: list[list[int]] = field(default_factory=list)  # outlet unit indices of each site

    def add(self, code: str, name: str, level: str, parent: str | None, province: str, city: str) -> int:
        """Append a unit and return its index."""
        for column, value in zip(
            (self.code, self.name, self.level, self.parent, self.province, self.city),
            (code, name, level, parent, province, city),
            strict=True,
        ):
            column.append(value)
        return len(self.code) - 1

    def table(self) -> pa.Table:
        """The `org_units` extract."""
        return pa.table(
            {
                "org_code": pa.array(self.code, pa.string()),
                "name": pa.array(self.name, pa.string()),
                "level": pa.array(self.level, pa.string()),
                "parent_code": pa.array(self.parent, pa.string()),
                "province": pa.array(self.province, pa.string()),
                "city": pa.array(self.city, pa.string()),
            }
        )


def build_tree(geo: GeoTables) -> OrgTree:
    """Head office `000000`, branches `BB0000`, sub-branches `BBSS00`, outlets `BBSSOO`."""
    tree = OrgTree()
    tree.add("000000", "总行", "head_office", None, "北京市", "北京市")
    site = 0
    for b, prov in enumerate(PROVINCES, start=1):
        capital = prov.cities[0].name
        bcode = f"{b:02d}0000"
        tree.branch_unit.append(tree.add(bcode, f"{prov.short}分行", "branch", "000000", prov.name, capital))
        for s, spec in enumerate(prov.sites, start=1):
            city = geo.city_name[int(geo.site_city[site])]
            sname = f"{spec.city}{district_short(spec.district)}"
            scode = f"{b:02d}{s:02d}00"
            tree.site_unit.append(tree.add(scode, f"{sname}支行", "sub_branch", bcode, prov.name, city))
            outlets = [
                tree.add(f"{b:02d}{s:02d}{o:02d}", f"{sname}{area}网点", "outlet", scode, prov.name, city)
                for o, area in enumerate(spec.areas, start=1)
            ]
            tree.site_outlets.append(outlets)
            site += 1
    return tree


@dataclass
class Staff:
    """Staff rows plus, per site, the contiguous range of its RMs (for client assignment)."""

    staff_no: list[str]
    name: pa.Array
    org_code: list[str]
    role: list[str]
    team_code: list[str | None]
    site_rm_start: np.ndarray
    site_rm_count: np.ndarray

    def table(self) -> pa.Table:
        """The `staff` extract."""
        return pa.table(
            {
                "staff_no": pa.array(self.staff_no, pa.string()),
                "name": self.name,
                "org_code": pa.array(self.org_code, pa.string()),
                "role": pa.array(self.role, pa.string()),
                "team_code": pa.array(self.team_code, pa.string()),
            }
        )


def build_staff(
    rng: np.random.Generator, tree: OrgTree, geo: GeoTables, covered_per_site: np.ndarray
) -> Staff:
    """Head-office staff, then per branch its head and per team its lead and RMs."""
    rows: list[tuple[str, str, str | None]] = []  # (org_code, role, team_code)
    for role, count in HEAD_OFFICE_STAFF:
        rows += [("000000", role, None)] * count
    n_sites = len(tree.site_unit)
    rm_start = np.zeros(n_sites, dtype=np.int64)
    rm_count = np.zeros(n_sites, dtype=np.int64)
    site = 0
    for b, prov in enumerate(PROVINCES):
        rows.append((tree.code[tree.branch_unit[b]], "branch_head", None))
        team_no = 0
        for _spec in prov.sites:
            teams = int(geo.site_teams[site])
            rms = max(teams, round(covered_per_site[site] / CLIENTS_PER_RM))
            per_team = [rms // teams + (t < rms % teams) for t in range(teams)]
            org_code = tree.code[tree.site_unit[site]]
            first_rm = -1
            for t in range(teams):
                team_no += 1
                team_code = f"T{b + 1:02d}{team_no:02d}"
                rows.append((org_code, "team_lead", team_code))
                if first_rm < 0:
                    first_rm = len(rows)
                rows += [(org_code, "relationship_manager", team_code)] * per_team[t]
            rm_start[site], rm_count[site] = first_rm, rms
            site += 1
    names = person_strings(draw_people(rng, rng.random(len(rows)) < 0.55))
    # RMs of a site are contiguous except for the team leads between teams: map rank -> row.
    return Staff(
        staff_no=[f"E{i + 1:05d}" for i in range(len(rows))],
        name=names,
        org_code=[r[0] for r in rows],
        role=[r[1] for r in rows],
        team_code=[r[2] for r in rows],
        site_rm_start=rm_start,
        site_rm_count=rm_count,
    )


def rm_rows(staff: Staff) -> np.ndarray:
    """Row indices of all RMs, ordered by site then team (rank within a site is contiguous here)."""
    return np.array([i for i, r in enumerate(staff.role) if r == "relationship_manager"], dtype=np.int64)


def assign_rms(rng: np.random.Generator, staff: Staff, site: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """A random RM of the client's sub-branch (staff row index), -1 where not covered."""
    rms = rm_rows(staff)
    site_first_rank = np.searchsorted(rms, staff.site_rm_start)
    rank = site_first_rank[site] + np.floor(rng.random(site.size) * staff.site_rm_count[site]).astype(
        np.int64
    )
    return np.where(covered, rms[rank], -1)

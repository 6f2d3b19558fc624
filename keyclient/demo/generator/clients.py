"""Client attributes as numpy columns: kind, place, age, wealth, tenure, coverage, risk profile, income.

Wealth is drawn from a piecewise-Pareto quantile function calibrated to a private bank's pyramid
(gold >= 50k, platinum >= 500k, diamond >= 6M, private banking >= 10M CNY of AUM); it is rank-correlated
with age. Strings (names, IDs, contacts) are built later in `master`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import weighted_choice
from .geo import GeoTables
from .org import OrgTree

CORPORATE_SHARE = 0.07
# Survival function of individual AUM (share of individuals with AUM >= x), interpolated log-log.
WEALTH_X = np.array([1.0, 1e2, 1e3, 1e4, 5e4, 2e5, 5e5, 2e6, 6e6, 1e7, 3e7, 1e8, 1e9])
WEALTH_S = np.array([1.0, 0.98, 0.94, 0.82, 0.62, 0.38, 0.2, 0.065, 0.022, 0.0125, 0.0008, 3.8e-5, 1.2e-7])
NEW_CLIENT_SHARE = 0.07  # opened inside the history window


@dataclass
class Customers:
    """One entry per client (index = position; customer_no = 1000000001 + index)."""

    n: int
    corporate: np.ndarray
    site: np.ndarray
    province: np.ndarray
    city: np.ndarray
    district: np.ndarray
    home_org: np.ndarray
    male: np.ndarray
    age: np.ndarray
    birth_day: np.ndarray
    wealth: np.ndarray
    open_day: np.ndarray
    covered: np.ndarray
    risk_level: np.ndarray  # 1..5, 0 = never assessed
    assessed_day: np.ndarray
    salaried: np.ndarray
    pensioner: np.ndarray
    income: np.ndarray  # monthly salary or pension, CNY
    salary_day: np.ndarray  # day of month (1-based)
    activity: np.ndarray  # multiplier of the random transaction rate
    dormant: np.ndarray
    passport: np.ndarray
    rm: np.ndarray | None = None  # staff row, -1 = none
    employer: np.ndarray | None = None  # customer index of a payroll employer, -1 = none

    @property
    def individual(self) -> np.ndarray:
        """Mask of individuals."""
        return ~self.corporate


def individual_wealth(u: np.ndarray) -> np.ndarray:
    """Inverse of the AUM survival function at survival probability `u`."""
    return np.exp(np.interp(-np.log(np.clip(u, 1e-9, 1.0)), -np.log(WEALTH_S), np.log(WEALTH_X)))


def _ncdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf), vectorised."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (
        ((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592
    ) * t * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * y)


def draw(
    rng: np.random.Generator, n: int, geo: GeoTables, tree: OrgTree, as_of: int, window_start: int
) -> Customers:
    """Draw every client attribute that needs no other client."""
    corporate = rng.random(n) < CORPORATE_SHARE
    ind = ~corporate
    # Place: province by weight, then a site of that province (bigger sites draw more clients).
    site_weight = geo.province_weight[geo.site_province] * geo.site_teams
    for p in range(len(geo.province_name)):
        mask = geo.site_province == p
        site_weight[mask] = geo.province_weight[p] * geo.site_teams[mask] / geo.site_teams[mask].sum()
    site = weighted_choice(rng, site_weight, n)
    city = geo.site_city[site]
    first = np.array([d[0] for d in geo.city_districts])
    count = np.array([d.size for d in geo.city_districts])
    other = first[city] + np.floor(rng.random(n) * count[city]).astype(np.int64)
    district = np.where(rng.random(n) < 0.6, geo.site_district[site], other)
    # Home unit: the sub-branch itself or one of its outlets.
    sub_unit = np.array(tree.site_unit)
    n_out = np.array([len(o) for o in tree.site_outlets])
    out_first = np.array([o[0] for o in tree.site_outlets])
    outlet = out_first[site] + np.floor(rng.random(n) * n_out[site]).astype(np.int64)
    home_org = np.where(rng.random(n) < 0.45, sub_unit[site], outlet)

    age = np.clip(rng.normal(46.0, 14.0, n), 18.0, 90.0)
    z_age = (age - 46.0) / 14.0
    z = 0.35 * z_age + np.sqrt(1 - 0.35**2) * rng.standard_normal(n)
    wealth = individual_wealth(1.0 - _ncdf(z))
    corp_wealth = np.clip(np.exp(rng.normal(np.log(3e6), 1.7, n)), 2e4, 8e10)
    wealth = np.where(corporate, corp_wealth, wealth)
    birth_day = (as_of - np.floor(age * 365.25)).astype(np.int64)
    male = np.where(ind, rng.random(n) < 0.52 + 0.08 * (wealth >= 5e6), False)

    # Tenure: a share opened inside the window, the rest before it (older and richer: longer).
    tenure_years = np.minimum(
        1.0 + rng.exponential(6.0 + 2.0 * (wealth >= 5e5), n), np.maximum(age - 18.0, 1.0)
    )
    old_open = window_start - 30 - np.floor(tenure_years * 365.25).astype(np.int64)
    new_open = window_start + np.floor(rng.random(n) * (as_of - window_start - 10)).astype(np.int64)
    open_day = np.where(rng.random(n) < NEW_CLIENT_SHARE, new_open, old_open)

    u = rng.random(n)
    covered = (wealth >= 1e7) | (corporate & (u < 0.99)) | ((wealth >= 4e4) & (u < 0.985)) | (u < 0.12)

    # Risk tolerance C1..C5: richer and younger clients accept more risk; some never assessed.
    score = rng.normal(0.0, 1.0, n) + 0.35 * np.log10(np.maximum(wealth, 1.0)) - 0.025 * (age - 46.0)
    cuts = np.quantile(score, [0.12, 0.35, 0.65, 0.88])
    risk_level = 1 + np.searchsorted(cuts, score)
    assessed = rng.random(n) < np.where(corporate, 0.7, np.where(wealth >= 5e4, 0.95, 0.7))
    risk_level = np.where(assessed, risk_level, 0)
    stale = rng.random(n) < 0.3
    ago = np.where(stale, rng.integers(366, 1100, n), rng.integers(0, 365, n))
    assessed_day = np.maximum(as_of - ago, open_day)

    salaried = ind & (age >= 22) & (age < 60) & (rng.random(n) < 0.82)
    pensioner = ind & (age >= 60) & (rng.random(n) < 0.85)
    income = (
        np.exp(rng.normal(np.log(9000.0), 0.55, n))
        * np.clip(np.maximum(wealth, 1e3) / 1e5, 0.2, 50.0) ** 0.22
    )
    income = np.where(pensioner, np.clip(income * 0.45, 2500, 20000), np.clip(income, 2800, 400000))
    salary_day = np.array([5, 10, 10, 15, 15, 20, 25])[rng.integers(0, 7, n)]
    activity = rng.lognormal(-0.32, 0.8, n) * np.where(corporate, 4.0, 1.0)
    dormant = ind & (wealth < 2e4) & (rng.random(n) < 0.05)
    salaried &= ~dormant
    pensioner &= ~dormant
    passport = ind & (rng.random(n) < 0.02)
    return Customers(
        n=n,
        corporate=corporate,
        site=site,
        province=geo.site_province[site],
        city=city,
        district=district,
        home_org=home_org,
        male=male,
        age=age,
        birth_day=birth_day,
        wealth=wealth,
        open_day=open_day,
        covered=covered,
        risk_level=risk_level,
        assessed_day=assessed_day,
        salaried=salaried,
        pensioner=pensioner,
        income=income,
        salary_day=salary_day,
        activity=activity,
        dormant=dormant,
        passport=passport,
    )


def covered_per_site(c: Customers, n_sites: int) -> np.ndarray:
    """Number of covered clients of each sub-branch (sizes the RM teams)."""
    return np.bincount(c.site[c.covered], minlength=n_sites)

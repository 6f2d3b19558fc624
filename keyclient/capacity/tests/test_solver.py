"""The min-cost flow against a brute-force optimum on small cases: the same (over, unplaced, moved)."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from keyclient.capacity.solver import Norm, Rm, Solution, norm_index, solve

NORMS = [
    Norm("senior", ("private_banking", "diamond"), 2, 1),
    Norm("senior", ("gold",), 3),
    Norm("junior", ("gold",), 2),
    Norm("junior", ("diamond",), 1),
]
TIERS = ("private_banking", "diamond", "gold")


def _instance(seed: int) -> tuple[list[Rm], list[tuple[int | None, int, str]], dict[tuple[int, int], int]]:
    rng = random.Random(seed)
    rms = [
        Rm(i, rng.randint(1, 2), rng.choice(["senior", "junior"])) for i in range(1, rng.randint(2, 4) + 1)
    ]
    covers = norm_index(NORMS)
    clients: list[tuple[int | None, int, str]] = []  # (rm or None, unit, tier)
    for _ in range(rng.randint(2, 7)):
        tier = rng.choice(TIERS)
        if rng.random() < 0.3:
            clients.append((None, rng.randint(1, 2), tier))
        else:
            r = rng.choice(rms)
            if (r.grade, tier) in covers:
                clients.append((r.id, r.unit, tier))
    fixed = {
        (r.id, n): rng.choice([0, 0, 1, 3])
        for r in rms
        for n in range(len(NORMS))
        if NORMS[n].grade == r.grade
    }
    return rms, clients, fixed


def _objective(
    rms: list[Rm],
    clients: list[tuple[int | None, int, str]],
    fixed: dict[tuple[int, int], int],
    to: list[int | None],
) -> tuple[int, int, int]:
    covers = norm_index(NORMS)
    grade = {r.id: r.grade for r in rms}
    load = Counter(fixed)
    for (_rm, _unit, tier), dest in zip(clients, to, strict=True):
        if dest is not None:
            load[(dest, covers[(grade[dest], tier)])] += 1
    over = sum(max(0, load[k] - max(NORMS[k[1]].max_clients, fixed.get(k, 0))) for k in load)
    unplaced = sum(1 for c, d in zip(clients, to, strict=True) if c[0] is None and d is None)
    moved = sum(1 for c, d in zip(clients, to, strict=True) if d is not None and d != c[0])
    return over, unplaced, moved


def _brute(
    rms: list[Rm], clients: list[tuple[int | None, int, str]], fixed: dict[tuple[int, int], int]
) -> tuple[int, int, int]:
    covers = norm_index(NORMS)
    options = []
    for rm, unit, tier in clients:
        eligible = [r.id for r in rms if r.unit == unit and (r.grade, tier) in covers]
        options.append([rm, *[e for e in eligible if e != rm]])
    return min(_objective(rms, clients, fixed, list(choice)) for choice in itertools.product(*options))


def _solve(
    rms: list[Rm], clients: list[tuple[int | None, int, str]], fixed: dict[tuple[int, int], int]
) -> Solution:
    books = Counter((rm, tier) for rm, _unit, tier in clients if rm is not None)
    uncovered = Counter((unit, tier) for rm, unit, tier in clients if rm is None)
    return solve(rms=rms, norms=NORMS, books=dict(books), fixed=fixed, uncovered=dict(uncovered))


def _applied(clients: list[tuple[int | None, int, str]], solution: Solution) -> list[int | None]:
    """The destination of each client once the solution's moves are applied (any clients of the
    moved (book, tier) or (unit, tier) pool: they are interchangeable)."""
    left = Counter()
    for m in solution.moves:
        left[(m.from_rm, m.unit if m.from_rm is None else None, m.tier, m.to_rm)] += m.count
    to: list[int | None] = []
    for rm, unit, tier in clients:
        dest = rm
        for key in list(left):
            if left[key] and key[0] == rm and key[2] == tier and (rm is not None or key[1] == unit):
                left[key] -= 1
                dest = key[3]
                break
        to.append(dest)
    assert not +left, "every move applies to a client"
    return to


@pytest.mark.parametrize("seed", range(60))
def test_flow_equals_the_brute_force_optimum(seed: int) -> None:
    rms, clients, fixed = _instance(seed)
    solution = _solve(rms, clients, fixed)
    assert solution.cost == _brute(rms, clients, fixed)
    assert _objective(rms, clients, fixed, _applied(clients, solution)) == solution.cost


def test_an_overloaded_book_sheds_exactly_its_excess_to_the_unit() -> None:
    rms = [Rm(1, 10, "senior"), Rm(2, 10, "senior"), Rm(3, 20, "senior")]
    books = {(1, "diamond"): 5}  # norm: at most 2 private or diamond
    solution = solve(rms=rms, norms=NORMS, books=books, fixed={}, uncovered={(10, "gold"): 1})
    assert solution.cost == (1, 0, 3)  # RM 2 takes 2; one stays over (RM 3 is another unit)
    assert sorted((m.from_rm, m.to_rm, m.tier, m.count) for m in solution.moves if m.from_rm) == [
        (1, 2, "diamond", 2)
    ]
    assert [(m.from_rm, m.tier, m.count) for m in solution.moves if m.from_rm is None] == [(None, "gold", 1)]


def test_a_chain_move_when_no_direct_room() -> None:
    """A junior's gold client cannot go to the full senior directly; the senior's gold client makes
    room by going to a second junior? No: the flow finds the cheapest feasible set of moves."""
    rms = [Rm(1, 1, "junior"), Rm(2, 1, "junior")]
    books = {(1, "gold"): 3, (2, "gold"): 1}  # junior gold norm: at most 2
    solution = solve(rms=rms, norms=NORMS, books=books, fixed={}, uncovered={})
    assert solution.cost == (0, 0, 1)
    assert [(m.from_rm, m.to_rm, m.count) for m in solution.moves] == [(1, 2, 1)]

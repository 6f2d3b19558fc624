"""The assignment-suggestion model: a min-cost flow over counts, not over clients (ADR 0007).

Pure: no database. The caller gives the RMs, the capacity norms, the movable clients of each book
counted per (RM, tier), the fixed load of each (RM, norm) (clients that may not move, e.g. household
members), and the uncovered key clients counted per (unit, tier). `solve` returns how many clients
move from each book (or from the uncovered pool) to each RM, per tier, such that, in this order:

1. as few clients as possible stay in a book above its norm (no norm is broken when a plan exists),
2. as few uncovered key clients as possible stay uncovered,
3. as few clients as possible move (a move and a first assignment both count one).

Network: a supply node per book (RM, tier) and per uncovered pool (unit, tier); a hub per (unit,
tier); a capacity node per (RM, norm); one sink. A book's clients stay (arc to its own capacity
node, cost 0) or move (arc to the hub of the RM's unit, cost 1); the hub feeds every capacity node
of its unit whose norm covers the tier (cost 0). A capacity node takes at most the norm's maximum
less its fixed load. Clients that find no room stay in their book above the norm (cost `OVER`) or
stay uncovered (cost `UNPLACED`); `OVER` > `UNPLACED` × every client > every move, so the costs
order the three aims lexicographically. Clients of one tier in one book are interchangeable, so the
flow is exact; the arcs grow with RMs × tiers, never with clients.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ortools.graph.python import min_cost_flow


@dataclass(frozen=True)
class Norm:
    """At most `max_clients` (and at least `min_clients`) clients of `tiers` per RM of `grade`."""

    grade: str
    tiers: tuple[str, ...]
    max_clients: int
    min_clients: int = 0


@dataclass(frozen=True)
class Rm:
    id: int
    unit: int
    grade: str


@dataclass(frozen=True)
class Move:
    """`count` clients of `tier` go from `from_rm` (None: uncovered, homed in `unit`) to `to_rm`."""

    tier: str
    unit: int
    from_rm: int | None
    to_rm: int
    count: int


@dataclass(frozen=True)
class Solution:
    moves: list[Move]
    over: int  # clients left in a book above its norm
    unplaced: int  # uncovered key clients left uncovered
    moved: int  # clients moved or newly assigned

    @property
    def cost(self) -> tuple[int, int, int]:
        return (self.over, self.unplaced, self.moved)


def norm_index(norms: Iterable[Norm]) -> dict[tuple[str, str], int]:
    """(grade, tier) → the index of the norm that covers it (validated unique)."""
    return {(n.grade, t): i for i, n in enumerate(norms) for t in n.tiers}


def solve(
    *,
    rms: list[Rm],
    norms: list[Norm],
    books: dict[tuple[int, str], int],
    fixed: dict[tuple[int, int], int],
    uncovered: dict[tuple[int, str], int],
) -> Solution:
    """The plan of moves (see the module); `books[(rm, tier)]` movable clients, `fixed[(rm, norm)]`
    clients that stay whatever happens, `uncovered[(unit, tier)]` key clients without an RM."""
    covers = norm_index(norms)
    rm_of = {r.id: r for r in rms}
    total = sum(books.values()) + sum(uncovered.values())
    unplaced_cost = total + 1
    over_cost = unplaced_cost * (total + 1)

    graph = min_cost_flow.SimpleMinCostFlow()
    nodes: dict[tuple[object, ...], int] = {}

    def node(key: tuple[object, ...]) -> int:
        return nodes.setdefault(key, len(nodes))

    sink = node(("sink",))
    supply: dict[int, int] = defaultdict(int)
    arcs: dict[int, tuple[object, ...]] = {}

    def arc(tail: int, head: int, capacity: int, cost: int, label: tuple[object, ...]) -> None:
        arcs[graph.add_arc_with_capacity_and_unit_cost(tail, head, capacity, cost)] = label

    # Capacity nodes of every RM and norm of its grade, and the hubs they are fed from.
    for r in rms:
        for tier_key, n in ((t, covers.get((r.grade, t))) for t in _tiers(norms)):
            if n is None:
                continue
            room = max(0, norms[n].max_clients - fixed.get((r.id, n), 0))
            cap = node(("cap", r.id, n))
            if ("capsink", r.id, n) not in nodes:
                node(("capsink", r.id, n))
                arc(cap, sink, room, 0, ("capsink",))
            arc(node(("hub", r.unit, tier_key)), cap, total, 0, ("in", r.id, tier_key))
    for (rm_id, tier), count in books.items():
        r = rm_of[rm_id]
        n = covers.get((r.grade, tier))
        if count <= 0 or n is None:
            continue  # a tier the grade has no norm for: no limit to keep, nothing to move
        book = node(("book", rm_id, tier))
        supply[book] += count
        arc(book, node(("cap", rm_id, n)), count, 0, ("stay",))
        arc(book, node(("hub", r.unit, tier)), count, 1, ("out", rm_id, tier))
        arc(book, sink, count, over_cost, ("over",))
    for (unit, tier), count in uncovered.items():
        if count <= 0:
            continue
        pool = node(("pool", unit, tier))
        supply[pool] += count
        arc(pool, node(("hub", unit, tier)), count, 1, ("new", unit, tier))
        arc(pool, sink, count, unplaced_cost, ("unplaced",))
    placed = sum(supply.values())
    for key, index in nodes.items():
        graph.set_node_supply(index, supply.get(index, 0) if key[0] != "sink" else -placed)
    status = graph.solve()
    if status != graph.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return _decompose(graph, arcs, rm_of)


def _tiers(norms: list[Norm]) -> list[str]:
    return sorted({t for n in norms for t in n.tiers})


def _decompose(
    graph: min_cost_flow.SimpleMinCostFlow, arcs: dict[int, tuple[object, ...]], rm_of: dict[int, Rm]
) -> Solution:
    """Pair, per hub (unit, tier), the clients that leave a book or the pool with the RMs that take them."""
    senders: dict[tuple[int, str], list[tuple[int | None, int]]] = defaultdict(list)
    takers: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    over = unplaced = 0
    for index, label in arcs.items():
        flow = int(graph.flow(index))
        if not flow:
            continue
        kind = label[0]
        if kind == "over":
            over += flow
        elif kind == "unplaced":
            unplaced += flow
        elif kind == "out":
            rm_id = int(label[1])  # type: ignore[call-overload]
            senders[(rm_of[rm_id].unit, str(label[2]))].append((rm_id, flow))
        elif kind == "new":
            senders[(int(label[1]), str(label[2]))].append((None, flow))  # type: ignore[call-overload]
        elif kind == "in":
            rm_id = int(label[1])  # type: ignore[call-overload]
            takers[(rm_of[rm_id].unit, str(label[2]))].append((rm_id, flow))
    moves: list[Move] = []
    for (unit, tier), out in sorted(senders.items()):
        queue = takers[(unit, tier)]
        for from_rm, leaving in out:
            while leaving:
                to_rm, room = queue[0]
                count = min(leaving, room)
                moves.append(Move(tier, unit, from_rm, to_rm, count))
                leaving -= count
                queue[0] = (to_rm, room - count)
                if not queue[0][1]:
                    queue.pop(0)
    return Solution(moves=moves, over=over, unplaced=unplaced, moved=sum(m.count for m in moves))

"""Can PostgreSQL serve each read pattern at its stated rate and latency? The caching evidence.

A pattern's cost is its planner cost with the design's indexes at the stated volume (the
index gate's plan; one that reads most of a sampled-down table costs that many times more);
a pattern nobody planned counts as one index lookup (`LOOKUP_COST`). One call takes
`OVERHEAD_MS` (parse, bind, network, executor start: with it a node of `BASE_CORES` cores
serves `READS_PER_NODE` cheap reads/s, the capacity constant) plus `MS_PER_COST` per cost
unit (one sequential page read from memory). The load of a pattern is rate x time, in
core-milliseconds per second; nodes are kept below `UTILIZATION` of their cores at peak.

Writes run on the primary. Under eventual consistency reads spread over the primary and
every replica; under strong consistency they stay on the primary (an asynchronous replica
can lag). A pattern needs help when one call is slower than its latency target, or when the
reads its nodes carry exceed their capacity: then the heaviest patterns are helped first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from agent.brains.rules.scaling.capacity import BASE_CORES, READS_PER_NODE
from agent.brains.rules.volumes import pattern_rate
from agent.package import PatternPlan
from agent.spec import AccessPattern, Requirements
from agent.stages import ReplicaPlan

MS_PER_COST = 0.01  # a planner cost unit is one sequential page fetch: ~10 us from memory
OVERHEAD_MS = BASE_CORES * 1000 / READS_PER_NODE  # 1.6 ms of a core per statement
UTILIZATION = 0.7  # of a node's cores busy at peak, leaving room for vacuum and spikes
LOOKUP_COST = 10.0  # an index lookup, for a pattern the index gate did not plan


@dataclass(frozen=True)
class ReadLoad:
    pattern: AccessPattern
    cost: float  # at the stated volume
    planned: bool

    @property
    def rate(self) -> float:
        return pattern_rate(self.pattern)

    @property
    def ms(self) -> float:
        return OVERHEAD_MS + self.cost * MS_PER_COST

    @property
    def load(self) -> float:
        """Core-milliseconds per second this pattern asks of the database at peak."""
        return self.rate * self.ms


@dataclass(frozen=True)
class Capacity:
    """What the planned nodes give reads, and what the stated reads and writes ask."""

    nodes: int  # nodes that serve these reads
    cores: int
    writes: float  # core-ms/s the writes take on the primary
    demand: float  # core-ms/s the reads ask
    strong: bool

    @property
    def available(self) -> float:
        """Core-ms/s left for reads on the nodes that serve them."""
        return self.nodes * self.cores * 1000 * UTILIZATION - self.writes

    @property
    def cores_needed(self) -> int:
        """Cores one primary needs to carry every read and write itself."""
        return math.ceil((self.demand + self.writes) / 1000 / UTILIZATION)


def read_loads(spec: Requirements, plans: Sequence[PatternPlan]) -> list[ReadLoad]:
    """Every read pattern with its cost at the stated volume (planned, else one lookup)."""
    costs = {p.pattern: p.stated_cost or p.total_cost for p in plans}
    return [
        ReadLoad(p, costs.get(p.name, LOOKUP_COST), p.name in costs)
        for p in spec.access_patterns
        if not p.is_write
    ]


def capacity(
    spec: Requirements, loads: Sequence[ReadLoad], cores: int, replicas: ReplicaPlan
) -> Capacity:
    strong = (spec.consistency or "strong") == "strong"
    nodes = 1 if strong else 1 + replicas.read_replicas
    writes = sum(pattern_rate(p) * OVERHEAD_MS for p in spec.access_patterns if p.is_write)
    return Capacity(nodes, cores, writes, sum(r.load for r in loads), strong)


def needing_help(loads: Sequence[ReadLoad], room: Capacity) -> dict[str, str]:
    """Pattern name -> why the database alone cannot serve it (slow, or over capacity)."""
    found: dict[str, str] = {}
    for read in loads:
        target = read.pattern.latency_ms
        if target is not None and read.ms > target:
            found[read.pattern.name] = (
                f"one call takes ~{read.ms:,.1f} ms on the database (cost {read.cost:,.0f}), "
                f"over its {target:g} ms target"
            )
    demand = room.demand - sum(r.load for r in loads if r.pattern.name in found)
    for read in sorted(loads, key=lambda r: -r.load):
        if demand <= room.available:
            break
        if read.pattern.name in found:
            continue
        found[read.pattern.name] = (
            f"{read.rate:,.0f}/s x ~{read.ms:,.1f} ms = {read.load / 1000:,.1f} cores; the "
            f"reads ask {room.demand / 1000:,.1f} cores of the {room.available / 1000:,.1f} "
            f"the {room.nodes} node(s) give reads"
        )
        demand -= read.load
    return found


def served_by_database(read: ReadLoad, room: Capacity) -> tuple[str, str]:
    """Where a pattern the database can serve runs, and the numbers that show it can."""
    where = "primary" if room.strong or room.nodes == 1 else "primary and replicas"
    target = read.pattern.latency_ms
    fits = f"within its {target:g} ms target" if target else "no latency target stated"
    return where, (
        f"~{read.ms:,.1f} ms a call, {fits}; {read.load / 1000:,.2f} cores at its peak rate, "
        "within the read capacity"
    )


def capacity_note(room: Capacity) -> str:
    """The one sentence that says whether the reads fit, for the plan's notes."""
    where = (
        "the primary (strong consistency keeps reads there)"
        if room.strong
        else f"the primary and {room.nodes - 1} replica(s)"
    )
    return (
        f"Read capacity: the read patterns ask {room.demand / 1000:,.1f} cores at peak of the "
        f"{room.available / 1000:,.1f} that {where} give reads ({room.nodes} node(s) of "
        f"{room.cores} cores at {UTILIZATION:.0%}, less {room.writes / 1000:,.1f} for writes)."
    )

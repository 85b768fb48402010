"""Scale gate on an existing schema: every table with a stated volume is sized, and every
partitioned table has a partition plan (the design's scaling gate, read against the tables
the schema really has rather than the spec's naming contract)."""

from __future__ import annotations

from agent.context import RunContext
from agent.gates import Verdict, fail
from agent.state import DesignState

GATE = "scaling_consistent"


def check_scale(state: DesignState, ctx: RunContext) -> list[Verdict]:
    plan, current = state.scaling, state.current
    assert plan is not None and current is not None
    verdict = Verdict(gate=GATE)
    planned = {p.table for p in plan.partitioning}
    for part in current.partitioning:
        if part.table not in planned:
            message = f"partitioned table {part.table} has no partition plan"
            verdict.findings.append(fail(GATE, message, table=part.table))
    sized = {s.table for s in plan.sizes}
    for table in current.tables:
        if table.estimated_rows and table.name not in sized:
            message = f"no size estimate for {table.name} ({table.estimated_rows:,} rows stated)"
            verdict.findings.append(fail(GATE, message, table=table.name))
    verdict.notes.append(f"{len(sized)} tables sized, {len(planned)} partition plan(s)")
    return [verdict]

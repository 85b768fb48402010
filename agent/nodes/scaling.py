"""Scaling: sizes, partitioning and retention, replicas, pooling, caching, sharding, backup."""

from __future__ import annotations

from typing import Any

from agent.context import RunContext
from agent.nodes.common import existing_engine
from agent.stages import IndexPlan
from agent.state import DesignState


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None and state.schema_design is not None
    tech = state.technology or existing_engine()
    plan = await ctx.brain.scaling(
        state.spec,
        tech,
        state.schema_design,
        state.indexes or IndexPlan(),
        state.findings,
        plans=state.plans,
    )
    return {"scaling": plan, "findings": []}

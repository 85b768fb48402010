"""ADRs: one MADR record per major decision the earlier stages made."""

from __future__ import annotations

from typing import Any

from agent.context import RunContext
from agent.nodes.common import existing_engine
from agent.stages import IndexPlan, ScalingPlan, SchemaDesign
from agent.state import DesignState


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None
    adrs = await ctx.brain.adrs(
        state.spec,
        state.technology or existing_engine(),
        state.schema_design or SchemaDesign(ddl=""),
        state.indexes or IndexPlan(),
        state.scaling or ScalingPlan(),
        state.findings,
    )
    return {"adrs": adrs, "findings": []}

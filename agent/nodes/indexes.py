"""Indexes: from the access patterns, each to be proven by EXPLAIN at the stated volumes."""

from __future__ import annotations

from typing import Any

from agent.context import RunContext
from agent.state import DesignState


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None and state.schema_design is not None
    plan = await ctx.brain.indexes(state.spec, state.schema_design, state.findings)
    return {"indexes": plan, "findings": []}

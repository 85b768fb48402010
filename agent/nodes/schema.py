"""Schema: DDL for the spec (or the target spec of a migration), checked by its gate."""

from __future__ import annotations

from typing import Any

from agent.context import RunContext
from agent.state import DesignState


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None and state.technology is not None
    design = await ctx.brain.schema(state.spec, state.technology, state.findings)
    return {"schema_design": design, "findings": []}

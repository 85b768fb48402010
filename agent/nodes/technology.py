"""Technology: the primary store from a scored decision matrix, with alternatives."""

from __future__ import annotations

from typing import Any

from agent.context import RunContext
from agent.state import DesignState


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None
    decision = await ctx.brain.technology(state.spec, state.findings)
    return {"technology": decision, "findings": []}

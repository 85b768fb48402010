"""Optimize: findings, query rewrites and indexes for an existing schema and its workload."""

from __future__ import annotations

from typing import Any

from agent.context import RunContext
from agent.state import DesignState


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None and state.current is not None
    report = await ctx.brain.optimize(state.spec, state.current, state.findings)
    return {"optimization": report, "indexes": report.indexes, "findings": []}

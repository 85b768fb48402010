"""Migrate: the target schema (designed from the spec, or given as SQL), then the online plan."""

from __future__ import annotations

from typing import Any

from agent.context import RunContext
from agent.ddl import summarize_schema
from agent.mode_inputs import table_rows
from agent.nodes.common import existing_engine
from agent.state import DesignState
from tools.sql.parse import parse_schema


async def target(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    """The schema to arrive at: the given target SQL as is, else the brain's design for the spec."""
    assert state.spec is not None
    sql = state.request.target_schema
    if sql:
        schema = parse_schema(sql, file="target.sql")
        rows = table_rows(state.spec, schema, state.request.rows, strict=False)
        return {"schema_design": summarize_schema(schema, sql, rows, state.spec), "findings": []}
    tech = state.technology or existing_engine()
    design = await ctx.brain.schema(state.spec, tech, state.findings)
    return {"schema_design": design, "findings": []}


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    assert state.spec is not None and state.current is not None
    assert state.schema_design is not None
    plan = await ctx.brain.migrate(state.spec, state.current, state.schema_design, state.findings)
    return {"migration": plan, "findings": []}

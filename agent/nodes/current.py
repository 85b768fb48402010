"""Inputs of the modes that start from an existing schema: the working spec and the current schema.

`requirements` wraps the requirements stage: it checks the mode's inputs, derives a spec
from the schema when optimize or scale run without one, and merges a `--workload` file into
the spec's access patterns. `run` is the deterministic `current` stage: the parser, not a
brain, says what the existing schema holds.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agent.context import RunContext
from agent.ddl import summarize_schema
from agent.mode_inputs import check_mode_inputs, derive_spec, merge_workload, table_rows
from agent.nodes import requirements as requirements_stage
from agent.spec import Requirements
from agent.state import DesignRequest, DesignState
from tools.sql.parse import parse_schema
from tools.sql.pg_features import NEWEST, OLDEST
from tools.sql.server import server_version


async def requirements(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    request = state.request
    check_mode_inputs(request)
    if request.spec is None and not request.text:
        source = request.current_schema or request.target_schema or ""
        schema = parse_schema(source, file=request.schema_name)
        derived = derive_spec(schema, request.workload, request.schema_name)
        spec = await asyncio.to_thread(with_target, derived, request, ctx)  # reads the server
        workload = len(spec.access_patterns)
        return {
            "spec": spec,
            "assumptions": [
                f"No requirements spec: the spec stands for the {len(spec.entities)} tables of "
                f"the existing schema and the {workload} workload queries; rates are assumed "
                "(1 per second each) and volumes come from --rows, else stated defaults."
            ],
        }
    update = await requirements_stage.run(state, ctx)
    merged = merge_workload(update["spec"], request.workload)
    update["spec"] = await asyncio.to_thread(with_target, merged, request, ctx)
    return update


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    request = state.request
    assert request.current_schema is not None and state.spec is not None
    schema = parse_schema(request.current_schema, file=request.schema_name or "current.sql")
    rows = table_rows(state.spec, schema, request.rows, strict=request.mode != "migrate")
    design = summarize_schema(schema, request.current_schema, rows, state.spec)
    update: dict[str, Any] = {"current": design, "findings": []}
    if request.mode != "migrate":  # optimize and scale work on the schema as it is
        update["schema_design"] = design
    return update


def with_target(spec: Requirements, request: DesignRequest, ctx: RunContext) -> Requirements:
    """The PostgreSQL major version the design targets: `--pg-version` (the request) wins
    over the spec's `pg_version`; without either the target is the version of the server
    the gates run on (the embedded 18, or whatever DATABASE_URL points at, read from the
    server itself). Every stage then reads `spec.pg_version` (`agent.pg_target`)."""
    version = request.pg_version or spec.pg_version or server_major(ctx)
    if spec.pg_version == version:
        return spec
    return spec.model_copy(update={"pg_version": version})


def server_major(ctx: RunContext) -> int:
    """The gates' server's major version, within the range the version table knows."""
    major = server_version(ctx.pg()) // 10000
    return min(max(major, OLDEST), NEWEST)

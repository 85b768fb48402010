"""The `design` tool for MCP clients: one design run, awaited, its outcome returned whole.

A parent agent that delegates over MCP waits for the result in the same call; HTTP callers
get a job instead (POST /v1/designs). Both go through `agent.engine.run_design`.
"""

from __future__ import annotations

from agent.brains.factory import make_brain
from agent.context import RunContext
from agent.engine import RunOutcome, run_design
from agent.service.config import ServiceSettings
from agent.service.design.input import DesignInput
from agent.service.errors import ServiceUnavailable

DESIGN_DESCRIPTION = (
    "Design a PostgreSQL data layer from a requirements spec: technology choice, DDL applied "
    "to a real PostgreSQL, indexes proven by EXPLAIN on the stated workload, a scaling plan, a "
    "Mermaid ERD and ADRs. Missing requirements become stated assumptions. Returns status "
    "'done' with the whole design package, or 'failed' with the gate that gave up and why."
)


async def design(args: DesignInput, settings: ServiceSettings) -> RunOutcome:
    # No one can answer questions mid-call over MCP: state assumptions instead of asking.
    request = args.request().model_copy(update={"interactive": False})
    brain = args.brain_name(settings)
    if brain == "anthropic" and not settings.has_model:
        raise ServiceUnavailable(
            "the anthropic brain needs ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL; use 'rules'"
        )
    ctx = RunContext(brain=make_brain(brain, settings), settings=settings)
    return await run_design(request, ctx)

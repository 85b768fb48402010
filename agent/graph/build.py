"""The design workflow as a LangGraph state machine: each stage followed by its gate.

    requirements -> technology -> schema -> indexes -> scaling -> adr   (mode "design")
    requirements -> current -> optimize -> adr                          (mode "optimize")
    requirements -> current -> target -> migrate -> adr                 (mode "migrate")
    requirements -> current -> scale -> adr                             (mode "scale")
    requirements -> technology -> adr                                   (mode "compare")

A gate that fails sends its stage back with the findings (bounded by
`Settings.gate_retries`), then routes to `fail`, which ends the run with a message naming
the gate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.gates import Gate, Verdict
from agent.gates.caching import check_caching_ddl
from agent.gates.claims import claims_gate
from agent.gates.current import check_current
from agent.gates.indexes import check_indexes
from agent.gates.migrate import check_migrate, check_target
from agent.gates.optimize import check_optimize
from agent.gates.plans import check_adrs, check_requirements, check_scaling, check_technology
from agent.gates.scale import check_scale
from agent.gates.schema import check_schema
from agent.graph.routing import STAGES_BY_MODE, after_gate
from agent.nodes import current, indexes, migrate, mode_adr, optimize, scaling, schema, technology
from agent.nodes.common import NodeFn, StageBody, stage_node
from agent.package import GateResult, Mode
from agent.state import DesignState

STAGE_BODIES: dict[str, StageBody] = {
    "requirements": current.requirements,  # the spec, or one derived from a current schema
    "current": current.run,
    "technology": technology.run,
    "schema": schema.run,
    "indexes": indexes.run,
    "optimize": optimize.run,
    "scaling": scaling.run,
    "scale": scaling.run,  # the same stage on an existing schema
    "target": migrate.target,
    "migrate": migrate.run,
    "adr": mode_adr.run,  # the brain's ADRs for a design; the mode's own record otherwise
}

STAGE_GATES: dict[str, Sequence[Gate]] = {
    "requirements": (check_requirements,),
    "current": (check_current,),
    "technology": (check_technology,),
    "schema": (check_schema, claims_gate("schema")),
    "indexes": (check_indexes, claims_gate("indexes")),
    "optimize": (check_optimize,),
    "scaling": (check_scaling, check_caching_ddl, claims_gate("scaling")),
    "scale": (check_scale, check_caching_ddl),
    "target": (check_target,),
    "migrate": (check_migrate,),
    "adr": (check_adrs, claims_gate("adr")),
}


def gate_node(stage: str, gates: Sequence[Gate]) -> NodeFn:
    """Run the stage's gates (in a thread: they talk to PostgreSQL) and record verdicts."""

    async def node(state: DesignState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        verdicts: list[Verdict] = []
        for gate in gates:
            verdicts += await asyncio.to_thread(gate, state, ctx)
        attempt = state.attempt(stage)
        update: dict[str, Any] = {}
        for verdict in verdicts:
            update.update(verdict.update)
            kind = "gate_pass" if verdict.passed else "gate_fail"
            detail = "; ".join(f.message for f in verdict.findings[:3])
            ctx.emit(
                kind, stage, f"{verdict.gate}: {detail or 'ok'}", gate=verdict.gate, attempt=attempt
            )
        update["checks"] = [
            GateResult(
                gate=v.gate,
                stage=stage,
                attempt=attempt,
                passed=v.passed,
                findings=[f.message for f in v.findings] + v.notes,
            )
            for v in verdicts
        ]
        update["findings"] = [f for v in verdicts for f in v.findings if f.severity == "error"]
        return update

    node.__name__ = f"gate_{stage}"
    return node


async def fail_node(state: DesignState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Give up: say which gate failed and why, after how many attempts."""
    failing = [c for c in state.checks if not c.passed]
    last = failing[-1] if failing else None
    if last is None:
        message = "the run failed without a failing gate"
    else:
        message = (
            f"gate '{last.gate}' failed after {last.attempt} attempt(s) of stage "
            f"'{last.stage}': " + "; ".join(last.findings[:5])
        )
    runtime.context.emit("run_failed", last.stage if last else None, message)
    return {"failed": message}


def build_graph(mode: Mode, max_retries: int) -> StateGraph[DesignState, RunContext, Any, Any]:
    stages = STAGES_BY_MODE[mode]
    graph: StateGraph[DesignState, RunContext, Any, Any] = StateGraph(
        DesignState, context_schema=RunContext
    )
    graph.add_node("fail", fail_node)
    graph.add_edge("fail", END)
    graph.add_edge(START, stages[0])
    for position, stage in enumerate(stages):
        gate = f"gate_{stage}"
        graph.add_node(stage, stage_node(stage, STAGE_BODIES[stage]))
        graph.add_node(gate, gate_node(stage, STAGE_GATES[stage]))
        graph.add_edge(stage, gate)
        following = stages[position + 1] if position + 1 < len(stages) else END
        graph.add_conditional_edges(
            gate, _router(stage, max_retries), {"retry": stage, "next": following, "fail": "fail"}
        )
    return graph


def _router(stage: str, max_retries: int) -> Any:
    def route(state: DesignState) -> str:
        return after_gate(state, stage, max_retries)

    route.__name__ = f"route_after_{stage}"
    return route


def compile_graph(
    mode: Mode, max_retries: int, checkpointer: BaseCheckpointSaver[Any] | None = None
) -> CompiledStateGraph[DesignState, RunContext, Any, Any]:
    return build_graph(mode, max_retries).compile(checkpointer=checkpointer)

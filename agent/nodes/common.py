"""What every stage node does around its brain call: count the attempt, report progress."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.stages import TechnologyDecision
from agent.state import DesignState


class NodeFn(Protocol):
    """A graph node as LangGraph calls it: the state, and the run context by keyword."""

    def __call__(
        self, state: DesignState, *, runtime: Runtime[RunContext]
    ) -> Awaitable[dict[str, Any]]: ...


StageBody = Callable[[DesignState, RunContext], Awaitable[dict[str, Any]]]


def stage_node(stage: str, body: StageBody) -> NodeFn:
    """Wrap a stage body: bump its attempt counter and emit start/done events."""

    async def node(state: DesignState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        attempt = state.attempt(stage) + 1
        if attempt > 1:
            ctx.emit(
                "retry",
                stage,
                f"attempt {attempt}: addressing {len(state.findings)} finding(s) from the gate",
                attempt=attempt,
            )
        ctx.emit("stage_start", stage, attempt=attempt)
        update = await body(state, ctx)
        update["attempts"] = {**state.attempts, stage: attempt}
        ctx.emit("stage_done", stage, attempt=attempt)
        return update

    node.__name__ = stage
    return node


def existing_engine() -> TechnologyDecision:
    """Modes that start from an existing schema keep its engine: PostgreSQL."""
    return TechnologyDecision.model_validate(
        {
            "primary": {"category": "relational", "product": "PostgreSQL", "engine": "postgresql"},
            "rationale": "The existing schema runs on PostgreSQL; the plan keeps the engine.",
        }
    )

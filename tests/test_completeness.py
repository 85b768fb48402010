"""No package from a run that is not finished: every stage's output and passing gate verdicts
must be in the state, however the run got there."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from agent.brains.rules.brain import RulesBrain
from agent.config import Settings
from agent.context import RunContext
from agent.engine import run_design, run_store
from agent.engine.assemble import build_package
from agent.engine.completeness import STAGE_OUTPUTS
from agent.graph import STAGE_BODIES, STAGES_BY_MODE, compile_graph
from agent.package import GateResult
from agent.spec import load_spec
from agent.state import DesignRequest, DesignState
from agent.store import checkpoint_path, open_checkpointer
from tools.errors import RunIncomplete

MINI = FIXTURES / "design" / "mini.yaml"
COMPARE = STAGES_BY_MODE["compare"]


def _config(thread: str) -> Any:
    return {"configurable": {"thread_id": thread}}


@pytest.fixture
def finished(tmp_path: Path) -> tuple[RunContext, str]:
    """A finished compare run (no PostgreSQL needed): its context and thread id."""
    settings = Settings(home=tmp_path / "home")
    ctx = RunContext(brain=RulesBrain(settings), settings=settings)
    outcome = asyncio.run(run_design(DesignRequest(spec=load_spec(MINI), mode="compare"), ctx))
    assert outcome.status == "done", outcome.message
    return ctx, outcome.thread_id


async def _state(ctx: RunContext, thread: str, change: dict[str, Any] | None = None) -> DesignState:
    async with open_checkpointer(None, checkpoint_path(ctx.settings.home)) as saver:
        graph = compile_graph("compare", ctx.settings.gate_retries, saver)
        if change is not None:  # a checkpoint written as if the last gate had passed it
            await graph.aupdate_state(_config(thread), change, as_node="gate_adr")
        snapshot = await graph.aget_state(_config(thread))
    return DesignState.model_validate(snapshot.values)


def test_every_stage_names_the_output_it_must_leave() -> None:
    assert set(STAGE_OUTPUTS) == set(STAGE_BODIES)
    assert set(DesignState.model_fields) >= set(STAGE_OUTPUTS.values())


def test_a_finished_run_builds(finished: tuple[RunContext, str]) -> None:
    state = asyncio.run(_state(*finished))
    assert build_package(state, "rules").adrs


@pytest.mark.parametrize("stage", COMPARE)
def test_a_state_without_a_stage_output_builds_nothing(
    finished: tuple[RunContext, str], stage: str
) -> None:
    state = asyncio.run(_state(*finished))
    field = STAGE_OUTPUTS[stage]
    empty = state.model_copy(update={field: [] if field == "adrs" else None})
    with pytest.raises(RunIncomplete, match=f"stage '{stage}' has no output"):
        build_package(empty, "rules")


@pytest.mark.parametrize("stage", COMPARE)
def test_a_state_without_a_passing_gate_builds_nothing(
    finished: tuple[RunContext, str], stage: str
) -> None:
    state = asyncio.run(_state(*finished))
    unchecked = state.model_copy(update={"checks": [c for c in state.checks if c.stage != stage]})
    with pytest.raises(RunIncomplete, match=f"stage '{stage}' has no gate verdict"):
        build_package(unchecked, "rules")
    attempt = state.attempt(stage)
    failed = GateResult(gate="made_up", stage=stage, attempt=attempt, passed=False)
    refused = state.model_copy(update={"checks": [*state.checks, failed]})
    with pytest.raises(RunIncomplete, match=f"gate 'made_up' failed attempt {attempt}"):
        build_package(refused, "rules")
    earlier = failed.model_copy(update={"attempt": attempt - 1})  # a retry fixed it
    build_package(state.model_copy(update={"checks": [*state.checks, earlier]}), "rules")


def test_a_finished_thread_whose_state_lost_a_stage_ends_failed_not_done(
    finished: tuple[RunContext, str],
) -> None:
    ctx, thread = finished
    asyncio.run(_state(ctx, thread, change={"adrs": []}))
    with pytest.raises(RunIncomplete, match="stage 'adr' has no output"):
        asyncio.run(run_design(None, ctx, thread_id=thread))
    store = run_store(ctx.settings)
    try:
        record = store.get(thread)
    finally:
        store.close()
    assert record.status == "failed" and "RunIncomplete" in (record.message or "")

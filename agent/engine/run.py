"""One engine behind every door: the CLI, HTTP, MCP and the eval runner call `run_design`.

A run is a LangGraph thread. It ends `done` (with a package), `interrupted` (questions
waiting for answers; resume with them) or `failed` (a gate gave up). A run killed part-way
is continued from its last checkpoint by calling again with its thread id.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field

from agent.config import Settings
from agent.context import RunContext
from agent.engine.assemble import build_package
from agent.graph import compile_graph
from agent.package import DesignPackage
from agent.state import DesignRequest, DesignState
from agent.store import RunStore, check_thread_id, checkpoint_path, open_checkpointer


class RunOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thread_id: str
    status: Literal["done", "interrupted", "failed"]
    package: DesignPackage | None = None
    questions: list[dict[str, Any]] = Field(default_factory=list)
    message: str | None = None


def run_store(settings: Settings) -> RunStore:
    return RunStore.for_settings(settings)


async def run_design(
    request: DesignRequest | None,
    ctx: RunContext,
    thread_id: str | None = None,
    answers: Any = None,
) -> RunOutcome:
    """Start a run (`request`), or continue one (`thread_id`, optionally with `answers`)."""
    store = run_store(ctx.settings)
    try:
        if request is None:
            if thread_id is None:
                raise ValueError("continuing a run needs its thread id")
            request = store.get(check_thread_id(thread_id)).request
        else:
            thread_id = check_thread_id(thread_id or uuid.uuid4().hex)
            store.start(thread_id, request, ctx.brain.name)
        ctx.emit("run_start", None, f"thread {thread_id}", thread_id=thread_id, mode=request.mode)
        try:
            outcome = await _drive(request, ctx, thread_id, answers)
        except BaseException as exc:
            store.finish(thread_id, "failed", f"{type(exc).__name__}: {exc}")
            raise
        store.finish(thread_id, outcome.status, outcome.message)
        return outcome
    finally:
        store.close()


async def _drive(
    request: DesignRequest, ctx: RunContext, thread_id: str, answers: Any
) -> RunOutcome:
    config: Any = {"configurable": {"thread_id": thread_id}, "recursion_limit": 200}
    settings = ctx.settings
    async with open_checkpointer(settings.state_url, checkpoint_path(settings.home)) as saver:
        graph = compile_graph(request.mode, ctx.settings.gate_retries, saver)
        snapshot = await graph.aget_state(config)
        if answers is not None:
            graph_input: Any = Command(resume=answers)
        elif snapshot.values:
            graph_input = None  # continue from the last checkpoint (or read a finished run)
        else:
            graph_input = DesignState(request=request)
        # Always stream, also when the snapshot shows no `next` task: a task whose writes
        # were saved before the process died is hidden from `next`, yet the graph has not
        # gone past it. Streaming from the checkpoint applies those writes and goes on; on a
        # finished thread it does nothing. "sync" durability saves each step's checkpoint
        # before the next step starts, so a kill loses at most the step it interrupted.
        stream = graph.astream(
            graph_input, config, context=ctx, stream_mode="updates", durability="sync"
        )
        async for _ in stream:
            pass
        snapshot = await graph.aget_state(config)
    state = DesignState.model_validate(snapshot.values)
    pending = [i.value for task in snapshot.tasks for i in task.interrupts]
    if pending:
        questions = [q for value in pending for q in value.get("questions", [])]
        return RunOutcome(
            thread_id=thread_id,
            status="interrupted",
            questions=questions,
            message=f"{len(questions)} question(s) need answers",
        )
    if state.failed:
        return RunOutcome(thread_id=thread_id, status="failed", message=state.failed)
    package = build_package(state, ctx.brain.name, ctx.usage())
    ctx.emit("run_done", None, f"package {package.name} ready", thread_id=thread_id)
    return RunOutcome(thread_id=thread_id, status="done", package=package)

"""Runs one assistant turn's tool calls concurrently and shapes their tool_result blocks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from agent.llm.events import EventSink, ToolCallEvent, ToolResultEvent, emit
from agent.llm.messages import Block, ToolCall
from tools.registry import ToolOutcome, Toolset

log = logging.getLogger(__name__)

# A handler the loop supplies for calls it answers itself (truncated calls, submissions).
Intercept = Callable[[ToolCall], ToolOutcome | None]


def _guarded(toolset: Toolset | None, call: ToolCall) -> ToolOutcome:
    """Toolset turns expected failures into outcomes; a bug in a tool must not end the loop,
    so anything else it raises is logged with its traceback and reported to the model."""
    if toolset is None:
        return ToolOutcome(f"unknown tool '{call.name}'; no tools are available", True)
    try:
        return toolset.call(call.name, call.input)
    except Exception as exc:
        log.exception("tool %s raised unexpectedly", call.name)
        return ToolOutcome(f"tool '{call.name}' failed: {type(exc).__name__}: {exc}", True)


async def _run_one(
    toolset: Toolset | None, call: ToolCall, intercept: Intercept, on_event: EventSink | None
) -> ToolOutcome:
    emit(on_event, ToolCallEvent(call.id, call.name, call.input))
    outcome = intercept(call)
    if outcome is None:
        outcome = await asyncio.to_thread(_guarded, toolset, call)
    emit(on_event, ToolResultEvent(call.id, call.name, outcome.content, outcome.is_error))
    return outcome


async def run_tool_calls(
    toolset: Toolset | None,
    calls: list[ToolCall],
    intercept: Intercept,
    on_event: EventSink | None = None,
) -> list[Block]:
    """All calls at once (each in a worker thread); results come back in the calls' order."""
    outcomes = await asyncio.gather(*(_run_one(toolset, c, intercept, on_event) for c in calls))
    return [tool_result(c, o) for c, o in zip(calls, outcomes, strict=True)]


def tool_result(call: ToolCall, outcome: ToolOutcome) -> Block:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": call.id,
        "content": outcome.content,
    }
    if outcome.is_error:
        block["is_error"] = True
    return block

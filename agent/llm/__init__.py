"""The Claude side of the agent: model client, tool-use loop, scripted model and fake server."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agent.llm.budget import Budget
from agent.llm.errors import ModelCallFailed, OutputTruncated, StructuredOutputError
from agent.llm.events import (
    EventSink,
    LoopEvent,
    RetryEvent,
    TextDelta,
    ToolCallEvent,
    ToolResultEvent,
    UsageEvent,
)
from agent.llm.loop import LoopBudgetExceeded, LoopOptions, LoopResult, run_tool_loop
from agent.llm.messages import ChatModel, ModelRequest, ModelResponse, ToolCall
from agent.llm.models import ModelInfo, Pricing, resolve_model
from agent.llm.scripted import Reply, ScriptedModel, load_script
from agent.llm.usage import Usage, UsageLedger

if TYPE_CHECKING:
    from agent.llm.client import ClientConfig, ModelClient
    from agent.llm.retry import RetryPolicy

# The SDK takes ~2 s to import; code that only needs the scripted model should not pay it.
_LAZY = {"ClientConfig": "agent.llm.client", "ModelClient": "agent.llm.client"}
_LAZY["RetryPolicy"] = "agent.llm.retry"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agent.llm' has no attribute {name!r}")


__all__ = [
    "Budget",
    "ChatModel",
    "ClientConfig",
    "EventSink",
    "LoopBudgetExceeded",
    "LoopEvent",
    "LoopOptions",
    "LoopResult",
    "ModelCallFailed",
    "ModelClient",
    "ModelInfo",
    "ModelRequest",
    "ModelResponse",
    "OutputTruncated",
    "Pricing",
    "Reply",
    "RetryEvent",
    "RetryPolicy",
    "ScriptedModel",
    "StructuredOutputError",
    "TextDelta",
    "ToolCall",
    "ToolCallEvent",
    "ToolResultEvent",
    "Usage",
    "UsageEvent",
    "UsageLedger",
    "load_script",
    "resolve_model",
    "run_tool_loop",
]

"""The Claude side of the agent: model client, tool-use loop, scripted model and fake server."""

from agent.llm.budget import Budget, LoopBudgetExceeded
from agent.llm.client import ClientConfig, ModelClient
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
from agent.llm.loop import LoopOptions, LoopResult, run_tool_loop
from agent.llm.messages import ChatModel, ModelRequest, ModelResponse, ToolCall
from agent.llm.models import ModelInfo, Pricing, resolve_model
from agent.llm.retry import RetryPolicy
from agent.llm.script import Reply, load_script
from agent.llm.scripted import ScriptedModel
from agent.llm.usage import Usage, UsageLedger

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

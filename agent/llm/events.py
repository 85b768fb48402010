"""Typed progress events of a model call and a tool loop, for SSE forwarding and logs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from agent.llm.usage import Usage


@dataclass(frozen=True)
class TextDelta:
    """A piece of assistant text as it streams; a retry may repeat earlier deltas."""

    text: str
    kind: Literal["text_delta"] = "text_delta"


@dataclass(frozen=True)
class ToolCallEvent:
    id: str
    name: str
    input: dict[str, Any] | str
    kind: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True)
class ToolResultEvent:
    id: str
    name: str
    content: str
    is_error: bool
    kind: Literal["tool_result"] = "tool_result"


@dataclass(frozen=True)
class RetryEvent:
    """A transient failure about to be retried; text streamed by the failed attempt is void."""

    attempt: int
    wait_s: float
    reason: str
    kind: Literal["retry"] = "retry"


@dataclass(frozen=True)
class UsageEvent:
    call: Usage
    total: Usage = field(default_factory=Usage)
    kind: Literal["usage"] = "usage"


LoopEvent = TextDelta | ToolCallEvent | ToolResultEvent | RetryEvent | UsageEvent
EventSink = Callable[[LoopEvent], None]


def emit(sink: EventSink | None, event: LoopEvent) -> None:
    if sink is not None:
        sink(event)

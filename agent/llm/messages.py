"""The request and response shapes every model (real client or scripted) speaks.

Content blocks stay in the Messages API's own wire shape (plain dicts), so a response's
`content` can be sent back verbatim as the assistant turn and checkpointed as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.llm.events import EventSink
from agent.llm.usage import Usage

Block = dict[str, Any]
Message = dict[str, Any]


@dataclass
class ModelRequest:
    """One Messages API call; `stream=None` lets the client use its configured default."""

    messages: list[Message]
    system: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    max_tokens: int = 4096
    tool_choice: dict[str, Any] | None = None
    temperature: float | None = None
    stream: bool | None = None


@dataclass(frozen=True)
class ToolCall:
    """A tool_use block as the loop runs it.

    `input` is the raw JSON text when the model's input did not parse, so the tool layer can
    answer with an is_error result instead of the call being dropped; `truncated` marks a
    call cut off by max_tokens, whose input must not be run.
    """

    id: str
    name: str
    input: dict[str, Any] | str
    truncated: bool = False


@dataclass
class ModelResponse:
    id: str
    model: str
    content: list[Block]
    stop_reason: str | None
    usage: Usage
    tool_calls: list[ToolCall] = field(default_factory=list)
    request_id: str | None = None
    attempts: int = 1

    @property
    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.content if b.get("type") == "text")

    def assistant_message(self) -> Message:
        return {"role": "assistant", "content": list(self.content)}


class ChatModel(Protocol):
    """What the tool loop needs from a model: `ModelClient` and `ScriptedModel` both fit."""

    @property
    def model_id(self) -> str: ...

    async def complete(
        self, request: ModelRequest, on_event: EventSink | None = None
    ) -> ModelResponse: ...


def parse_tool_input(raw: str) -> dict[str, Any] | None:
    """JSON text to an input object; None when it is not one. Empty text is the empty object
    (the API streams no JSON for a call without arguments)."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def settle_tool_calls(content: list[Block], stop_reason: str | None) -> list[ToolCall]:
    """Tool calls of a complete reply, leaving every tool_use input in `content` an object.

    A compatible server may send an input as JSON text; text that does not parse stays on the
    `ToolCall` (for an is_error answer) while history gets {} (the API accepts only objects).
    When max_tokens cut the reply inside its last block, that call is marked truncated.
    """
    calls: list[ToolCall] = []
    cut_at = len(content) - 1 if stop_reason == "max_tokens" else -1
    for index, block in enumerate(content):
        if block.get("type") != "tool_use":
            continue
        raw = block.get("input")
        text = raw if isinstance(raw, str) else json.dumps(raw)
        parsed = raw if isinstance(raw, dict) else parse_tool_input(text)
        block["input"] = parsed if parsed is not None else {}
        value: dict[str, Any] | str = parsed if parsed is not None else text
        name, ident = str(block.get("name")), str(block.get("id"))
        calls.append(ToolCall(ident, name, value, truncated=index == cut_at))
    return calls

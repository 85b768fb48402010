"""Assembles a streamed reply from raw Messages API events, keeping tool input JSON as text.

The SDK's own accumulator parses tool input as it streams and raises on malformed JSON,
losing the whole turn. Here each tool_use's JSON is buffered and parsed once at the end, so
bad JSON survives as text (the loop answers it with an is_error result) and a tool call cut
off by max_tokens is recognised as truncated rather than run with half its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.llm.events import EventSink, TextDelta, emit
from agent.llm.messages import Block, ToolCall, settle_tool_calls


def drop_none(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if v is not None}


@dataclass
class StreamAssembler:
    """Feed it the stream's events (wire-shaped dicts) in order; read `content`,
    `finish()`'s tool calls and `usage` at the end."""

    on_event: EventSink | None = None
    message: dict[str, Any] = field(default_factory=dict)
    content: list[Block] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    stop_reason: str | None = None
    _json: dict[int, str] = field(default_factory=dict)

    def feed(self, event: Any) -> None:
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == "message_start":
            self.message = event["message"]
            self.usage.update(drop_none(dict(self.message.get("usage") or {})))
        elif kind == "content_block_start":
            self._start(event["index"], drop_none(dict(event["content_block"])))
        elif kind == "content_block_delta":
            self._delta(event["index"], event["delta"])
        elif kind == "message_delta":
            self.stop_reason = event["delta"].get("stop_reason")
            self.usage.update(drop_none(dict(event.get("usage") or {})))

    def _start(self, index: int, block: dict[str, Any]) -> None:
        while len(self.content) <= index:
            self.content.append({})
        if block.get("type") == "tool_use":
            self._json[index] = ""
        self.content[index] = block

    def _delta(self, index: int, delta: dict[str, Any]) -> None:
        block = self.content[index]
        kind = delta.get("type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta["text"]
            emit(self.on_event, TextDelta(delta["text"]))
        elif kind == "input_json_delta":
            self._json[index] = self._json.get(index, "") + delta["partial_json"]
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta["thinking"]
        elif kind == "signature_delta":
            block["signature"] = delta["signature"]
        elif kind == "citations_delta":
            block.setdefault("citations", []).append(delta["citation"])

    def finish(self) -> list[ToolCall]:
        """Put each buffered tool input JSON text into its block, then settle the calls."""
        for index, raw in self._json.items():
            self.content[index]["input"] = raw
        return settle_tool_calls(self.content, self.stop_reason)

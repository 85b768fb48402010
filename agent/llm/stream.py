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


def _plain(value: Any) -> Any:
    """SDK models become wire-shaped dicts (only the fields the server sent)."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict(warnings=False) if callable(to_dict) else value


def drop_none(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if v is not None}


@dataclass
class StreamAssembler:
    """Feed it raw events in order; read `content`, `tool_calls()`, `usage` at the end."""

    on_event: EventSink | None = None
    message: dict[str, Any] = field(default_factory=dict)
    content: list[Block] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    stop_reason: str | None = None
    _json: dict[int, str] = field(default_factory=dict)

    def feed(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self.message = _plain(event.message)
            self.usage.update(drop_none(dict(self.message.get("usage") or {})))
        elif kind == "content_block_start":
            self._start(event.index, drop_none(dict(_plain(event.content_block))))
        elif kind == "content_block_delta":
            self._delta(event.index, _plain(event.delta))
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason
            self.usage.update(drop_none(dict(_plain(event.usage))))

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

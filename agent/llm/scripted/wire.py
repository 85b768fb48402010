"""Renders a scripted `Reply` in the Messages API's wire shapes: a JSON message or SSE events.

Close enough to the real API for the real SDK: message_start, ping, content_block_start /
delta / stop (text_delta, input_json_delta), message_delta with stop_reason and usage,
message_stop.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from agent.llm.scripted.script import Reply

CHUNK = 24  # characters per streamed delta


def message_body(reply: Reply, model: str, msg_id: str, usage: dict[str, int]) -> dict[str, Any]:
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": reply.content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _chunks(text: str) -> Iterator[str]:
    for start in range(0, len(text), CHUNK):
        yield text[start : start + CHUNK]


def _block_events(index: int, block: dict[str, Any]) -> Iterator[str]:
    kind = block.get("type")
    if kind == "text":
        yield _event("content_block_start", _start(index, {"type": "text", "text": ""}))
        for part in _chunks(str(block.get("text", ""))):
            yield _event("content_block_delta", _delta(index, {"type": "text_delta", "text": part}))
    elif kind == "tool_use":
        head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        yield _event("content_block_start", _start(index, head))
        raw = block.get("input")
        text = raw if isinstance(raw, str) else json.dumps(raw)
        for part in _chunks(text):
            delta = {"type": "input_json_delta", "partial_json": part}
            yield _event("content_block_delta", _delta(index, delta))
    else:
        yield _event("content_block_start", _start(index, block))
    yield _event("content_block_stop", {"type": "content_block_stop", "index": index})


def _start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def sse_events(reply: Reply, model: str, msg_id: str, usage: dict[str, int]) -> Iterator[str]:
    """The reply as a stream; input-side usage goes in message_start, output in message_delta."""
    start_usage = {k: v for k, v in usage.items() if k != "output_tokens"}
    start = message_body(reply, model, msg_id, {**start_usage, "output_tokens": 1})
    start.update(content=[], stop_reason=None)
    yield _event("message_start", {"type": "message_start", "message": start})
    yield _event("ping", {"type": "ping"})
    for index, block in enumerate(reply.content):
        yield from _block_events(index, block)
    delta = {"stop_reason": reply.stop_reason, "stop_sequence": None}
    out = {"output_tokens": usage.get("output_tokens", 0)}
    yield _event("message_delta", {"type": "message_delta", "delta": delta, "usage": out})
    yield _event("message_stop", {"type": "message_stop"})

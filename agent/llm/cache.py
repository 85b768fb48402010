"""Prompt-cache breakpoints: the persona, the tool block and the conversation so far.

The API caches the prefix up to each `cache_control` mark (at most four). Marking the system
block and the last tool caches persona + tools across calls and sessions; marking the last
message caches the growing history between turns of one tool loop. Inputs are copied, never
mutated, so marks do not pile up in the caller's history.
"""

from __future__ import annotations

from typing import Any

EPHEMERAL: dict[str, str] = {"type": "ephemeral"}


def system_blocks(system: str) -> list[dict[str, Any]]:
    """The persona as one cached text block; an empty system prompt is omitted entirely."""
    if not system:
        return []
    return [{"type": "text", "text": system, "cache_control": dict(EPHEMERAL)}]


def cached_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool definitions with a cache mark on the last, which caches all of them."""
    marked = [dict(t) for t in tools]
    if marked:
        marked[-1]["cache_control"] = dict(EPHEMERAL)
    return marked


def cached_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of the history with a cache mark on the last block of the last message."""
    copied = [dict(m) for m in messages]
    if not copied:
        return copied
    last = copied[-1]
    content = last.get("content")
    if isinstance(content, str):
        if not content:
            return copied
        content = [{"type": "text", "text": content}]
    if isinstance(content, list) and content:
        blocks = [dict(b) for b in content]
        if blocks[-1].get("type") not in ("thinking", "redacted_thinking"):
            blocks[-1]["cache_control"] = dict(EPHEMERAL)
        last["content"] = blocks
    return copied

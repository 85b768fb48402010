"""Canned model replies: one format for the in-process `ScriptedModel` and the HTTP fake server.

A `Reply` is either a message (wire-shaped content blocks and a stop reason) or an HTTP
error (status, error type, headers such as retry-after), optionally after a delay. A tool_use
block's `input` may be JSON text instead of an object, to script malformed or cut-off input.
Scripts load from JSON files: a list of replies, or {"replies": [...], "repeat": true}.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.errors import InputError

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: list[dict[str, Any]] = Field(default_factory=list)
    stop_reason: str | None = "end_turn"
    usage: dict[str, int] | None = None  # None: estimated from the sizes of request and reply
    status: int = 200
    headers: dict[str, str] = Field(default_factory=dict)
    delay_s: float = 0.0  # wait before answering (to provoke read timeouts)
    stall_s: float = 0.0  # streamed replies: pause after message_start (a mid-stream stall)
    error_type: str | None = None
    error_message: str = "scripted error"

    @classmethod
    def text(cls, text: str, stop_reason: str = "end_turn", **kw: Any) -> Reply:
        return cls(content=[{"type": "text", "text": text}], stop_reason=stop_reason, **kw)

    @classmethod
    def tool(cls, *calls: tuple[str, dict[str, Any] | str], text: str = "", **kw: Any) -> Reply:
        """A turn that calls tools; an input given as a str is sent as raw JSON text."""
        blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        blocks += [tool_use(name, args) for name, args in calls]
        kw.setdefault("stop_reason", "tool_use")
        return cls(content=blocks, **kw)

    @classmethod
    def error(cls, status: int, headers: dict[str, str] | None = None, **kw: Any) -> Reply:
        kind = ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return cls(status=status, headers=headers or {}, error_type=kind, **kw)

    @property
    def is_error(self) -> bool:
        return self.status != 200

    def error_body(self) -> dict[str, Any]:
        kind = self.error_type or ERROR_TYPES.get(self.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": self.error_message}}


def tool_use(name: str, args: dict[str, Any] | str, ident: str | None = None) -> dict[str, Any]:
    return {"type": "tool_use", "id": ident or new_id("toolu"), "name": name, "input": args}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def estimate_usage(request: Any, content: list[dict[str, Any]]) -> dict[str, int]:
    """Rough token counts (4 characters a token) so costs and budgets move realistically."""
    return {
        "input_tokens": max(1, len(json.dumps(request, default=str)) // 4),
        "output_tokens": max(1, len(json.dumps(content)) // 4),
    }


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replies: list[Reply]
    repeat: bool = False


def load_script(path: Path) -> Script:
    """Read a script file; a bad file is an InputError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Script.model_validate({"replies": data} if isinstance(data, list) else data)
    except OSError as exc:
        raise InputError(f"{path}: cannot read script: {exc}") from exc
    except (json.JSONDecodeError, ValidationError) as exc:
        raise InputError(f"{path}: not a valid reply script: {exc}") from exc

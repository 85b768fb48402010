"""The HTTP service behind `server:app`: routes, guards, jobs, chat sessions, metrics and MCP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.service.bind import check_bind

if TYPE_CHECKING:
    from agent.service.app import create_app

__all__ = ["check_bind", "create_app"]


def __getattr__(name: str) -> Any:
    # The app pulls in FastAPI, LangGraph and the MCP SDK (seconds): only when asked for.
    if name == "create_app":
        from agent.service.app import create_app

        return create_app
    raise AttributeError(f"module 'agent.service' has no attribute {name!r}")

"""The HTTP service behind `server:app`: routes, guards, jobs, chat sessions, metrics and MCP."""

from __future__ import annotations

from agent.service.app import check_bind, create_app

__all__ = ["check_bind", "create_app"]

"""`dbarch serve`: run the HTTP API (and MCP at /mcp) with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli import exits

HELP = """Serve the db-architect HTTP API with uvicorn: design jobs, review, chat sessions, evals, /healthz, /metrics, and MCP (streamable HTTP) at /mcp.

Binding to anything but loopback is refused unless DBARCH_API_TOKENS (comma-separated bearer tokens) is set. State (jobs, sessions, rate limits) lives under DBARCH_HOME in SQLite, or in PostgreSQL when DBARCH_STATE_URL=postgresql://... so several processes can share it.

Examples:

    dbarch serve

    DBARCH_API_TOKENS=s3cret dbarch serve --host 0.0.0.0 --port 8080
"""  # noqa: E501


def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless tokens are set.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> int:
    from agent.service.bind import check_bind
    from agent.service.config import ServiceSettings

    settings = ServiceSettings()
    check_bind(host, settings)  # before the heavy imports: a refusal should be instant
    import uvicorn

    from agent.service.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
    return exits.OK


def register(app: typer.Typer) -> None:
    app.command("serve", help=HELP)(serve_command)

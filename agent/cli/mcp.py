"""`dbarch mcp`: serve the Model Context Protocol over stdio for a parent coding agent."""

from __future__ import annotations

import typer

from agent.cli import exits

HELP = """Serve MCP over stdio: tools design, review_schema, validate_ddl, lint_schema, explain_queries, advise_indexes, render_erd, and the architect personas as prompts.

Register it with a client, e.g. Claude Code:

    claude mcp add dbarch -- dbarch mcp

Nothing but protocol messages is written to stdout; logs go to stderr.
"""  # noqa: E501


def mcp_command() -> int:
    import anyio

    from agent.service.mcp import serve_stdio

    anyio.run(serve_stdio)
    return exits.OK


def register(app: typer.Typer) -> None:
    app.command("mcp", help=HELP)(mcp_command)

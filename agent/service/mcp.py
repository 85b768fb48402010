"""The Model Context Protocol server: the design engine and the SQL tools for a parent agent.

Served over stdio by `dbarch mcp` and over streamable HTTP at `/mcp` by `dbarch serve`.
Tool input schemas are the same pydantic models the HTTP API and the model's tool loop
use; the personas are offered as prompts. Tool failures come back as `isError` results
with the error's message, as the model's tool loop sees them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import mcp_types as types
from anyio import to_thread
from mcp.server import Server, ServerRequestContext
from pydantic import ValidationError

from agent.personas import Persona, default_library
from agent.service.config import ServiceSettings
from agent.service.design import DESIGN_DESCRIPTION, DesignInput, design
from tools.catalog import all_tools
from tools.errors import ArchitectError
from tools.registry import Tool, Toolset, input_problem
from tools.sql.server import PgServer

NAME = "dbarch"
CATALOGUE_TOOLS = (
    "review_schema",
    "validate_ddl",
    "lint_schema",
    "explain_queries",
    "advise_indexes",
    "render_erd",
)
INSTRUCTIONS = (
    "Database architect. `design` turns a requirements spec into a checked PostgreSQL design "
    "package; the SQL tools review, validate, lint, explain and index existing DDL against a "
    "real PostgreSQL. Prompts carry the architect personas."
)


def catalogue_tools() -> list[Tool]:
    """The SQL tools this build provides (a provider not yet installed contributes none)."""
    found = all_tools()
    return [found[name] for name in CATALOGUE_TOOLS if name in found]


def _tool_schema(name: str, description: str, model: type[Any]) -> types.Tool:
    schema = model.model_json_schema()
    schema.pop("title", None)
    return types.Tool(name=name, description=description, input_schema=schema)


def _text_result(text: str, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=is_error)


def _persona_prompt(persona: Persona) -> types.Prompt:
    argument = types.PromptArgument(
        name="request", description="What you want from the architect", required=False
    )
    return types.Prompt(name=persona.name, description=persona.description, arguments=[argument])


def _persona_messages(persona: Persona, request: str | None) -> types.GetPromptResult:
    text = persona.body if not request else f"{persona.body}\n---\n\n{request}"
    message = types.PromptMessage(role="user", content=types.TextContent(text=text))
    return types.GetPromptResult(description=persona.description, messages=[message])


def build_server(settings: ServiceSettings, pg: Callable[[], PgServer]) -> Server[Any]:
    """An MCP server whose tools resolve PostgreSQL through `pg` on first use."""
    tools = catalogue_tools()

    def toolset() -> Toolset:
        workspace = Path(settings.home) / "mcp"
        return Toolset(tools, settings.tool_context(workspace, pg()))

    async def list_tools(
        _: ServerRequestContext[Any], __: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        listed = [_tool_schema("design", DESIGN_DESCRIPTION, DesignInput)]
        listed += [_tool_schema(t.name, t.description, t.input_model) for t in tools]
        return types.ListToolsResult(tools=listed)

    async def call_tool(
        _: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        if params.name == "design":
            return await _call_design(arguments, settings)
        outcome = await to_thread.run_sync(partial(toolset().call, params.name, arguments))
        return _text_result(outcome.content, outcome.is_error)

    async def list_prompts(
        _: ServerRequestContext[Any], __: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        personas = default_library().personas.values()
        return types.ListPromptsResult(prompts=[_persona_prompt(p) for p in personas])

    async def get_prompt(
        _: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        persona = default_library().persona(params.name)
        return _persona_messages(persona, (params.arguments or {}).get("request"))

    return Server(
        NAME,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


async def _call_design(
    arguments: dict[str, Any], settings: ServiceSettings
) -> types.CallToolResult:
    try:
        args = DesignInput.model_validate(arguments)
        # On its own thread and loop: a run's stages may block, and this loop serves HTTP too.
        outcome = await to_thread.run_sync(lambda: asyncio.run(design(args, settings)))
    except ValidationError as exc:
        return _text_result(input_problem("design", exc, DesignInput), True)
    except ArchitectError as exc:
        return _text_result(f"{type(exc).__name__}: {exc}", True)
    return _text_result(outcome.model_dump_json(exclude_none=True, by_alias=True))


async def serve_stdio(settings: ServiceSettings | None = None) -> None:
    """Run the MCP server on this process's stdin/stdout until the client closes it."""
    from mcp.server.stdio import stdio_server

    from tools.sql.server import resolve_server

    settings = settings or ServiceSettings()
    cache: list[PgServer] = []

    def pg() -> PgServer:
        if not cache:
            cache.append(resolve_server(settings.database_url, settings.pg_data_dir))
        return cache[0]

    server = build_server(settings, pg)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())

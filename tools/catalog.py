"""Every tool a persona may name, gathered from provider modules; the one place names resolve.

A provider is a module exposing `TOOLS: list[Tool]`. To add tools, append the module to
`PROVIDERS`. The SQL tools' names are fixed by DESIGN.md (they are also MCP tools), so
they are declared here even before their provider lands: a persona may name them, and
asking for a toolset that needs one whose provider is absent is a clear error, not a
silently smaller toolset.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from tools.errors import ToolError
from tools.registry import Tool, ToolContext, Toolset

PROVIDERS: tuple[str, ...] = (
    "tools.fs",
    "tools.bash",
    # SQL tools (validate_ddl, lint_schema, render_erd, explain_queries, advise_indexes):
    "tools.sql.review.tools",
    "tools.sql.advise.tools",
)
FILE_TOOLS = ("Read", "Write", "Grep", "Glob", "Bash")
SQL_TOOLS = ("validate_ddl", "lint_schema", "explain_queries", "advise_indexes", "render_erd")


class UnknownToolError(ToolError):
    """A persona or caller named a tool the catalogue has never heard of."""


class ToolUnavailableError(ToolError):
    """A declared tool whose provider module is not installed in this build."""


def _provider_tools(module_name: str) -> list[Tool]:
    """A provider's tools; a provider module that does not exist yet contributes none."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return []
        raise  # the provider exists but one of its own imports is broken: surface it
    tools: list[Tool] = module.TOOLS
    return tools


def all_tools() -> dict[str, Tool]:
    """Name -> Tool for every tool whose provider is present."""
    found: dict[str, Tool] = {}
    for module_name in PROVIDERS:
        for tool in _provider_tools(module_name):
            if tool.name in found:
                raise ToolError(f"tool name '{tool.name}' is provided twice ({module_name})")
            found[tool.name] = tool
    return found


def known_tool_names() -> frozenset[str]:
    """Names a persona may list: the tools present plus the declared SQL tools."""
    return frozenset(FILE_TOOLS) | frozenset(SQL_TOOLS) | frozenset(all_tools())


def toolset_for(names: Iterable[str], context: ToolContext) -> Toolset:
    """Exactly the named tools, bound to one context; unknown or missing names are errors."""
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in known_tool_names()]
    if unknown:
        raise UnknownToolError(
            f"unknown tool(s): {', '.join(unknown)}; known: {', '.join(sorted(known_tool_names()))}"
        )
    available = all_tools()
    missing = [n for n in wanted if n not in available]
    if missing:
        raise ToolUnavailableError(
            f"tool(s) {', '.join(missing)} are declared but their provider is not installed "
            f"(providers: {', '.join(PROVIDERS)})"
        )
    return Toolset([available[n] for n in wanted], context)

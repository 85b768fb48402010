"""`dbarch personas`: list, show and export the persona files under prompts/personas."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.personas import Persona, default_library, export_claude_code

HELP = """List the personas the agent can speak as, show one, or export them.

Examples:

  dbarch personas                      # name, model, tools, description
  dbarch personas --format json        # the same as JSON
  dbarch personas show architect       # frontmatter and the full prompt
  dbarch personas export --format claude-code .claude/agents
"""


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class ExportFormat(StrEnum):
    claude_code = "claude-code"


def _summary(persona: Persona) -> dict[str, object]:
    return {
        "name": persona.name,
        "model": persona.model,
        "tools": persona.tools,
        "commands": [c.name for c in persona.commands],
        "description": " ".join(persona.description.split()),
    }


def _console() -> Console:
    return Console(no_color=not sys.stdout.isatty(), soft_wrap=not sys.stdout.isatty())


def list_personas(
    ctx: typer.Context,
    format: Annotated[ListFormat, typer.Option("--format", help="table or json")] = (
        ListFormat.table
    ),
) -> None:
    """Print every persona; subcommands show or export them."""
    if ctx.invoked_subcommand is not None:
        return
    personas = list(default_library().personas.values())
    if format is ListFormat.json:
        typer.echo(json.dumps([_summary(p) for p in personas], indent=2))
        return
    table = Table("name", "model", "tools", "description")
    for p in personas:
        table.add_row(p.name, p.model, ", ".join(p.tools), " ".join(p.description.split()))
    _console().print(table)


def show(name: Annotated[str, typer.Argument(help="Persona name, e.g. architect")]) -> None:
    """Print one persona: its frontmatter fields, its commands, then its full prompt."""
    persona = default_library().persona(name)
    typer.echo(json.dumps(_summary(persona), indent=2))
    typer.echo("")
    typer.echo(persona.body)


def export(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write <name>.md files into")],
    format: Annotated[ExportFormat, typer.Option("--format", help="claude-code")] = (
        ExportFormat.claude_code
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files")] = False,
) -> None:
    """Write each persona as a Claude Code subagent file (drop them into .claude/agents/)."""
    written = export_claude_code(list(default_library().personas.values()), out_dir, force=force)
    for path in written:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=HELP, no_args_is_help=False)
    group.callback(invoke_without_command=True)(list_personas)
    group.command("show")(show)
    group.command("export")(export)
    app.add_typer(group, name="personas")

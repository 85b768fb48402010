"""The `dbarch` command: one typer app, one sub-module per command."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Annotated

import typer

from agent.cli import exits

HELP = """Database architect: turns requirements into a checked PostgreSQL design package, and reviews existing schemas against a real PostgreSQL.

Runs with no key and no network: the deterministic 'rules' brain and an embedded PostgreSQL 18 are the defaults. Set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL) for the Claude brain, DATABASE_URL to use your own PostgreSQL server.

Examples:

    dbarch design examples/task-tracker.yaml --out design-out

    dbarch review evals/cases/inputs/legacy-shop.sql

    dbarch review evals/cases/inputs/legacy-shop.sql --format sarif > dbarch.sarif

    dbarch spec check examples/clinic-booking.yaml

    dbarch --install-completion     # tab completion for your shell

Each command explains itself: dbarch design --help, dbarch review --help.
"""  # noqa: E501  (help paragraphs are single lines: the terminal rewraps them)

app = typer.Typer(
    name="dbarch",
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def version() -> str:
    """The installed distribution's version (pyproject.toml is its one source)."""
    return metadata.version("db-architect")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"dbarch {version()}")
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Keeps `dbarch` a command group (`dbarch review ...`) however many commands exist."""


# Command name -> the module under agent.cli that registers it (its `register(app)`).
COMMANDS = ("design", "review", "explain", "chat", "personas", "spec", "eval", "serve", "mcp")


def _register(argv: Sequence[str] | None = None) -> None:
    """Each command module adds itself. Given the command line, only the module of the
    command being run is imported (`dbarch review` need not load LangGraph: seconds of
    start-up); `--help`, an unknown name or no argv import them all."""
    if argv and argv[0] == "--version":
        return  # answered by the root callback: importing every command would only cost time
    first = next((a for a in argv or () if not a.startswith("-")), None)
    for name in (first,) if first in COMMANDS else COMMANDS:
        importlib.import_module(f"agent.cli.{name}").register(app)


def main() -> None:
    _register(sys.argv[1:])
    exits.run(app)

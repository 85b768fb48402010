"""The `dbarch` command: one typer app, one sub-module per command."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from agent.cli import exits

app = typer.Typer(
    name="dbarch",
    help=(
        "Database architect: turns requirements into a checked PostgreSQL design package, "
        "and reviews existing schemas against a real PostgreSQL.\n\n"
        "Runs with no key and no network: the deterministic 'rules' brain and an embedded "
        "PostgreSQL 18 are the defaults. Set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL) for "
        "the Claude brain, DATABASE_URL to use your own PostgreSQL server."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Keeps `dbarch` a command group (`dbarch review ...`) however many commands exist."""


# Command name -> the module under agent.cli that registers it (its `register(app)`).
COMMANDS = ("design", "review", "explain", "chat", "personas", "spec", "eval", "serve", "mcp")


def _register(argv: Sequence[str] | None = None) -> None:
    """Each command module adds itself. Given the command line, only the module of the
    command being run is imported (`dbarch review` need not load LangGraph: seconds of
    start-up); `--help`, an unknown name or no argv import them all."""
    first = next((a for a in argv or () if not a.startswith("-")), None)
    for name in (first,) if first in COMMANDS else COMMANDS:
        importlib.import_module(f"agent.cli.{name}").register(app)


def main() -> None:
    _register(sys.argv[1:])
    exits.run(app)

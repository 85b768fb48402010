"""The `dbarch` command: one typer app, one sub-module per command."""

from __future__ import annotations

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


def _register() -> None:
    # Each command module adds itself; importing here keeps start-up cost per command small.
    from agent.cli import design, mcp, personas, review, serve, spec
    from agent.cli import eval as eval_cmd

    for module in (design, review, personas, spec, eval_cmd, serve, mcp):
        module.register(app)


def main() -> None:
    _register()
    exits.run(app)

"""`dbarch spec`: print the requirements spec's JSON Schema, or check a spec file."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli import exits
from agent.spec import (
    Requirements,
    load_spec,
    missing_information,
    resolve_contract,
    spec_json_schema,
)
from tools.errors import SpecError

HELP = """Requirements specs: the YAML/JSON that `dbarch design` turns into a design.

Examples:

    dbarch spec schema > spec.schema.json      # JSON Schema, for editors and validators

    dbarch spec check examples/task-tracker.yaml

    dbarch spec check examples/ledger.yaml --format json | jq .questions
"""

CHECK_HELP = """Validate a spec and list what it leaves open.

Errors name the key path, file, line and column and what was expected (exit 2). A valid spec prints the tables the naming contract promises (what access-pattern SQL may use) and the questions and assumptions a design would make (exit 0).
"""  # noqa: E501  (help paragraphs are single lines: the terminal rewraps them)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


spec_app = typer.Typer(help=HELP, no_args_is_help=True)


@spec_app.command("schema", help="Print the JSON Schema of a requirements spec.")
def schema_command() -> int:
    sys.stdout.write(json.dumps(spec_json_schema(), indent=2) + "\n")
    return exits.OK


@spec_app.command("check", help=CHECK_HELP)
def check_command(
    file: Annotated[Path, typer.Argument(help="A spec in YAML or JSON.")],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for tools.")
    ] = OutputFormat.text,
) -> int:
    try:
        spec = load_spec(file, patterns_by_contract=True)
    except SpecError as error:
        if output is not OutputFormat.json:
            raise
        sys.stdout.write(json.dumps({"valid": False, **error.to_dict()}, indent=2) + "\n")
        return exits.BAD_INPUT
    summary = check_summary(spec)
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        _print_text(summary)
    return exits.OK


def check_summary(spec: Requirements) -> dict[str, Any]:
    """What a valid spec promises and leaves open, as plain data."""
    contract = resolve_contract(spec)
    return {
        "valid": True,
        "name": spec.name,
        "tables": {name: t.column_names for name, t in contract.tables.items()},
        "questions": [q.model_dump() for q in missing_information(spec)],
    }


def _print_text(summary: dict[str, Any]) -> None:
    echo = typer.echo
    echo(f"{summary['name']}: valid")
    echo("\ntables (naming contract):")
    for table, columns in summary["tables"].items():
        echo(f"  {table} ({', '.join(columns)})")
    questions = summary["questions"]
    if not questions:
        echo("\nnothing left open")
        return
    for kind in ("question", "assumption"):
        found = [q for q in questions if q["kind"] == kind]
        if found:
            echo(f"\n{kind}s:")
        for q in found:
            assumed = f"  [assumed: {q['assumed']}]" if q["assumed"] else ""
            echo(f"  {q['path'] or '-'}: {q['message']}{assumed}")


def register(app: typer.Typer) -> None:
    app.add_typer(spec_app, name="spec")

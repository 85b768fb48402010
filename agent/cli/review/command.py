"""`dbarch review`: check a schema against a real PostgreSQL and the design rules."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agent.cli import exits, version
from agent.cli.progress import StatusLines
from agent.cli.review.github import github_annotations
from agent.cli.review.sarif import to_sarif
from agent.cli.review.text import console_for, print_report, print_rules, rules_catalogue
from agent.cli.review.workload import WorkloadStep, print_workload
from agent.config import Settings
from tools.counts import parse_rows
from tools.errors import InputError
from tools.sql.pg_features import NEWEST, OLDEST
from tools.sql.review import Progress, ReviewReport, ReviewRequest, review
from tools.sql.server import resolve_server

HELP = """Review a PostgreSQL schema: parse it, apply it to a scratch database, lint its design.

The DDL is applied to a throw-away database on a real PostgreSQL (embedded by default, DATABASE_URL for your own server), so `valid` means PostgreSQL itself accepted every statement. Design rules (`--rules` lists them) and squawk's migration-safety rules run on the parsed schema; `--format json` adds the Mermaid ERD; `--format sarif` writes SARIF 2.1.0 for code scanning, `--format github` GitHub Actions annotations.

A comment `-- dbarch:ignore <rule> <reason>` before a statement (or inside it) silences that rule's findings on that statement. The reason is required (without one the comment is itself an error finding), a comment that silences nothing is a warning, and every silenced finding is listed in the output.

Examples:

    dbarch review evals/cases/inputs/legacy-shop.sql

    dbarch review tests/fixtures/sql/migrations_ok/ --format json | jq '.findings[] | select(.severity=="error")'

    dbarch review evals/cases/inputs/legacy-shop.sql --format sarif > dbarch.sarif

    dbarch review evals/cases/inputs/legacy-shop.sql --format github

    dbarch review evals/cases/inputs/legacy-shop.sql --erd > erd.mmd

    dbarch review --rules

    dbarch review evals/cases/inputs/legacy-shop.sql --workload evals/cases/inputs/legacy-shop-queries.sql --rows orders=2M --rows customers=50k --budget 64MB

Exit codes: 0 nothing of severity error; 1 a statement failed or an error finding; 2 bad input (unreadable file, SQL syntax error at file:line:column); 3 PostgreSQL unavailable.
"""  # noqa: E501  (help paragraphs are single lines: the terminal rewraps them)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def review_command(
    schemas: Annotated[
        list[Path] | None,
        typer.Argument(
            help="A .sql file, or a folder of migrations applied in natural order. Several "
            "are reviewed one by one (as a pre-commit hook passes changed files).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="text for people, json for tools, sarif for code scanning (SARIF 2.1.0), "
            "github for workflow annotations.",
        ),
    ] = OutputFormat.text,
    rules: Annotated[bool, typer.Option("--rules", help="List the lint rules and exit.")] = False,
    erd: Annotated[bool, typer.Option("--erd", help="Print only the Mermaid ERD.")] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="Text output: list info findings one by one too.")
    ] = False,
    squawk: Annotated[
        bool, typer.Option("--squawk/--no-squawk", help="Run squawk's rules as well.")
    ] = True,
    workload: Annotated[
        Path | None,
        typer.Option(help="Queries (';'-separated, '-- name:' optional): plans and index advice."),
    ] = None,
    rows: Annotated[
        list[str] | None,
        typer.Option(help="Rows for the sample data, TABLE=COUNT: orders=2M (repeatable)."),
    ] = None,
    budget: Annotated[
        str | None, typer.Option(help="Size budget for advised indexes, e.g. 64MB.")
    ] = None,
    pg_version: Annotated[
        int | None,
        typer.Option(
            min=OLDEST,
            max=NEWEST,
            help="PostgreSQL major version the schema must run on (13-18): constructs it "
            "lacks are errors. Default: the server's.",
            show_default=False,
        ),
    ] = None,
) -> int:
    if rules:
        return _show_rules(output)
    if not schemas:
        raise InputError("give a SCHEMA file or folder to review (or --rules)")
    if len(schemas) > 1 and (erd or workload or output is OutputFormat.json):
        raise InputError("--erd, --workload and --format json take one SCHEMA; several were given")
    settings = Settings()
    server = resolve_server(settings.database_url, settings.pg_data_dir)
    step = None
    if workload is not None:
        step = WorkloadStep(workload, parse_rows(rows or []), budget, settings.sample_row_cap)
    reports = []
    with _progress() as say:
        for schema in schemas:
            request = ReviewRequest(path=str(schema), squawk=squawk, pg_version=pg_version)
            reports.append(review(request, server, steps=[step] if step else (), progress=say))
    _write(reports, output, erd, show_all, step)
    failed = any(r.failed for r in reports) or (step is not None and step.failed)
    return exits.FINDINGS if failed else exits.OK


def _write(
    reports: list[ReviewReport],
    output: OutputFormat,
    erd: bool,
    show_all: bool,
    step: WorkloadStep | None,
) -> None:
    if erd:
        sys.stdout.write(reports[0].erd)
    elif output is OutputFormat.json:
        data = reports[0].model_dump(mode="json") | (step.json_fields() if step else {})
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif output is OutputFormat.sarif:
        sys.stdout.write(json.dumps(to_sarif(reports, version()), indent=2) + "\n")
    elif output is OutputFormat.github:
        sys.stdout.writelines(line + "\n" for r in reports for line in github_annotations(r))
    else:
        for report in reports:
            print_report(console_for(sys.stdout), report, show_all=show_all)
        if step:
            print_workload(console_for(sys.stdout), step)


def _show_rules(output: OutputFormat) -> int:
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(rules_catalogue(), indent=2) + "\n")
    else:
        print_rules(console_for(sys.stdout))
    return exits.OK


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A transient status line on a terminal; throttled plain lines on a piped stderr."""
    if not sys.stderr.isatty():
        yield StatusLines(sys.stderr)
        return
    console = Console(stderr=True)
    with console.status("reviewing") as status:
        yield lambda message: status.update(message)


def register(app: typer.Typer) -> None:
    app.command("review", help=HELP, no_args_is_help=False)(review_command)

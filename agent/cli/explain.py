"""`dbarch explain`: EXPLAIN a workload on your own database (DATABASE_URL), read-only.

Nothing is executed: each query passes the read-only guard, then goes to the server as
one statement over the extended protocol inside a read-only transaction with a statement
timeout, as plain EXPLAIN (generic plans for `$n` parameters), never EXPLAIN ANALYZE.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from agent.cli import exits
from agent.cli.review import console_for
from agent.config import Settings
from tools.errors import InputError
from tools.sql.query import QueryPlan, explain_queries, read_workload

HELP = """EXPLAIN each query of QUERIES.sql on the database at DATABASE_URL, read-only.

Queries are ';'-separated; '-- name: <name>' before a query names it; $1-style parameters are planned as generic plans. Only SELECT (with CTEs, windows, WITHIN GROUP, VALUES) passes the guard; nothing is ever executed. To plan a schema on generated data instead, use `dbarch review SCHEMA --workload QUERIES`.

Example:

    DATABASE_URL=postgresql://readonly@db/app dbarch explain evals/cases/inputs/legacy-shop-queries.sql --format json

Exit codes: 0 every query planned; 1 a query failed to plan or was refused (named in the output); 2 bad input; 3 PostgreSQL unavailable.
"""  # noqa: E501  (help paragraphs are single lines: the terminal rewraps them)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def explain_command(
    queries: Annotated[Path, typer.Argument(help="The workload: ';'-separated SQL queries.")],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for tools.")
    ] = OutputFormat.text,
    read_only: Annotated[
        bool,
        typer.Option("--read-only/--no-read-only", help="Required: your database is only read."),
    ] = True,
    timeout_ms: Annotated[int, typer.Option(help="Statement timeout per query.")] = 5000,
) -> int:
    settings = Settings()
    if not settings.database_url:
        raise InputError("dbarch explain reads DATABASE_URL; set it to your database's URL")
    if not read_only:
        raise InputError("a user's database is only ever read: --no-read-only is refused")
    workload = read_workload(queries)
    plans = explain_queries(settings.database_url, workload, read_only=True, timeout_ms=timeout_ms)
    if output is OutputFormat.json:
        data = [p.model_dump(mode="json") for p in plans]
        sys.stdout.write(json.dumps({"plans": data}, indent=2) + "\n")
    else:
        console_for(sys.stdout).print(_table(plans))
        for plan in plans:
            for finding in plan.findings:
                console_for(sys.stdout).print(f"{finding.severity}: {finding.message}")
    return exits.FINDINGS if any(not p.ok for p in plans) else exits.OK


def _table(plans: list[QueryPlan]) -> Table:
    table = Table(title="Query plans (EXPLAIN, not executed)")
    for column in ("query", "cost", "scans", "error"):
        table.add_column(column)
    for plan in plans:
        scans = ", ".join(f"{s.node} {s.relation or ''}".strip() for s in plan.scans)
        cost = f"{plan.total_cost:,.1f}" if plan.total_cost is not None else "-"
        table.add_row(plan.name, cost, scans, plan.error or "")
    return table


def register(app: typer.Typer) -> None:
    app.command("explain", help=HELP, no_args_is_help=True)(explain_command)

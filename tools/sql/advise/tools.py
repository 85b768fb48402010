"""The workload tools for the model, MCP and HTTP: `explain_queries` and `advise_indexes`.

With `schema` DDL the `workload` queries run on a scratch database filled with synthetic
data at the stated volumes (dropped after the call). Without it, `explain_queries` reads
the configured DATABASE_URL server: EXPLAIN only, through the read-only guard, in a
read-only transaction with a statement timeout.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tools.counts import RowCounts
from tools.errors import ToolError
from tools.registry import Tool, ToolContext
from tools.sql.advise.advisor import Baseline, IndexAdvice
from tools.sql.advise.analysis import SizeText, analyze_applied, analyze_workload, parse_size
from tools.sql.model import Schema
from tools.sql.parse import parse_schema
from tools.sql.query import QueryPlan, explain_queries, parse_workload
from tools.sql.server import PgServer, Scratch, scratch_database
from tools.sql.validate import apply_statements

MAX_CHARS = 5_000_000
WORKLOAD = Field(
    min_length=1,
    max_length=MAX_CHARS,
    description="SQL queries separated by ';', each optionally preceded by '-- name: <name>'; "
    "$1-style parameters are allowed (planned as generic plans).",
)
ROWS: RowCounts = Field(
    default_factory=dict,
    description="Rows per table for the sample data (table -> count); default 1000 each. "
    "Volumes past the sample cap are scaled down together, ratios kept.",
)


class ExplainQueriesInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workload: str = WORKLOAD
    schema_sql: str | None = Field(
        default=None,
        alias="schema",
        max_length=MAX_CHARS,
        description="PostgreSQL DDL to plan against on generated sample data. Omit to EXPLAIN "
        "(never run) the queries on the configured DATABASE_URL server, read-only.",
    )
    rows: RowCounts = ROWS
    include_plan: bool = Field(default=False, description="Return each raw JSON plan tree too.")


class ExplainResult(BaseModel):
    plans: list[QueryPlan]
    failed: list[str] = Field(description="Queries that could not be planned, with the reason")
    sampling_note: str | None = None


class AdviseIndexesInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_sql: str = Field(alias="schema", min_length=1, max_length=MAX_CHARS)
    workload: str = WORKLOAD
    rows: RowCounts = ROWS
    budget: SizeText | None = Field(
        default=None,
        description="Size budget for the advised indexes, e.g. '64MB' "
        "(default: half the sample data's size).",
    )


class AdviceSummary(BaseModel):
    index_advice: list[IndexAdvice]
    workload_cost_before: float
    workload_cost_after: float
    baselines: list[Baseline]
    budget_bytes: int
    method: str
    failed: list[str]
    sampling_note: str | None = None
    notes: list[str] = Field(default_factory=list)


def explain_tool(args: ExplainQueriesInput, ctx: ToolContext) -> ExplainResult:
    server = _server(ctx)
    queries = parse_workload(args.workload, "queries.sql")
    note = None
    if args.schema_sql is None:
        if server.embedded:
            raise ToolError("no DATABASE_URL is configured: pass the schema DDL to plan against")
        plans = explain_queries(server.url, queries, read_only=True)
    else:
        schema = parse_schema(args.schema_sql, "schema.sql")
        with scratch_database(server) as scratch:
            _apply(schema, scratch)
            report = analyze_applied(schema, queries, scratch, args.rows, advise_indexes=False)
        plans, note = report.plans, report.sampling_note
    if not args.include_plan:
        plans = [p.model_copy(update={"plan": None}) for p in plans]
    failed = [p.error for p in plans if p.error]
    return ExplainResult(plans=plans, failed=failed, sampling_note=note)


def advise_tool(args: AdviseIndexesInput, ctx: ToolContext) -> AdviceSummary:
    schema = parse_schema(args.schema_sql, "schema.sql")
    queries = parse_workload(args.workload, "queries.sql")
    budget = parse_size(args.budget) if args.budget else None
    report = analyze_workload(schema, queries, _server(ctx), args.rows, budget)
    return AdviceSummary(
        index_advice=report.index_advice,
        workload_cost_before=report.workload_cost_before,
        workload_cost_after=report.workload_cost_after,
        baselines=report.baselines,
        budget_bytes=report.budget_bytes,
        method=report.method,
        failed=report.errors,
        sampling_note=report.sampling_note,
        notes=report.notes,
    )


def _apply(schema: Schema, scratch: Scratch) -> None:
    result = apply_statements(schema, scratch)
    if not result.valid:
        first = result.errors[0]
        raise ToolError(f"the schema does not apply: line {first.line}: {first.message}")


def _server(ctx: ToolContext) -> PgServer:
    if ctx.pg is None:
        raise ToolError("this tool needs a PostgreSQL server and this context has none")
    return ctx.pg


TOOLS: list[Tool] = [
    Tool(
        name="explain_queries",
        description=(
            "EXPLAIN each query of `workload` (never executed): total cost, scans, and findings "
            "such as seq-scan-on-large-table, select-star, offset-pagination, "
            "function-on-indexed-column and missing-join-index. With `schema`, plans on "
            "generated data at `rows` volumes; without, reads the configured database "
            "read-only. A query that cannot be planned is "
            "reported by name in `failed`; the others are still planned."
        ),
        input_model=ExplainQueriesInput,
        func=explain_tool,
    ),
    Tool(
        name="advise_indexes",
        description=(
            "Advise indexes for a workload: candidates from the queries' predicates, joins, "
            "ORDER BY and GROUP BY (composite, partial, covering, expression, GIN), each proven "
            "by EXPLAIN on sample data at the stated volumes, chosen by cost saved per byte under "
            "`budget`. Returns per index its DDL, the queries it serves, cost before/after and "
            "size, plus the workload cost with FK-only and single-column baselines."
        ),
        input_model=AdviseIndexesInput,
        func=advise_tool,
    ),
]

"""`review_schema`: the review engine on DDL text, plus workload analysis when queries are given.

This is the body of `POST /v1/review` and of the MCP/model tool of the same name: one input
model, one result. The review applies and lints the schema; a workload is then planned on
generated data at the stated volumes and indexes are advised that EXPLAIN shows pay off.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tools.counts import RowCounts
from tools.errors import ToolError
from tools.registry import ToolContext
from tools.sql.advise import IndexAdvice, SizeText, analyze_workload, parse_size
from tools.sql.parse import parse_schema
from tools.sql.pg_features import NEWEST, OLDEST
from tools.sql.query import QueryPlan, parse_workload
from tools.sql.review.engine import ReviewReport, ReviewRequest, review

MAX_SQL_CHARS = 5_000_000


class ReviewSchemaInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_sql: str = Field(
        alias="schema",
        min_length=1,
        max_length=MAX_SQL_CHARS,
        description="The PostgreSQL schema to review, as DDL text (a pg_dump or migrations "
        "concatenated in order).",
    )
    name: str | None = Field(
        default=None, max_length=200, description="File name to use in positions."
    )
    workload: str | None = Field(
        default=None,
        max_length=MAX_SQL_CHARS,
        description="Queries the schema must serve, ';'-separated, each optionally preceded by "
        "'-- name: <name>'; $1-style parameters are allowed. Enables index advice.",
    )
    rows: RowCounts = Field(
        default_factory=dict,
        description="Expected rows per table (table -> count) for the workload analysis.",
    )
    budget: SizeText | None = Field(
        default=None,
        description="Size budget for advised indexes, e.g. '256MB' (default: half the data).",
    )
    squawk: bool = Field(default=True, description="Also run squawk's migration-safety rules.")
    pg_version: int | None = Field(
        default=None,
        ge=OLDEST,
        le=NEWEST,
        description="PostgreSQL major version the schema must run on (13-18); constructs it "
        "lacks are reported as unsupported-in-target-version errors.",
    )


class PlanSummary(BaseModel):
    """A workload query's plan without the raw plan tree (ask explain_queries for that)."""

    name: str
    total_cost: float | None = None
    error: str | None = None
    scans: list[str] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)


class WorkloadSummary(BaseModel):
    sampling_note: str | None = None
    budget_bytes: int = 0
    workload_cost_before: float = 0.0
    workload_cost_after: float = 0.0
    method: str = ""
    errors: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class SchemaReview(ReviewReport):
    """The review JSON (DESIGN.md), with `index_advice` and `plans` when a workload was given."""

    model_config = ConfigDict(extra="forbid")

    index_advice: list[IndexAdvice] = Field(default_factory=list)
    plans: list[PlanSummary] = Field(default_factory=list)
    workload: WorkloadSummary | None = None


def review_schema(args: ReviewSchemaInput, ctx: ToolContext) -> SchemaReview:
    if ctx.pg is None:
        raise ToolError("review_schema needs a PostgreSQL server and this context has none")
    name = args.name or "schema.sql"
    request = ReviewRequest(
        sql=args.schema_sql, name=name, squawk=args.squawk, pg_version=args.pg_version
    )
    result = SchemaReview.model_validate(review(request, ctx.pg).model_dump())
    if args.workload is None:
        return result
    queries = parse_workload(args.workload, "workload.sql")
    if not result.valid:
        result.workload = WorkloadSummary(
            notes=["workload not analysed: fix the statements PostgreSQL refused first"]
        )
        return result
    budget = parse_size(args.budget) if args.budget else None
    schema = parse_schema(args.schema_sql, name)
    report = analyze_workload(schema, queries, ctx.pg, args.rows, budget)
    result.index_advice = report.index_advice
    result.plans = [_summary(plan) for plan in report.plans]
    result.workload = WorkloadSummary.model_validate(
        report.model_dump(include=set(WorkloadSummary.model_fields))
    )
    return result


def _summary(plan: QueryPlan) -> PlanSummary:
    scans = [f"{s.node} on {s.relation}" + (f" using {s.index}" if s.index else "")
             for s in plan.scans]  # fmt: skip
    return PlanSummary(
        name=plan.name,
        total_cost=plan.total_cost,
        error=plan.error,
        scans=scans,
        findings=[f.message for f in plan.findings],
    )

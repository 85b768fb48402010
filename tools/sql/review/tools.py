"""The schema-side SQL tools: review_schema, validate_ddl, lint_schema and render_erd.

Each takes DDL text (never a path: a model's file access goes through the confined file
tools), parses it with PostgreSQL's own grammar and answers with a compact pydantic result.
Validation runs only in a scratch database on `ToolContext.pg`, dropped after the call.
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.erd import render_erd
from tools.errors import ToolError
from tools.registry import Tool, ToolContext
from tools.sql.model import Schema, Skipped
from tools.sql.parse import Suppressed, apply_suppressions, parse_schema, require_statements
from tools.sql.review.lint import RULE_IDS, lint_schema, sort_findings
from tools.sql.review.locate import LineLocator
from tools.sql.review.schema import ReviewSchemaInput, review_schema
from tools.sql.review.squawk import as_findings, run_squawk
from tools.sql.rules import Finding
from tools.sql.rules.base import SEVERITY_ORDER, Severity
from tools.sql.server import PgServer
from tools.sql.validate import StatementError, validate_schema

MAX_SQL_CHARS = 5_000_000
SQL_FIELD = Field(
    alias="schema",
    min_length=1,
    max_length=MAX_SQL_CHARS,
    description=(
        "PostgreSQL DDL as text: CREATE TABLE/TYPE/INDEX/EXTENSION... statements separated by "
        "';'. psql meta-commands such as \\c are skipped, not executed."
    ),
)
NAME_FIELD = Field(
    default=None,
    max_length=200,
    description="A file name to use in error positions (e.g. 'schema.sql'); default '<input>'.",
)


class _Input(BaseModel):
    # `schema` on the wire (one name for DDL in every tool); `schema_sql` in Python, where
    # `schema` would shadow pydantic's BaseModel.schema.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ValidateDdlInput(_Input):
    schema_sql: str = SQL_FIELD
    name: str | None = NAME_FIELD
    max_errors: int = Field(
        default=20, ge=1, le=500, description="Report at most this many refused statements."
    )


class DdlValidation(BaseModel):
    """Whether PostgreSQL accepted every statement, and where it did not."""

    valid: bool
    applied: int = Field(description="Statements PostgreSQL executed successfully")
    tables: list[str]
    error_count: int
    errors: list[StatementError] = Field(
        description="Refused statements; `caused_by` marks a failure that only follows from "
        "an earlier one (fix the root first)"
    )
    skipped: list[Skipped]
    server_version: int | None = None


class LintSchemaInput(_Input):
    schema_sql: str = SQL_FIELD
    name: str | None = NAME_FIELD
    rules: list[str] | None = Field(
        default=None,
        description=f"Only these design rules (default all): {', '.join(RULE_IDS)}.",
    )
    min_severity: Severity = Field(
        default="info", description="Drop findings below this severity (error > warning > info)."
    )
    squawk: bool = Field(
        default=False,
        description="Also run squawk's migration-safety rules (reported as 'squawk:<rule>').",
    )

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: list[str] | None) -> list[str] | None:
        unknown = [rule for rule in value or [] if rule not in RULE_IDS]
        if unknown:
            raise ValueError(f"unknown rule(s) {unknown}; known: {', '.join(RULE_IDS)}")
        return value


class LintCounts(BaseModel):
    error: int = 0
    warning: int = 0
    info: int = 0


class LintResult(BaseModel):
    """Design findings, most severe first; severity error means the schema should change."""

    tables: list[str]
    counts: LintCounts
    findings: list[Finding]
    suppressed: list[Suppressed] = Field(
        default_factory=list, description="Findings silenced by `-- dbarch:ignore` comments"
    )


class RenderErdInput(_Input):
    schema_sql: str = SQL_FIELD
    name: str | None = NAME_FIELD
    tables: list[str] | None = Field(
        default=None,
        description="Draw only these tables (relationships between them kept); default all.",
    )


def validate_ddl(args: ValidateDdlInput, ctx: ToolContext) -> DdlValidation:
    """Apply the DDL to a throw-away database: `valid` means PostgreSQL itself accepted it."""
    schema = require_statements(parse_schema(args.schema_sql, args.name), args.name)
    result = validate_schema(schema, _server(ctx, "validate_ddl"))
    return DdlValidation(
        valid=result.valid,
        applied=result.applied,
        tables=list(schema.tables),
        error_count=len(result.errors),
        errors=result.errors[: args.max_errors],
        skipped=sorted([*schema.skipped, *result.skipped], key=lambda s: s.line),
        server_version=result.server_version,
    )


def lint_ddl(args: LintSchemaInput, ctx: ToolContext) -> LintResult:
    """Design rules on the parsed schema; needs no database, so it is cheap to call often."""
    schema = require_statements(parse_schema(args.schema_sql, args.name), args.name)
    findings = lint_schema(schema, args.rules)
    if args.squawk:
        violations = run_squawk([(args.name, args.schema_sql)])
        findings = findings + as_findings(violations, LineLocator(schema))
    ran = set(args.rules or RULE_IDS) | ({f.rule for f in findings} if args.squawk else set())
    # a suppression of a rule this call did not run is not "unused"
    relevant = [s for s in schema.suppressions if s.rule is None or s.rule in ran or not s.reason]
    findings, suppressed = apply_suppressions(findings, relevant)
    findings = sort_findings(findings)
    floor = SEVERITY_ORDER[args.min_severity]
    kept = [f for f in findings if SEVERITY_ORDER[f.severity] <= floor]
    counts = LintCounts()
    for finding in kept:
        setattr(counts, finding.severity, getattr(counts, finding.severity) + 1)
    return LintResult(
        tables=list(schema.tables), counts=counts, findings=kept, suppressed=suppressed
    )


def erd_of(args: RenderErdInput, ctx: ToolContext) -> str:
    """Mermaid `erDiagram` text, ready to paste into a fenced ```mermaid block."""
    schema = require_statements(parse_schema(args.schema_sql, args.name), args.name)
    return render_erd(_only(schema, args.tables))


def _only(schema: Schema, tables: list[str] | None) -> Schema:
    if tables is None:
        return schema
    missing = [name for name in tables if name not in schema.tables]
    if missing:
        known = ", ".join(schema.tables) or "none"
        raise ToolError(f"no table(s) {', '.join(missing)} in the DDL; tables: {known}")
    return replace(schema, tables={n: schema.tables[n] for n in tables})


def _server(ctx: ToolContext, tool: str) -> PgServer:
    if ctx.pg is None:
        raise ToolError(f"{tool} needs a PostgreSQL server and this context has none")
    return ctx.pg


TOOLS: list[Tool] = [
    Tool(
        name="review_schema",
        description=(
            "Review a whole PostgreSQL schema: apply it to a scratch database on a real "
            "PostgreSQL, lint its design, run squawk, draw its ERD; with a workload of queries, "
            "also plan them on generated data at the stated row counts and advise indexes that "
            "EXPLAIN shows lower their cost. Returns the review JSON (valid, errors, tables, "
            "findings, index_advice)."
        ),
        input_model=ReviewSchemaInput,
        func=review_schema,
    ),
    Tool(
        name="validate_ddl",
        description=(
            "Apply PostgreSQL DDL to a fresh scratch database on a real PostgreSQL 18 server "
            "(dropped afterwards) and report which statements it refused, with line, column and "
            "PostgreSQL's message. Use it to prove a schema applies before presenting it."
        ),
        input_model=ValidateDdlInput,
        func=validate_ddl,
    ),
    Tool(
        name="lint_schema",
        description=(
            "Check PostgreSQL DDL against design rules (missing primary keys, unindexed foreign "
            "keys, EAV tables, stringly-typed status, timestamp without time zone, float for "
            "money, redundant indexes, naming) without running it. Severity error findings must "
            "be fixed or justified."
        ),
        input_model=LintSchemaInput,
        func=lint_ddl,
    ),
    Tool(
        name="render_erd",
        description=(
            "Render PostgreSQL DDL as a Mermaid erDiagram: tables with PK/FK/UK marks and "
            "relationships whose cardinality comes from the foreign keys' nullability and "
            "uniqueness."
        ),
        input_model=RenderErdInput,
        func=erd_of,
    ),
]

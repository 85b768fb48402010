"""The review engine: read -> parse -> apply to a scratch PostgreSQL -> lint + squawk -> report.

One function, `review`, serves the CLI, HTTP and MCP alike. squawk runs in its own
process while PostgreSQL applies the DDL, so its cost hides behind validation. Steps that
need the applied database (the workload analysis) are passed in as `steps` and run while
the scratch database still exists; they add their own fields to the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools.erd import render_erd
from tools.errors import InputError
from tools.sql.model import Schema, Skipped
from tools.sql.parse import (
    SourceFile,
    Suppressed,
    apply_suppressions,
    build_schema,
    preprocess,
    read_sources,
    require_statements,
)
from tools.sql.pg_features import NEWEST, OLDEST, version_findings
from tools.sql.review.lint import lint_schema, sort_findings
from tools.sql.review.locate import LineLocator
from tools.sql.review.squawk import DEFAULT_TIMEOUT_S, SquawkViolation, as_findings, run_squawk
from tools.sql.rules import Finding
from tools.sql.server import PgServer, Scratch, scratch_database
from tools.sql.validate import StatementError, ValidationResult, apply_statements

Progress = Callable[[str], None]


class ReviewRequest(BaseModel):
    """What to review: a file or migrations folder (`path`), or SQL text (`sql`)."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(default=None, description="A .sql file or a folder of migrations")
    sql: str | None = Field(default=None, description="SQL text to review instead of a path")
    name: str | None = Field(default=None, description="How `sql` is named in messages")
    squawk: bool = Field(default=True, description="Also run squawk's migration-safety rules")
    pg_version: int | None = Field(
        default=None,
        ge=OLDEST,
        le=NEWEST,
        description="The PostgreSQL major version the schema must run on: constructs it lacks "
        "are errors (unsupported-in-target-version). Default: the server's version.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.path is None) == (self.sql is None):
            raise ValueError("give exactly one of 'path' or 'sql'")
        return self


class ReviewCounts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tables: int
    statements: int
    errors: int  # statements PostgreSQL refused
    findings: int
    error: int  # findings by severity
    warning: int
    info: int
    skipped: int


class ReviewReport(BaseModel):
    """The review's JSON contract (DESIGN.md): `valid`, `errors`, `tables`, `findings`..."""

    model_config = ConfigDict(extra="forbid")

    source: str
    valid: bool  # every statement applied cleanly
    errors: list[StatementError]
    tables: list[str]
    findings: list[Finding]
    suppressed: list[Suppressed] = Field(default_factory=list)  # `-- dbarch:ignore` at work
    skipped: list[Skipped]
    erd: str
    counts: ReviewCounts
    server_version: int | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per step, and total

    @property
    def failed(self) -> bool:
        """A refused statement or a finding of severity error: the review's exit is 1."""
        return not self.valid or self.counts.error > 0


AppliedStep = Callable[[ReviewRequest, Schema, Scratch, ReviewReport], None]


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 4)


def review(
    request: ReviewRequest,
    server: PgServer,
    steps: Sequence[AppliedStep] = (),
    progress: Progress | None = None,
) -> ReviewReport:
    """Review a schema; raises `SqlSyntaxError`/`InputError` for input that cannot be read.

    squawk starts on the text at once (its own process); the model is built a slice of
    statements at a time; lint and the ERD read it in a worker thread while PostgreSQL
    applies the DDL (the apply mostly waits on the server).
    """
    say = progress or (lambda _: None)
    timer = _Timer()
    started = time.perf_counter()
    say("reading")
    with ThreadPoolExecutor(max_workers=2) as pool:
        with timer.step("read"):
            sources = load_sources(request)
        squawked = pool.submit(_squawk, sources, request.pg_version) if request.squawk else None
        with timer.step("parse"):
            schema = require_statements(
                build_schema(sources, _parse_progress(say, sources)), request.path or request.name
            )
        analysis = pool.submit(_analyse, schema, squawked, request.pg_version)
        with scratch_database(server) as scratch:
            say(f"applying {len(schema.statements)} statements to PostgreSQL")
            with timer.step("validate"):
                validation = apply_statements(schema, scratch, _apply_progress(say))
            if not analysis.done():
                say("linting")
            report = _report(request, schema, validation, analysis.result(), timer)
            for step in steps:
                step(request, schema, scratch, report)
            dropping = time.perf_counter()
        report.timings["drop"] = round(time.perf_counter() - dropping, 4)
    report.timings["total"] = round(time.perf_counter() - started, 4)
    return report


def load_sources(request: ReviewRequest) -> list[SourceFile]:
    if request.sql is not None:
        return [preprocess(request.sql, request.name or "<input>")]
    if not request.path:
        raise InputError("nothing to review: give a path or SQL text")
    return read_sources(Path(request.path))


def _apply_progress(say: Progress) -> Callable[[int, int], None]:
    return lambda done, total: say(f"applying statements to PostgreSQL: {done}/{total}")


def _parse_progress(say: Progress, sources: list[SourceFile]) -> Callable[[int], None]:
    """Characters parsed so far, across every file, as a share of the whole input."""
    total = sum(len(source.text) for source in sources) or 1
    return lambda done: say(f"parsing: {100 * done // total}% of {total / 1e6:,.1f} M chars")


@dataclass
class _Analysis:
    """What the model alone tells: design findings (squawk's included) and the ERD."""

    findings: list[Finding]
    suppressed: list[Suppressed]
    erd: str
    seconds: dict[str, float]


def _squawk(
    sources: list[SourceFile], pg_version: int | None
) -> tuple[list[SquawkViolation], float]:
    started = time.perf_counter()
    chars = sum(len(s.text) for s in sources)
    # squawk takes ~1 s per MB here: a dump of tens of MB must not hit the default timeout
    timeout = DEFAULT_TIMEOUT_S + 10 * chars / 1e6
    texts = [(s.name, s.text) for s in sources]
    target = f"{pg_version}.0" if pg_version else None
    violations = run_squawk(texts, timeout_s=timeout, pg_version=target)
    return violations, round(time.perf_counter() - started, 4)


def _analyse(
    schema: Schema,
    squawked: Future[tuple[list[SquawkViolation], float]] | None,
    pg_version: int | None,
) -> _Analysis:
    timer = _Timer()
    with timer.step("lint"):
        findings = lint_schema(schema)
        if pg_version is not None:
            findings += version_findings(schema.statements, pg_version)
    with timer.step("erd"):
        erd = render_erd(schema)
    if squawked is not None:
        violations, timer.seconds["squawk"] = squawked.result()
        with timer.step("squawk_map"):
            findings = findings + as_findings(violations, LineLocator(schema))
    kept, suppressed = apply_suppressions(findings, schema.suppressions)
    return _Analysis(sort_findings(kept), suppressed, erd, timer.seconds)


def _report(
    request: ReviewRequest,
    schema: Schema,
    validation: ValidationResult,
    analysis: _Analysis,
    timer: _Timer,
) -> ReviewReport:
    skipped = sorted([*schema.skipped, *validation.skipped], key=lambda s: (s.file or "", s.line))
    return ReviewReport(
        source=request.path or request.name or "<input>",
        valid=validation.valid,
        errors=validation.errors,
        tables=list(schema.tables),
        findings=analysis.findings,
        suppressed=analysis.suppressed,
        skipped=skipped,
        erd=analysis.erd,
        counts=_counts(schema, validation, analysis.findings, skipped),
        server_version=validation.server_version,
        timings={**timer.seconds, **analysis.seconds},
    )


def _counts(
    schema: Schema, validation: ValidationResult, findings: list[Finding], skipped: list[Skipped]
) -> ReviewCounts:
    by: dict[Literal["error", "warning", "info"], int] = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        by[finding.severity] += 1
    return ReviewCounts(
        tables=len(schema.tables),
        statements=len(schema.statements),
        errors=len(validation.errors),
        findings=len(findings),
        error=by["error"],
        warning=by["warning"],
        info=by["info"],
        skipped=len(skipped),
    )

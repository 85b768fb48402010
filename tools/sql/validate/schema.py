"""Validation: apply a parsed schema to a scratch database on a real PostgreSQL.

Every statement runs as the unprivileged sandbox role, so PostgreSQL itself refuses what a
superuser could do. Statements go in batches, each one round trip and one transaction; a
batch that fails is rolled back whole and replayed one statement at a time, so every
failing statement is reported and a clean schema costs about one `psql -f`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from tools.sql.model import Schema, Skipped, Statement
from tools.sql.nodes import Json
from tools.sql.server import PgServer, Scratch, scratch_database
from tools.sql.validate.applier import Applier, Outcome
from tools.sql.validate.failures import Cause, FailureTracker, is_missing_extension
from tools.sql.validate.scope import skip_reason, statement_node

Progress = Callable[[int, int], None]
BATCH_SIZE = 64


class StatementError(BaseModel):
    """One statement PostgreSQL refused, where it is, and whether it is only a consequence."""

    model_config = ConfigDict(extra="forbid")

    message: str  # PostgreSQL's primary message: `relation "accounts" does not exist`
    detail: str | None = None
    hint: str | None = None
    sqlstate: str | None = None
    file: str | None = None
    line: int
    column: int = 1
    kind: str  # pglast node name of the statement, e.g. "CreateStmt"
    statement: str  # the statement's first line, to recognise it
    caused_by: int | None = None  # line of the earlier failure this one follows from
    caused_by_file: str | None = None  # and its file, when the input was a folder
    missing_extension: str | None = None


class ValidationResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid: bool
    errors: list[StatementError] = Field(default_factory=list)
    # Statements not applied because they act outside a scratch database (CREATE DATABASE,
    # OWNER TO, GRANT...); input never parsed (psql meta-commands) is in `Schema.skipped`.
    skipped: list[Skipped] = Field(default_factory=list)
    applied: int = 0
    seconds: float = 0.0
    server_version: int | None = None

    @property
    def root_errors(self) -> list[StatementError]:
        """Failures that do not merely follow from an earlier one."""
        return [e for e in self.errors if e.caused_by is None]


def validate_schema(
    schema: Schema, server: PgServer, progress: Progress | None = None
) -> ValidationResult:
    """Apply `schema` to a fresh scratch database that is dropped afterwards, whatever happens."""
    with scratch_database(server) as scratch:
        return apply_statements(schema, scratch, progress)


def apply_statements(
    schema: Schema, scratch: Scratch, progress: Progress | None = None
) -> ValidationResult:
    """Apply every statement of `schema` into an existing scratch database.

    The database stays filled for the caller (the workload analysis runs queries on it).
    `progress(done, total)` is called after each batch; an exception it raises (Ctrl-C)
    stops the apply and propagates.
    """
    started = time.perf_counter()
    runnable: list[Statement] = []
    skipped: list[Skipped] = []
    for statement in schema.statements:
        reason = skip_reason(statement)
        if reason is None:
            runnable.append(statement)
        else:
            skipped.append(_skipped(statement, reason))
    errors: list[StatementError] = []
    planned_skips = len(skipped)
    with Applier(scratch) as applier:
        _Run(applier, errors, skipped, progress).run(runnable)
        version = applier.server_version
    return ValidationResult(
        valid=not errors,
        errors=errors,
        skipped=skipped,
        applied=len(runnable) - len(errors) - (len(skipped) - planned_skips),
        seconds=round(time.perf_counter() - started, 3),
        server_version=version,
    )


class _Run:
    """One apply: batches statements, replays failed batches, classifies each failure."""

    def __init__(
        self,
        applier: Applier,
        errors: list[StatementError],
        skipped: list[Skipped],
        progress: Progress | None,
    ) -> None:
        self.applier = applier
        self.errors = errors
        self.skipped = skipped
        self.progress = progress
        self.tracker = FailureTracker()

    def run(self, statements: list[Statement]) -> None:
        batch: list[Statement] = []
        for done, statement in enumerate(statements, start=1):
            if self.applier.needs_own_step(statement):
                self._flush(batch)
                batch = []
                self._report(statement, self.applier.run_alone(statement))
            else:
                batch.append(statement)
                if len(batch) >= BATCH_SIZE:
                    self._flush(batch)
                    batch = []
            if self.progress is not None and (not batch or done == len(statements)):
                self.progress(done, len(statements))
        self._flush(batch)

    def _flush(self, batch: list[Statement]) -> None:
        if not batch or self.applier.run_batch(batch):
            return
        for statement in batch:
            self._report(statement, self.applier.run_one(statement))

    def _report(self, statement: Statement, outcome: Outcome | None) -> None:
        if outcome is None:
            return
        if outcome.skipped_reason:
            self.skipped.append(_skipped(statement, outcome.skipped_reason))
            return
        node = statement_node(statement)
        cause, missing = self._classify(statement, node, outcome.message)
        line, column = _error_position(statement, outcome.position)
        root = cause or Cause(line, missing, statement.file)
        self.tracker.record(statement.kind, node, root)
        self.errors.append(
            StatementError(
                message=outcome.message,
                detail=outcome.detail,
                hint=outcome.hint,
                sqlstate=outcome.sqlstate,
                file=statement.file,
                line=line,
                column=column,
                kind=statement.kind,
                statement=_first_line(statement),
                caused_by=cause.line if cause else None,
                caused_by_file=cause.file if cause else None,
                missing_extension=missing,
            )
        )

    def _classify(
        self, statement: Statement, node: Json, message: str
    ) -> tuple[Cause | None, str | None]:
        """The root failure this one follows from, and the extension it needed, if known."""
        cause = self.tracker.cause_of(node, message)
        if statement.kind == "CreateExtensionStmt" and is_missing_extension(message):
            return cause, str(node.get("extname", "")) or None
        if cause is not None:
            return cause, cause.extension
        return None, self.tracker.guess_extension(node, message)


def _error_position(statement: Statement, position: int | None) -> tuple[int, int]:
    """File line/column of PostgreSQL's error cursor (a 1-based offset into the statement)."""
    if not position or position > len(statement.sql) + 1:
        return statement.line, statement.column
    before = statement.sql[: position - 1]
    newlines = before.count("\n")
    if newlines == 0:
        return statement.line, statement.column + len(before)
    return statement.line + newlines, len(before) - before.rfind("\n")


def _first_line(statement: Statement) -> str:
    return statement.sql.splitlines()[0][:200] if statement.sql else ""


def _skipped(statement: Statement, reason: str) -> Skipped:
    return Skipped(
        file=statement.file, line=statement.line, text=_first_line(statement), reason=reason
    )

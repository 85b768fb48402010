"""Check migrations the way a deployment would meet them: squawk on each up file, and a real apply.

squawk runs with its default rule set and no exclusions: the planner writes files that
satisfy its online-migration rules (lock and statement timeouts, NOT VALID constraints,
CONCURRENTLY indexes, transactions). Applying goes statement by statement in autocommit, as
psql does, so the file's own BEGIN/COMMIT decide the transactions and CREATE INDEX
CONCURRENTLY runs outside one.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pglast
import psycopg

from agent.brains.rules.migrations.sql import DATA_LOSS_SETTING
from agent.package import Migration
from tools.errors import DatabaseError, ToolError
from tools.sql import pgparse
from tools.sql.review import SquawkViolation, squawk_binary
from tools.sql.server import connect

SQUAWK_TIMEOUT_S = 60.0


def lint_migrations(migrations: list[Migration], pg_version: str = "18") -> list[SquawkViolation]:
    """squawk's violations on every up file (file = the migration name)."""
    if not migrations:
        return []
    with tempfile.TemporaryDirectory(prefix="dbarch-migrations-") as tmp:
        paths = []
        for mig in migrations:
            path = Path(tmp) / f"{mig.name}.up.sql"
            path.write_text(mig.up, encoding="utf-8")
            paths.append(str(path))
        command = [str(squawk_binary()), "--reporter", "json", f"--pg-version={pg_version}"]
        try:
            done = subprocess.run(
                [*command, *paths], capture_output=True, text=True, timeout=SQUAWK_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolError(f"squawk could not lint the migrations: {exc}") from exc
    if done.returncode not in (0, 1):
        raise ToolError(f"squawk failed (exit {done.returncode}): {done.stderr.strip()[:500]}")
    return [_named(v) for v in _violations(done.stdout)]


def _violations(raw: str) -> list[SquawkViolation]:
    try:
        return [SquawkViolation.model_validate(entry) for entry in json.loads(raw or "[]")]
    except (ValueError, TypeError) as exc:
        raise ToolError(f"squawk printed something other than its JSON report: {exc}") from exc


def _named(violation: SquawkViolation) -> SquawkViolation:
    name = Path(violation.file or "").name.removesuffix(".up.sql")
    return violation.model_copy(
        update={"file": name, "line": violation.line + 1, "column": violation.column + 1}
    )


def migration_statements(text: str) -> list[str]:
    """The statements of one migration file, in order (comments dropped)."""
    try:
        return [s for s in pglast.split(text) if s.strip()]
    except pglast.parser.ParseError as exc:
        raise pgparse.syntax_error(exc, text) from exc


def apply_migration(dsn: str, text: str, allow_data_loss: bool = False) -> None:
    """Run one migration file on `dsn` as psql would; DatabaseError names the statement.

    `allow_data_loss` is what a person sets to run a purge step on purpose
    (`PGOPTIONS='-c dbarch.allow_data_loss=on'`); without it such a step stops.
    """
    with connect(dsn, autocommit=True) as conn:
        if allow_data_loss:
            conn.execute(f"SET {DATA_LOSS_SETTING} = 'on'")
        for statement in migration_statements(text):
            try:
                conn.execute(statement)
            except psycopg.Error as exc:
                raise DatabaseError(f"{exc.__class__.__name__}: {exc} in: {statement}") from exc


def apply_all(
    dsn: str, migrations: list[Migration], direction: str = "up", allow_data_loss: bool = False
) -> None:
    """Every up file in order, or every down file newest first."""
    ordered = migrations if direction == "up" else list(reversed(migrations))
    for mig in ordered:
        apply_migration(dsn, mig.up if direction == "up" else mig.down, allow_data_loss)

"""Run squawk (the migration-safety linter shipped in the squawk-cli wheel) and read its JSON.

squawk's rules are about changing a database that is serving traffic: locks, timeouts,
re-runnable migrations. A review looks at a schema as a whole, usually created from
nothing, so we run it with `--assume-in-transaction` (squawk then knows which tables the
same file creates and stays quiet about locks on them), exclude the rules that only make
sense for a live migration, and pass the rest through as `squawk:<rule>` warnings or info.
None is an error: no squawk rule says a freshly created schema is wrong.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from tools.errors import ToolError
from tools.sql.review.locate import LineLocator
from tools.sql.rules.base import Finding, Severity

# Rules excluded on purpose, with the reason `dbarch review --rules` prints.
EXCLUDED: dict[str, str] = {
    "prefer-robust-stmts": "IF NOT EXISTS re-runnability is a migration-tool concern",
    "require-timeout-settings": "lock/statement timeouts guard live migrations",
    "require-lock-timeout": "lock timeouts guard live migrations",
    "require-statement-timeout": "statement timeouts guard live migrations",
    "prefer-timestamp-tz": "reported as timestamp-without-time-zone",
    "ban-drop-database": "database-level statements are skipped, never applied",
}
# Capacity and style advice, not defects: shown as info so they do not drown warnings.
INFO_RULES: frozenset[str] = frozenset(
    {
        "prefer-bigint-over-int",
        "prefer-bigint-over-smallint",
        "prefer-text-field",
        "prefer-identity",
        "syntax-error",  # squawk's own parser; PostgreSQL's grammar already accepted the file
    }
)
DEFAULT_TIMEOUT_S = 60.0


class SquawkViolation(BaseModel):
    """One entry of squawk's JSON report, with 1-based line and column."""

    model_config = ConfigDict(extra="ignore")

    rule_name: str
    level: str
    message: str
    help: str | None = None
    file: str | None = None
    line: int
    column: int

    @property
    def severity(self) -> Severity:
        return "info" if self.rule_name in INFO_RULES else "warning"


def squawk_binary() -> Path:
    """The squawk next to this interpreter (the wheel's script), else the one on PATH."""
    beside = Path(sys.executable).parent / "squawk"
    if beside.exists():
        return beside
    found = shutil.which("squawk")
    if found is None:
        raise ToolError("squawk is not installed (pip install squawk-cli)")
    return Path(found)


def run_squawk(
    sources: Sequence[tuple[str | None, str]],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    pg_version: str | None = None,
) -> list[SquawkViolation]:
    """Lint (name, sql text) pairs in one squawk process; names come back as given.

    Texts are written to a private temp folder (squawk reads files; one process for a
    folder of migrations instead of one per file) in input order.
    """
    if not sources:
        return []
    with tempfile.TemporaryDirectory(prefix="dbarch-squawk-") as tmp:
        paths = [Path(tmp) / f"{i:05d}.sql" for i in range(len(sources))]
        for path, (_, text) in zip(paths, sources, strict=True):
            path.write_text(text, encoding="utf-8")
        raw = _invoke([str(p) for p in paths], timeout_s, pg_version)
    names = {str(p): name for p, (name, _) in zip(paths, sources, strict=True)}
    return [v.model_copy(update={"file": names.get(v.file or "")}) for v in _decode(raw)]


def _command(paths: list[str], pg_version: str | None) -> list[str]:
    command = [str(squawk_binary()), "--reporter", "json", "--assume-in-transaction"]
    command += [f"--exclude={','.join(EXCLUDED)}"]
    if pg_version:
        command.append(f"--pg-version={pg_version}")
    return [*command, *paths]


def _invoke(paths: list[str], timeout_s: float, pg_version: str | None) -> str:
    command = _command(paths, pg_version)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"squawk did not finish within {timeout_s:g} s") from exc
    except OSError as exc:
        raise ToolError(f"cannot run squawk: {exc}") from exc
    if done.returncode not in (0, 1):  # 1 means "found something"
        raise ToolError(f"squawk failed (exit {done.returncode}): {done.stderr.strip()[:500]}")
    return done.stdout


def _decode(raw: str) -> list[SquawkViolation]:
    """squawk's JSON with its 0-based positions made 1-based like everything else here."""
    try:
        entries = json.loads(raw or "[]")
        violations = [SquawkViolation.model_validate(entry) for entry in entries]
    except (json.JSONDecodeError, ValidationError, TypeError) as exc:
        raise ToolError(f"squawk printed something other than its JSON report: {exc}") from exc
    return [v.model_copy(update={"line": v.line + 1, "column": v.column + 1}) for v in violations]


def as_findings(violations: Sequence[SquawkViolation], locator: LineLocator) -> list[Finding]:
    """squawk's violations as `squawk:<rule>` findings, placed on their table when known."""
    findings = []
    for v in violations:
        table, column = locator.locate(v.file, v.line)
        findings.append(
            Finding(
                rule=f"squawk:{v.rule_name}",
                severity=v.severity,
                table=table,
                column=column,
                message=v.message,
                fix=v.help,
                file=v.file,
                line=v.line,
            )
        )
    return findings

"""The project's exception tree: one root, a few branches the CLI and HTTP layers map to exits.

Tools raise these rather than strings so that callers (CLI, HTTP, MCP, the model's tool
loop) can decide how to present them without parsing messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ArchitectError(Exception):
    """Root of every error the project raises on purpose."""

    exit_code: int = 2

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": str(self)}


class InputError(ArchitectError):
    """The caller handed us something we cannot use (missing file, bad option)."""


@dataclass
class SourceLocation:
    """Where in the user's input something happened; line and column are 1-based."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class SqlSyntaxError(InputError):
    """SQL that PostgreSQL's own grammar (libpg_query) rejects."""

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.location = SourceLocation(file, line, column)
        self.detail = message
        # PostgreSQL's own messages already say "syntax error at or near ..."
        prefix = "" if message.startswith("syntax error") else "syntax error: "
        super().__init__(f"{self.location}: {prefix}{message}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "SqlSyntaxError",
            "message": self.detail,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
        }


class SpecError(InputError):
    """A requirements spec that does not validate; `problems` name the key paths."""

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "SpecError", "message": str(self), "problems": self.problems}


class DatabaseError(ArchitectError):
    """The PostgreSQL server could not be started, reached or used."""


class UnsafeSqlError(ArchitectError):
    """SQL refused by the read-only guard before it reached a user's database."""


class ToolError(ArchitectError):
    """A tool refused or failed a call; the model sees it as an is_error tool result."""


class PathEscapeError(ToolError):
    """A file tool was asked for a path outside its workspace root."""


class CommandDenied(ToolError):
    """The Bash tool's policy refused a command line."""


class ModelError(ArchitectError):
    """The remote model failed in a way retries could not cure."""


class BudgetExceeded(ArchitectError):
    """A turn, token, cost or wall-time budget ran out; the loop stops instead of hanging."""

    def __init__(self, budget: str, limit: float, used: float) -> None:
        self.budget, self.limit, self.used = budget, limit, used
        super().__init__(f"{budget} budget exhausted: used {used:g} of {limit:g}")


class GateFailed(ArchitectError):
    """A stage's output failed its gate more times than allowed."""

    exit_code = 1

    def __init__(self, gate: str, findings: list[str]) -> None:
        self.gate, self.findings = gate, findings
        joined = "; ".join(findings[:5])
        super().__init__(f"gate '{gate}' failed: {joined}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "GateFailed",
            "gate": self.gate,
            "findings": self.findings,
            "message": str(self),
        }


class RunIncomplete(ArchitectError):
    """A run's state lacks a stage's output or a passing gate verdict: no package from it."""

    exit_code = 1

    def __init__(self, gaps: list[str]) -> None:
        self.gaps = gaps
        super().__init__("the run is incomplete, so no package was built: " + "; ".join(gaps))

"""Read a workload: `;`-separated queries with optional `-- name:` comments and `$n` parameters.

Statements are split with PostgreSQL's own grammar (pglast positions), never on `;` text,
so semicolons inside strings, dollar quotes and comments cannot cut a query in two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from pglast import ast
from pglast.parser import ParseError, Token, scan
from pydantic import BaseModel, ConfigDict

from tools.errors import InputError
from tools.sql import pgparse
from tools.sql.astwalk import walk

_NOT_CODE = frozenset({"SQL_COMMENT", "C_COMMENT", "ASCII_59"})
_NAME_COMMENT = re.compile(r"^--\s*name\s*:\s*(?P<name>\S.*?)\s*$", re.IGNORECASE)


class WorkloadQuery(BaseModel):
    """One query of a workload and where it came from."""

    model_config = ConfigDict(extra="forbid")

    name: str
    sql: str
    params: int = 0  # highest $n used; such queries are explained as generic plans
    kind: str = "SelectStmt"  # pglast node name of the statement
    weight: float = 1.0  # relative frequency, e.g. an access pattern's per_second
    file: str | None = None
    line: int = 1
    column: int = 1


def read_workload(path: Path) -> list[WorkloadQuery]:
    """Parse a workload file; unreadable or unparsable input names the file (and line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read workload file {path}: {exc}") from exc
    return parse_workload(text, file=str(path))


def parse_workload(text: str, file: str | None = None) -> list[WorkloadQuery]:
    """Split `text` into named queries; default names are `q1`, `q2`... by position."""
    stmts = _parse(text, file)
    tokens = list(scan(text))
    comments = _name_comments(text, tokens)
    queries: list[WorkloadQuery] = []
    previous_end = 0
    for number, raw in enumerate(stmts, start=1):
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(text)
        named = [name for pos, name in comments if previous_end <= pos < start]
        line, column = pgparse.line_column(text, start)
        queries.append(
            WorkloadQuery(
                name=named[-1] if named else f"q{number}",
                sql=text[start : _code_end(tokens, start, end)],
                params=param_count(raw.stmt),
                kind=type(raw.stmt).__name__,
                file=file,
                line=line,
                column=column,
            )
        )
        previous_end = end
    _check_unique(queries)
    return queries


def workload_from_patterns(
    patterns: Iterable[tuple[str, str] | tuple[str, str, float]], file: str | None = None
) -> list[WorkloadQuery]:
    """Build a workload from a spec's access patterns: (name, sql[, per_second]) each."""
    queries: list[WorkloadQuery] = []
    for pattern in patterns:
        name, sql = pattern[0], pattern[1]
        weight = float(pattern[2]) if len(pattern) > 2 else 1.0
        parsed = parse_workload(sql, file=file or f"access pattern '{name}'")
        if len(parsed) != 1:
            msg = f"access pattern '{name}' must hold exactly one statement, found {len(parsed)}"
            raise InputError(msg)
        queries.append(parsed[0].model_copy(update={"name": name, "weight": weight}))
    _check_unique(queries)
    return queries


def param_count(node: ast.Node | None) -> int:
    """The highest `$n` in a statement (PostgreSQL numbers parameters, gaps allowed)."""
    numbers = [n.number or 0 for n in walk(node) if isinstance(n, ast.ParamRef)]
    return max(numbers, default=0)


def _parse(text: str, file: str | None) -> Sequence[ast.RawStmt]:
    try:
        stmts = pgparse.parse_sql(text)
    except ParseError as exc:
        raise pgparse.syntax_error(exc, text, file) from exc
    if not stmts:
        raise InputError(f"{file or '<input>'}: the workload holds no SQL statement")
    return stmts


def _code_end(tokens: Sequence[Token], start: int, end: int) -> int:
    """End of a statement's last real token: trailing comments and `;` are not the query.

    A query that ended in a `-- comment` would swallow anything later appended to it.
    """
    code = [t.end + 1 for t in tokens if start <= t.start < end and t.name not in _NOT_CODE]
    return max(code, default=end)


def _name_comments(text: str, tokens: Sequence[Token]) -> list[tuple[int, str]]:
    """Positions and names of `-- name: x` comments, found by the SQL scanner."""
    found: list[tuple[int, str]] = []
    for token in tokens:
        if token.name == "SQL_COMMENT":
            match = _NAME_COMMENT.match(text[token.start : token.end + 1])
            if match:
                found.append((token.start, match["name"]))
    return found


def _check_unique(queries: list[WorkloadQuery]) -> None:
    """Advice names the queries it serves, so two queries may not share a name."""
    seen: dict[str, WorkloadQuery] = {}
    for query in queries:
        if query.name in seen:
            first = seen[query.name]
            msg = (
                f"{query.file or '<input>'}:{query.line}: query name '{query.name}' "
                f"is already used at line {first.line}"
            )
            raise InputError(msg)
        seen[query.name] = query

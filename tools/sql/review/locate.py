"""Which table (and column) a line of the input belongs to, for tools that only report lines.

squawk and PostgreSQL report a file and a line; findings are more useful with the table
they concern. The schema model remembers the line of every table, column, constraint and
index, and the statements' start lines bound where one statement ends. A statement with no
such mark (an index added by a later migration file) is asked which relation it names.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pglast.parser import ParseError

from tools.sql import pgparse
from tools.sql.model import Schema, Statement, Table
from tools.sql.nodes import qualified_name


@dataclass
class _FileLines:
    statements: list[Statement] = field(default_factory=list)
    statement_starts: list[int] = field(default_factory=list)
    marks: list[tuple[int, str, str | None]] = field(default_factory=list)  # line, table, column


class LineLocator:
    """Built once per schema in O(n log n); each lookup is two binary searches."""

    def __init__(self, schema: Schema) -> None:
        files: dict[str | None, _FileLines] = defaultdict(_FileLines)
        for statement in schema.statements:
            files[statement.file].statements.append(statement)
        for table in schema.tables.values():
            for line, column in _marks(table):
                files[table.file].marks.append((line, table.name, column))
        for lines in files.values():
            lines.statements.sort(key=lambda s: s.line)
            lines.statement_starts = [s.line for s in lines.statements]
            lines.marks.sort(key=lambda m: (m[0], m[2] is not None))
        self._files = dict(files)
        self._tables = set(schema.tables)

    def locate(self, file: str | None, line: int) -> tuple[str | None, str | None]:
        """(table, column) of the statement that contains `line`, or (None, None)."""
        lines = self._files.get(file)
        if lines is None:
            return None, None
        starts = lines.statement_starts
        i = bisect.bisect_right(starts, line) - 1
        start = starts[i] if i >= 0 else 1
        end = starts[i + 1] if i + 1 < len(starts) else None
        table, column = _marked(lines.marks, start, end, line)
        if table is None and i >= 0:
            named = relation_named(lines.statements[i])
            table = named if named in self._tables else None
        return table, column


def _marked(
    marks: list[tuple[int, str, str | None]], start: int, end: int | None, line: int
) -> tuple[str | None, str | None]:
    """The first table marked inside [start, end), and the column marked on `line`."""
    table: str | None = None
    column: str | None = None
    # by index, not a slice: a slice copies the rest of the file's marks on every lookup
    for i in range(bisect.bisect_left(marks, (start,)), len(marks)):
        mark_line, mark_table, mark_column = marks[i]
        if end is not None and mark_line >= end:
            break
        table = table or mark_table
        if mark_line == line and mark_column and mark_table == table:
            column = mark_column
        if mark_line > line:
            break
    return table, column


def relation_named(statement: Statement) -> str | None:
    """The first table or index target a statement names (`ALTER TABLE x`, `ON x`)."""
    try:
        tree = json.loads(pgparse.parse_sql_json(statement.sql))
    except ParseError:
        return None
    found = _first_range_var(tree)
    if found is None or not found.get("relname"):
        return None
    return qualified_name(found.get("schemaname"), str(found["relname"]))


def _first_range_var(node: Any) -> dict[str, Any] | None:
    if isinstance(node, dict):
        if "relname" in node:  # a RangeVar; libpg_query's JSON names it only inside lists
            value: dict[str, Any] = node
            return value
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _first_range_var(child)
        if found is not None:
            return found
    return None


def _marks(table: Table) -> list[tuple[int, str | None]]:
    marks: list[tuple[int, str | None]] = []
    if table.line is not None:
        marks.append((table.line, None))
    marks += [(c.line, c.name) for c in table.columns if c.line is not None]
    lines = [fk.line for fk in table.foreign_keys] + [u.line for u in table.uniques]
    lines += [c.line for c in table.checks] + [i.line for i in table.indexes]
    marks += [(line, None) for line in lines if line is not None]
    return marks

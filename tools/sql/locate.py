"""Which table (and column) a line of the input belongs to, for tools that only report lines.

squawk and PostgreSQL report a file and a line; findings are more useful with the table
they concern. The schema model remembers the line of every table, column, constraint and
index, and the statements' start lines bound where one statement ends.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

from tools.sql.model import Schema, Table


@dataclass
class _FileLines:
    statement_starts: list[int] = field(default_factory=list)
    marks: list[tuple[int, str, str | None]] = field(default_factory=list)  # line, table, column


class LineLocator:
    """Built once per schema in O(n log n); each lookup is two binary searches."""

    def __init__(self, schema: Schema) -> None:
        files: dict[str | None, _FileLines] = defaultdict(_FileLines)
        for statement in schema.statements:
            files[statement.file].statement_starts.append(statement.line)
        for table in schema.tables.values():
            for line, column in _marks(table):
                files[table.file].marks.append((line, table.name, column))
        for lines in files.values():
            lines.statement_starts.sort()
            lines.marks.sort(key=lambda m: (m[0], m[2] is not None))
        self._files = dict(files)

    def locate(self, file: str | None, line: int) -> tuple[str | None, str | None]:
        """(table, column) of the statement that contains `line`, or (None, None)."""
        lines = self._files.get(file)
        if lines is None:
            return None, None
        starts = lines.statement_starts
        i = bisect.bisect_right(starts, line) - 1
        start = starts[i] if i >= 0 else 1
        end = starts[i + 1] if i + 1 < len(starts) else None
        lo = bisect.bisect_left(lines.marks, (start,))
        table: str | None = None
        column: str | None = None
        for mark_line, mark_table, mark_column in lines.marks[lo:]:
            if end is not None and mark_line >= end:
                break
            table = table or mark_table
            if mark_line == line and mark_column and mark_table == table:
                column = mark_column
            if mark_line > line:
                break
        return table, column


def _marks(table: Table) -> list[tuple[int, str | None]]:
    marks: list[tuple[int, str | None]] = []
    if table.line is not None:
        marks.append((table.line, None))
    marks += [(c.line, c.name) for c in table.columns if c.line is not None]
    lines = [fk.line for fk in table.foreign_keys] + [u.line for u in table.uniques]
    lines += [c.line for c in table.checks] + [i.line for i in table.indexes]
    marks += [(line, None) for line in lines if line is not None]
    return marks

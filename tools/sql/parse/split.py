"""Cutting a read file into located statements with PostgreSQL's own grammar (libpg_query).

The grammar runs on a slice of whole statements at a time: one parse per slice, since
libpg_query's JSON output is ~20x faster to produce than pglast's Python objects, and only
one slice's trees alive at once, since a 20 MB dump's whole tree is ~1 GB of Python dicts.
Statement locations are byte offsets; line and column come from the file's `Positions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pglast.parser import ParseError

from tools.errors import SqlSyntaxError
from tools.sql import pgparse
from tools.sql.model import Statement, Suppression
from tools.sql.parse.lexer import skip_trivia, statement_ends
from tools.sql.parse.source import Positions, SourceFile
from tools.sql.parse.suppress import DIRECTIVE, suppressions


@dataclass(frozen=True)
class ParsedStatement:
    """A statement with its libpg_query JSON tree; the tree's locations are byte offsets
    into the slice that was parsed, which starts `base` bytes into the file."""

    statement: Statement
    node: dict[str, Any]  # {"CreateStmt": {...}}: one key, the node's name
    base: int = 0
    suppressions: tuple[Suppression, ...] = ()

    @property
    def body(self) -> dict[str, Any]:
        value: dict[str, Any] = self.node[self.statement.kind]
        return value


# Bytes of SQL given to the grammar at a time: libpg_query's JSON tree of a slice is ~50x
# its text once loaded, so a 20 MB dump parsed whole held ~1 GB of trees at once.
SLICE_BYTES = 256 * 1024


def split_statements(
    source: SourceFile, slice_chars: int | None = None
) -> tuple[list[ParsedStatement], Positions]:
    """Every located statement of a file at once (small inputs, tests)."""
    positions = Positions(source.text)
    return list(iter_statements(source, positions, slice_chars)), positions


def iter_statements(
    source: SourceFile,
    positions: Positions,
    slice_chars: int | None = None,
    on_slice: Callable[[int], None] | None = None,
) -> Iterator[ParsedStatement]:
    """Parse a file with PostgreSQL's grammar a slice of whole statements at a time.

    libpg_query's JSON output is ~20x faster to produce than pglast's Python objects, and
    slicing keeps only one slice's trees alive however large the file: memory follows the
    schema model, not the input's parse tree.
    """
    text = source.text
    char_start, byte_start = 0, 0
    for char_end in _slice_ends(text, slice_chars or SLICE_BYTES):
        chunk = text[char_start:char_end]
        tree = _parse(chunk, char_start, char_end == len(text), source, positions)
        if tree is None:
            continue  # the last statement is cut (`BEGIN ATOMIC ... ;`): the next slice grows
        yield from _located(tree, byte_start, source, positions)
        char_start, byte_start = char_end, byte_start + len(chunk.encode("utf-8"))
        if on_slice is not None:
            on_slice(char_end)


def _slice_ends(text: str, size: int) -> Iterator[int]:
    """Cut points (after a `;`) at least `size` characters apart, then the end of the text."""
    last = 0
    for end in statement_ends(text):
        if end - last >= size:
            yield end
            last = end
    if last < len(text):
        yield len(text)


def _parse(
    chunk: str, offset: int, final: bool, source: SourceFile, positions: Positions
) -> dict[str, Any] | None:
    """The slice's tree; None when only its last statement fails and more text follows."""
    try:
        tree: dict[str, Any] = json.loads(pgparse.parse_sql_json(chunk))
    except ParseError as exc:
        location = exc.args[1] if len(exc.args) > 1 else None
        at = location if isinstance(location, int) else len(chunk)  # "at end of input"
        if not final and _in_last_statement(chunk, at):
            return None
        raise _syntax_error(exc, source, positions, offset) from exc
    return tree


def _in_last_statement(chunk: str, location: int) -> bool:
    ends = [0, *statement_ends(chunk)]
    last_start = ends[-2] if len(ends) > 1 and ends[-1] == len(chunk.rstrip()) else ends[-1]
    return location >= last_start


def _located(
    tree: dict[str, Any], base: int, source: SourceFile, positions: Positions
) -> Iterator[ParsedStatement]:
    previous_end = base  # comments between two statements belong to the second
    for raw in tree.get("stmts", []):
        start = base + raw.get("stmt_location", 0)
        length = raw.get("stmt_len", 0)
        end = start + length if length else len(positions.data)
        text = positions.slice(start, end)
        first = skip_trivia(text)
        sql = text[first:].rstrip()
        offset = start + len(text[:first].encode("utf-8"))
        line, column = positions.of_byte(offset)
        kind = next(iter(raw["stmt"]))
        statement = Statement(file=source.name, line=line, column=column, sql=sql, kind=kind)
        around = positions.slice(previous_end, end)
        ignores: tuple[Suppression, ...] = ()
        if DIRECTIVE in around:  # cheap test first: scanning every statement would cost
            span = (line, positions.line_of_byte(max(offset, end - 1)))
            ignores = tuple(suppressions(around, previous_end, span, source.name, positions))
        previous_end = end
        yield ParsedStatement(statement, raw["stmt"], base, ignores)


def _syntax_error(
    exc: ParseError, source: SourceFile, positions: Positions, offset: int = 0
) -> SqlSyntaxError:
    message = str(exc.args[0]) if exc.args else str(exc)
    location = exc.args[1] if len(exc.args) > 1 else None
    if not isinstance(location, int) or location < 0:
        return SqlSyntaxError(message, source.name)
    line, column = positions.of_char(min(offset + location, len(source.text)))
    return SqlSyntaxError(message, source.name, line, column)

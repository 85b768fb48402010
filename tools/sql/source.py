"""Reading SQL input: files and migration folders, psql leftovers blanked, statements located.

Real files arrive as their tools wrote them: pg_dump output with `COPY ... FROM stdin` data,
scripts with psql meta-commands (`\\c chinook`), folders of numbered migrations. PostgreSQL's
grammar sees none of that, so it is blanked here *in place* (every character but newlines
becomes a space) and recorded as `Skipped`; line and column numbers stay those of the file.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AnyStr

from pglast.parser import ParseError, parse_sql_json

from tools.errors import InputError, SqlSyntaxError
from tools.sql.lexer import psql_only_parts, skip_trivia, statement_ends
from tools.sql.model import Skipped, Statement, Suppression
from tools.sql.suppress import DIRECTIVE, suppressions

_NATURAL_PART = re.compile(r"(\d+)")


@dataclass(frozen=True)
class SourceFile:
    """One input file after pre-processing: same lines and columns, psql-only parts blanked."""

    name: str | None
    text: str
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class Positions:
    """Maps offsets into a file's text to 1-based (line, column), for bytes or characters.

    libpg_query reports node and statement locations as UTF-8 byte offsets, while pglast's
    ParseError reports character offsets; both are needed.
    """

    text: str
    data: bytes = field(init=False)
    _byte_starts: list[int] = field(init=False)
    _char_starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        data = self.text.encode("utf-8")
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "_byte_starts", _line_starts(data, b"\n"))
        object.__setattr__(self, "_char_starts", _line_starts(self.text, "\n"))

    @property
    def ascii(self) -> bool:
        return len(self.data) == len(self.text)

    def of_byte(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._byte_starts, offset) - 1
        start = self._byte_starts[index]
        column = offset - start if self.ascii else len(self.data[start:offset].decode("utf-8"))
        return index + 1, column + 1

    def of_char(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._char_starts, offset) - 1
        return index + 1, offset - self._char_starts[index] + 1

    def line_of_byte(self, offset: int) -> int:
        return bisect.bisect_right(self._byte_starts, offset)

    def slice(self, start: int, end: int | None = None) -> str:
        """Text between two byte offsets."""
        if self.ascii:
            return self.text[start:end]
        return self.data[start:end].decode("utf-8")


def _line_starts(data: AnyStr, newline: AnyStr) -> list[int]:
    starts = [0]
    index = data.find(newline)
    while index != -1:
        starts.append(index + 1)
        index = data.find(newline, index + 1)
    return starts


def read_sources(path: Path | str) -> list[SourceFile]:
    """One file, or every `*.sql` of a folder in natural order (`2_x` before `10_x`).

    `*.down.sql` files are rollbacks of the migrations next to them, not part of the schema.
    """
    path = Path(path)
    if path.is_dir():
        files = sql_files(path)
        if not files:
            raise InputError(f"{path}: no .sql files in this folder")
        return [load_file(f) for f in files]
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    return [load_file(path)]


def sql_files(folder: Path) -> list[Path]:
    """The migration files of a folder, in the order a person numbering them meant."""
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.endswith(".sql") and not p.name.endswith(".down.sql")
    ]
    return sorted(files, key=lambda p: _natural_key(p.name))


def _natural_key(name: str) -> list[tuple[int, int | str]]:
    parts = _NATURAL_PART.split(name.lower())
    return [(0, int(p)) if p.isdigit() else (1, p) for p in parts if p]


def load_file(path: Path) -> SourceFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        msg = f"{path}:{line}: not valid UTF-8 (byte {exc.start}: {exc.reason})"
        raise InputError(msg) from exc
    return preprocess(text, str(path))


def preprocess(text: str, name: str | None = None) -> SourceFile:
    """Blank psql meta-commands and COPY data blocks, keeping every line and column in place."""
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # a byte-order mark is not whitespace to the grammar
    blanks: list[tuple[int, int]] = []
    skipped: list[Skipped] = []
    positions = Positions(text)
    for start, end, reason in psql_only_parts(text):
        blanks.append((start, end))
        line, _ = positions.of_char(start)
        snippet = text[start:end].strip().splitlines()[0][:200]
        skipped.append(Skipped(file=name, line=line, text=snippet, reason=reason))
    return SourceFile(name=name, text=_blank(text, blanks), skipped=tuple(skipped))


def _blank(text: str, ranges: list[tuple[int, int]]) -> str:
    if not ranges:
        return text
    pieces: list[str] = []
    previous = 0
    for start, end in ranges:
        pieces.append(text[previous:start])
        pieces.append(re.sub(r"[^\n]", " ", text[start:end]))
        previous = end
    pieces.append(text[previous:])
    return "".join(pieces)


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
        tree: dict[str, Any] = json.loads(parse_sql_json(chunk))
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

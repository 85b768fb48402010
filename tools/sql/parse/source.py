"""Reading SQL input: files and migration folders, psql leftovers blanked, positions mapped.

Real files arrive as their tools wrote them: pg_dump output with `COPY ... FROM stdin` data,
scripts with psql meta-commands (`\\c chinook`), folders of numbered migrations. PostgreSQL's
grammar sees none of that, so it is blanked here *in place* (every character but newlines
becomes a space) and recorded as `Skipped`; line and column numbers stay those of the file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import AnyStr

from tools.errors import InputError
from tools.sql.model import Skipped
from tools.sql.parse.lexer import psql_only_parts

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

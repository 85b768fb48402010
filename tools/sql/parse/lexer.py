"""A small lexer for psql script text: where meta-commands and COPY data blocks are.

It only needs to know when it is outside strings, quoted identifiers, dollar quotes and
comments, which is where psql itself looks for backslashes; PostgreSQL's real grammar
(pglast) reads everything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_COPY_FROM_STDIN = re.compile(r"^\s*COPY\b[\s\S]*\bFROM\s+STDIN\b", re.IGNORECASE)
# The characters that can open something the scanner must step over or act on.
_INTERESTING = re.compile(
    r"--|/\*|[eE]'|'|\"|\$(?:[A-Za-z_\x80-\U0010ffff][\w\x80-\U0010ffff]*)?\$|;|\\"
)
_IDENT_CHAR = re.compile(r"[\w$\x80-\U0010ffff]")
_STRING_END = re.compile(r"(?:[^']|'')*'")
_ESTRING_END = re.compile(r"(?:[^'\\]|\\[\s\S]|'')*'")
_IDENT_END = re.compile(r'(?:[^"]|"")*"')
_LEADING_TRIVIA = re.compile(r"(?:\s+|--[^\n]*|/\*[\s\S]*?\*/)*")
_META_REASONS = {
    "c": "psql \\connect: statements are applied to the scratch database instead",
    "connect": "psql \\connect: statements are applied to the scratch database instead",
    "i": "psql \\include is not followed; pass the included file or folder instead",
    "ir": "psql \\include is not followed; pass the included file or folder instead",
    "include": "psql \\include is not followed; pass the included file or folder instead",
}
_META_DEFAULT = "psql meta-command, not SQL"

Part = tuple[int, int, str]  # (start, end, reason) of a stretch psql handles itself


def psql_only_parts(text: str) -> Iterator[Part]:
    """(start, end, reason) of each meta-command and each COPY-from-stdin block, in order."""
    pos, statement_start = 0, 0
    while (match := _INTERESTING.search(text, pos)) is not None:
        token, start = match.group(), match.start()
        pos = match.end()
        if token == ";":
            copy = _copy_block(text, statement_start, pos)
            if copy is not None:
                yield copy
                pos = copy[1]
            statement_start = pos
        elif token == "\\":
            end = _line_end(text, start)
            yield start, end, _meta_reason(text[start:end])
            pos = end
            if not text[statement_start:start].strip():
                statement_start = end
        else:
            pos = _step_over(text, token, start, pos)


def statement_ends(text: str, pos: int = 0) -> Iterator[int]:
    """Offsets just past each `;` outside strings, quoted names, dollar quotes and comments.

    A cheap first cut of a (pre-processed) file into statements, so that PostgreSQL's
    grammar can be run on a slice at a time. It is a guess where the grammar knows better
    (the `;`s inside `BEGIN ATOMIC ... END`): the caller lets a slice whose last statement
    does not parse grow to the next cut.
    """
    while (match := _INTERESTING.search(text, pos)) is not None:
        token, start = match.group(), match.start()
        pos = match.end()
        if token == ";":
            yield pos
        elif token != "\\":
            pos = _step_over(text, token, start, pos)


def _step_over(text: str, token: str, start: int, pos: int) -> int:
    """Where scanning goes on after a comment, string, quoted name or dollar quote opens."""
    if token == "--":
        return _line_end(text, start)
    if token == "/*":
        return _block_comment_end(text, pos)
    if start and token[0] in "$eE" and _IDENT_CHAR.match(text, start - 1):
        # inside an identifier (`price$usd$`, `name'`) `$`/`E` open nothing themselves
        return start + 1
    return _quoted_end(text, token, pos)


def _quoted_end(text: str, token: str, pos: int) -> int:
    if token.startswith("$"):
        end = text.find(token, pos)
        return len(text) if end == -1 else end + len(token)
    pattern = {"'": _STRING_END, '"': _IDENT_END}.get(token, _ESTRING_END)
    found = pattern.match(text, pos)
    return len(text) if found is None else found.end()


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end == -1 else end


def _block_comment_end(text: str, pos: int) -> int:
    depth = 1
    while depth:
        opening, closing = text.find("/*", pos), text.find("*/", pos)
        if closing == -1:
            return len(text)
        if opening != -1 and opening < closing:
            depth, pos = depth + 1, opening + 2
        else:
            depth, pos = depth - 1, closing + 2
    return pos


def _meta_reason(command: str) -> str:
    name = command[1:].split(maxsplit=1)[0].rstrip(";") if len(command) > 1 else ""
    return _META_REASONS.get(name, _META_DEFAULT)


def _copy_block(
    text: str, statement_start: int, after_semicolon: int
) -> tuple[int, int, str] | None:
    """The COPY statement and its inline data up to the `\\.` line, when it reads from stdin."""
    statement = _strip_leading_comments(text[statement_start:after_semicolon])
    if not _COPY_FROM_STDIN.match(statement):
        return None
    start = after_semicolon - len(statement)
    data_start = _line_end(text, after_semicolon) + 1
    rows, pos = 0, data_start
    while pos < len(text):
        end = _line_end(text, pos)
        if text[pos:end].rstrip("\r") == "\\.":
            pos = end
            break
        rows, pos = rows + 1, end + 1
    reason = f"COPY from stdin: {rows} data row(s) not loaded (schema validation needs no data)"
    return start, min(pos, len(text)), reason


def _strip_leading_comments(statement: str) -> str:
    found = _LEADING_TRIVIA.match(statement)
    return statement[found.end() :] if found else statement


def skip_trivia(text: str, pos: int = 0) -> int:
    """Offset of the first token at or after `pos`: whitespace and comments stepped over."""
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
        elif text.startswith("--", pos):
            pos = _line_end(text, pos)
        elif text.startswith("/*", pos):
            pos = _block_comment_end(text, pos + 2)
        else:
            break
    return pos

"""The one way SQL reaches PostgreSQL's grammar: parsed, then measured, then turned into objects.

libpg_query guards its own C stack (deep input gets "stack depth limit exceeded"), but what
follows it does not: pglast builds Python objects from the tree by C recursion, which kills
the process with a segfault on ~100 KB of `SELECT 1+1+1...`, and Python code walking or
deparsing a tree hits RecursionError some hundreds of levels down. So every parse here first
asks libpg_query for its JSON tree (flat output, no Python recursion), measures that tree's
nesting without recursing, and refuses anything deeper than `MAX_NESTING` before pglast or
`json.loads` sees it. Real SQL nests ~30 levels (the deepest view of Pagila, the deepest
query of the test corpus); the limit leaves room for generated SQL and stays far below
where any consumer breaks (deparse at ~400 levels, json.loads at ~1,000).

Nothing outside this module calls pglast's parsers (a test holds the code to that), so a
new door cannot forget the check. Refusals are `ParseError`s, handled by every caller as
the syntax errors they already handle; `syntax_error` turns one into the project's
`SqlSyntaxError` with line and column.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

import pglast
from pglast import ast
from pglast.parser import ParseError
from pglast.parser import parse_sql_json as _libpg_query_json

from tools.errors import SqlSyntaxError

MAX_NESTING = 200
"""Deepest libpg_query JSON tree accepted (about two levels per expression level)."""

_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\x02\x02")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{]}")
# What libpg_query says when its own stack or parser stack runs out (it refuses safely).
_GRAMMAR_GAVE_UP = ("stack depth limit exceeded", "memory exhausted")
_LOCATION = re.compile(r'"location":(\d+)')
_BRACKET = re.compile(r"[\[\]{}]")


class NestingTooDeep(ParseError):
    """SQL nested deeper than `MAX_NESTING`: refused before anything could recurse on it."""


def parse_sql_json(sql: str) -> str:
    """libpg_query's JSON parse tree, refused when nested deeper than `MAX_NESTING`."""
    try:
        tree = _libpg_query_json(sql)
    except ParseError as exc:
        if str(exc.args[0]).startswith(_GRAMMAR_GAVE_UP):
            raise NestingTooDeep(_too_deep_message(None), *exc.args[1:]) from exc
        raise
    depth = nesting(tree)
    if depth > MAX_NESTING:
        raise NestingTooDeep(_too_deep_message(depth), _deep_char_offset(sql, tree))
    return tree


def parse_sql(sql: str) -> tuple[ast.RawStmt, ...]:
    """pglast's `parse_sql`, after the nesting check (the second parse costs ~1 ms per KB)."""
    parse_sql_json(sql)
    stmts: tuple[ast.RawStmt, ...] = pglast.parse_sql(sql)
    return stmts


def parse_tree(sql: str) -> dict[str, Any]:
    """The JSON parse tree as Python dicts: {"version": ..., "stmts": [...]}."""
    tree: dict[str, Any] = json.loads(parse_sql_json(sql))
    return tree


def check_sql(sql: str, file: str | None = None) -> None:
    """Refuse SQL that does not parse or nests too deeply, as a located `SqlSyntaxError`."""
    try:
        parse_sql_json(sql)
    except ParseError as exc:
        raise syntax_error(exc, sql, file) from exc


def syntax_error(exc: ParseError, sql: str, file: str | None = None) -> SqlSyntaxError:
    """A pglast `ParseError` (character offset, None at end of input) as a located error."""
    message = str(exc.args[0]) if exc.args else str(exc)
    offset = exc.args[1] if len(exc.args) > 1 else None
    if not isinstance(offset, int) or offset < 0:
        offset = len(sql.rstrip())  # "at end of input"
    line, column = line_column(sql, min(offset, len(sql)))
    return SqlSyntaxError(message, file=file, line=line, column=column)


def line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def nesting(tree: str) -> int:
    """How deeply a JSON document nests, by counting brackets outside strings; no recursion.

    Escaped backslashes go first, then escaped quotes; what remains splits on `"` into
    outside/inside runs, and only the outside runs' brackets count. All of it runs in C.
    """
    data = tree.encode("utf-8").replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(data.split(b'"')[0::2])
    steps = outside.translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(1 if step == 1 else -1 for step in steps), default=0)


def _too_deep_message(depth: int | None) -> str:
    levels = f"{depth} levels of parse tree" if depth else "past PostgreSQL's own parser stack"
    return (
        f"expression nested too deeply ({levels}; at most {MAX_NESTING} levels are accepted); "
        "split it into simpler parts"
    )


def _deep_char_offset(sql: str, tree: str) -> int:
    """Where the nesting first passes the limit: the next node location in the tree after it.

    Only on the refusal path, so a Python loop over the brackets is affordable here.
    """
    data = tree.replace("\\\\", "").replace('\\"', "")
    depth, position = 0, 0
    for index, piece in enumerate(data.split('"')):
        if index % 2 == 0:
            for bracket in _BRACKET.finditer(piece):
                depth += 1 if bracket.group() in "[{" else -1
                if depth > MAX_NESTING:
                    return _location_after(sql, data, position + bracket.start())
        position += len(piece) + 1
    return 0


def _location_after(sql: str, tree: str, index: int) -> int:
    found = _LOCATION.search(tree, index)
    if found is None:
        return 0
    return len(sql.encode("utf-8")[: int(found.group(1))].decode("utf-8", errors="ignore"))

"""Reading a CREATE INDEX statement: its name, table and keys, parsed by PostgreSQL's grammar."""

from __future__ import annotations

import pglast
from pglast import ast
from pglast.stream import RawStream

from tools.errors import SqlSyntaxError
from tools.sql import pgparse


def parse_index(ddl: str) -> ast.IndexStmt:
    try:
        stmt = pgparse.parse_sql(ddl)[0].stmt
    except pglast.parser.ParseError as exc:
        raise pgparse.syntax_error(exc, ddl) from exc
    if not isinstance(stmt, ast.IndexStmt):
        raise SqlSyntaxError(f"not a CREATE INDEX statement: {ddl[:80]}")
    return stmt


def index_name(ddl: str) -> str | None:
    """The index's name; None when the statement leaves PostgreSQL to choose one."""
    return parse_index(ddl).idxname or None


def index_shape(ddl: str) -> tuple[str, list[str]]:
    """(table, keys): a key is a column name or its expression without spaces."""
    stmt = parse_index(ddl)
    table = stmt.relation.relname if stmt.relation else ""
    keys = [_key(p) for p in stmt.indexParams or () if isinstance(p, ast.IndexElem)]
    return table or "", keys


def renamed(ddl: str, name: str) -> str:
    stmt = parse_index(ddl)
    stmt.idxname = name
    return str(RawStream()(stmt))


def _key(element: ast.IndexElem) -> str:
    if element.name or element.expr is None:
        return element.name or ""
    return "".join(str(RawStream()(element.expr)).lower().split())

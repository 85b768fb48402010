"""SQL text and names for migration steps: deparsing, quoting, and PostgreSQL's naming rules."""

from __future__ import annotations

from pglast import ast
from pglast.stream import IndentedStream, RawStream

from tools.errors import ToolError

_MULTILINE = (ast.CreateStmt, ast.CreateFunctionStmt, ast.ViewStmt, ast.CreateTableAsStmt)
MAX_NAME = 63  # PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes


def sql_text(node: ast.Node | None) -> str:
    """Deparsed SQL: tables and functions laid out over lines, everything else on one."""
    if node is None:
        raise ToolError("a DDL statement lacks a part its migration step needs")
    if isinstance(node, _MULTILINE):
        return str(IndentedStream(comma_at_eoln=True)(node))
    return str(RawStream()(node))


def qualified(parts: tuple[ast.Node, ...] | None) -> str:
    """A qualified name from a list of String nodes, quoted where needed."""
    return ".".join(ident(p.sval) for p in parts or () if isinstance(p, ast.String))


def ident(name: str | None) -> str:
    if not name:
        raise ToolError("a DDL statement lacks a name its rollback needs")
    return str(RawStream()(ast.ColumnRef(fields=(ast.String(sval=name),))))


def table_key(relation: ast.RangeVar | None) -> str:
    """`public.tasks` and `tasks` are one table."""
    if relation is None:
        raise ToolError("a DDL statement names no table")
    schema = relation.schemaname
    return str(relation.relname) if schema in (None, "public") else f"{schema}.{relation.relname}"


def short_name(name: str) -> str:
    return name[:MAX_NAME]


def index_name(node: ast.IndexStmt) -> str:
    """`<table>_<columns>_idx` (PostgreSQL's own pattern), so the rollback can name it."""
    parts = []
    for element in node.indexParams or ():
        if isinstance(element, ast.IndexElem):
            parts.append(element.name or "expr")
    suffix = "key" if node.unique else "idx"
    table = node.relation.relname if node.relation else "index"
    return short_name(f"{table}_{'_'.join(parts)}_{suffix}")

"""A materialized view for an aggregate access pattern: its DDL, built from the pattern's SQL.

The view cannot hold a parameter, so each `column = $n` condition of the WHERE clause
becomes a grouping key instead (`WHERE project_id = $1 GROUP BY status` -> `GROUP BY
project_id, status`) and the pattern reads the view with the same condition. ORDER BY and
LIMIT are left to that read. A unique index on the grouping keys lets `REFRESH
MATERIALIZED VIEW CONCURRENTLY` run without blocking readers. A parameter used any other
way (a range, a LIMIT) cannot be precomputed: then there is no view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pglast
from pglast import ast
from pglast.enums import SetOperation
from pglast.stream import RawStream

from agent.naming import quote_ident
from tools.sql import pgparse
from tools.sql.astwalk import param_equality, walk


@dataclass(frozen=True)
class MaterializedView:
    name: str
    ddl: str  # CREATE MATERIALIZED VIEW ...; CREATE UNIQUE INDEX ...;
    keys: list[str]  # the grouping keys a read filters on
    read: str  # how the pattern reads the view
    concurrent: bool  # a unique index allows REFRESH ... CONCURRENTLY


def materialized_view(name: str, sql: str, tenant_column: str | None) -> MaterializedView | None:
    try:
        stmt = pgparse.parse_sql(sql)[0].stmt
    except pglast.parser.ParseError:
        return None
    if not isinstance(stmt, ast.SelectStmt) or stmt.op != SetOperation.SETOP_NONE:
        return None
    keys, kept = _split_where(stmt.whereClause)
    if keys is None or (kept is not None and _has_param(kept)):
        return None
    stmt.whereClause = kept
    stmt.sortClause = stmt.limitCount = stmt.limitOffset = None
    if tenant_column and _single_table(stmt) and tenant_column not in _names(keys):
        keys.append(ast.ColumnRef(fields=(ast.String(sval=tenant_column),)))
    if _has_param(stmt):
        return None
    stmt.targetList = tuple(ast.ResTarget(val=k) for k in keys) + tuple(stmt.targetList or ())
    groups = [*keys, *(stmt.groupClause or ())]
    stmt.groupClause = tuple(groups)
    return _view(name, RawStream()(stmt), groups, _names(keys))


def _split_where(where: ast.Node | None) -> tuple[list[ast.ColumnRef] | None, ast.Node | None]:
    """(`column = $n` columns, the rest of the condition); None keys for a parameter in OR."""
    if where is None:
        return [], None
    conjuncts: list[ast.Node] = (
        list(where.args or ())
        if isinstance(where, ast.BoolExpr) and where.boolop == 0  # AND_EXPR
        else [where]
    )
    keys: list[ast.ColumnRef] = []
    rest: list[ast.Node] = []
    for item in conjuncts:
        column = param_equality(item)
        if column is not None:
            keys.append(column)
        else:
            rest.append(item)
    if not rest:
        return keys, None
    return keys, rest[0] if len(rest) == 1 else ast.BoolExpr(boolop=0, args=tuple(rest))


def _view(name: str, select: str, groups: Sequence[ast.Node], keys: list[str]) -> MaterializedView:
    view = quote_ident(name)
    columns = [_names([g])[0] for g in groups if isinstance(g, ast.ColumnRef)]
    concurrent = len(columns) == len(groups) and len(set(columns)) == len(columns)
    ddl = f"CREATE MATERIALIZED VIEW {view} AS\n{select};"
    if concurrent:
        index = quote_ident(f"{name[:55]}_key")
        ddl += f"\nCREATE UNIQUE INDEX {index} ON {view} ({', '.join(map(quote_ident, columns))});"
    where = " AND ".join(f"{quote_ident(k)} = ${n}" for n, k in enumerate(keys, start=1))
    read = f"SELECT ... FROM {view}" + (f" WHERE {where}" if where else "")
    return MaterializedView(name, ddl, keys, read, concurrent)


def _names(columns: Sequence[ast.Node]) -> list[str]:
    return [
        str(getattr((c.fields or ("",))[-1], "sval", ""))
        for c in columns
        if isinstance(c, ast.ColumnRef)
    ]


def _single_table(stmt: ast.SelectStmt) -> bool:
    tables = stmt.fromClause or ()
    return len(tables) == 1 and isinstance(tables[0], ast.RangeVar)


def _has_param(node: object) -> bool:
    return any(isinstance(n, ast.ParamRef) for n in walk(node))

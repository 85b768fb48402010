"""OFFSET pagination -> keyset pagination on the ORDER BY key, made unique with the primary key.

`ORDER BY created_at DESC LIMIT 50 OFFSET $2` reads and discards every skipped row; the
keyset form `WHERE (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT 50`
seeks straight past the last row of the previous page, so page 1,000 costs what page 1 does.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast, enums

from agent.brains.rules.optimize.sql import (
    Source,
    and_where,
    column,
    from_tables,
    renumber_params,
    sql,
    unique_keys,
)
from tools.sql.astwalk import column_ref_name
from tools.sql.catalog import Catalog

_DESC = enums.SortByDir.SORTBY_DESC


@dataclass(frozen=True)
class Key:
    qualifier: str | None
    column: str
    source: Source
    desc: bool


def keyset(stmt: ast.SelectStmt, catalog: Catalog) -> str | None:
    """Replace OFFSET with a seek predicate; None when the ordering cannot be made a keyset."""
    if stmt.limitOffset is None or stmt.op != enums.SetOperation.SETOP_NONE:
        return None
    sources = from_tables(stmt, catalog)
    keys = _sort_keys(stmt, sources) if sources else None
    if keys is None or not sources:
        return None
    if not keys:
        if len(sources) != 1 or not unique_keys(sources[0].table):
            return None
        keys = [Key(None, c, sources[0], False) for c in unique_keys(sources[0].table)[0]]
    if len({k.desc for k in keys}) != 1:
        return None  # mixed directions need an OR chain, not one row comparison
    keys = _made_unique(keys)
    if keys is None:
        return None
    stmt.sortClause = tuple(_sort_by(k) for k in keys)
    stmt.limitOffset = None
    first = renumber_params(stmt) + 1
    columns = [sql(column(k.qualifier, k.column)) for k in keys]
    slots = [f"${n}" for n in range(first, first + len(keys))]
    operator = "<" if keys[0].desc else ">"
    if len(keys) == 1:
        and_where(stmt, f"{columns[0]} {operator} {slots[0]}")
    else:
        and_where(stmt, f"({', '.join(columns)}) {operator} ({', '.join(slots)})")
    return (
        "OFFSET reads and discards every skipped row, so each page costs more than the last; "
        f"keyset pagination seeks past the previous page's last row: pass its "
        f"{', '.join(columns)} as {', '.join(slots)} (leave the predicate out for the first "
        "page)." + _null_note(keys)
    )


def _sort_keys(stmt: ast.SelectStmt, sources: list[Source]) -> list[Key] | None:
    keys: list[Key] = []
    for sort in stmt.sortClause or ():
        if not isinstance(sort, ast.SortBy) or not isinstance(sort.node, ast.ColumnRef):
            return None
        if sort.useOp or sort.sortby_nulls != enums.SortByNulls.SORTBY_NULLS_DEFAULT:
            return None
        name = column_ref_name(sort.node)
        if name is None:
            return None
        qualifier, col = name
        owners = [
            s
            for s in sources
            if (qualifier is None or s.alias == qualifier) and col in s.table.columns
        ]
        if len(owners) != 1:
            return None
        keys.append(Key(qualifier, col, owners[0], sort.sortby_dir == _DESC))
    return keys


def _made_unique(keys: list[Key]) -> list[Key] | None:
    """Append the last key's table's primary key unless the keys already identify a row."""
    last = keys[-1]
    have = {k.column for k in keys if k.source is last.source}
    candidates = unique_keys(last.source.table)
    if any(set(key) <= have for key in candidates):
        return keys
    if not candidates:
        return None
    extra = [c for c in candidates[0] if c not in have]
    return keys + [Key(last.qualifier, c, last.source, last.desc) for c in extra]


def _sort_by(key: Key) -> ast.SortBy:
    return ast.SortBy(
        node=column(key.qualifier, key.column),
        sortby_dir=_DESC if key.desc else enums.SortByDir.SORTBY_DEFAULT,
        sortby_nulls=enums.SortByNulls.SORTBY_NULLS_DEFAULT,
    )


def _null_note(keys: list[Key]) -> str:
    nullable = [
        k.column
        for k in keys
        if (info := k.source.table.columns.get(k.column)) is not None and (info.null_frac or 0) > 0
    ]
    if not nullable:
        return ""
    return (
        f" {', '.join(nullable)} holds NULLs, which a row comparison skips: page those rows "
        "separately or make the column NOT NULL."
    )

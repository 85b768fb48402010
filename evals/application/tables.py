"""Catalog facts a probe needs about one table: its key, the columns a copy may carry, and
where a foreign-key column points. Read from the live catalog of the filled database."""

from __future__ import annotations

from collections.abc import Mapping

from psycopg import sql

from tools.sql.server import Conn

_KEY = """
SELECT a.attname FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)
"""
_COPYABLE = """
SELECT a.attname FROM pg_attribute a
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attidentity = '' AND a.attgenerated = ''
  AND NOT (a.atthasdef AND a.attnum = ANY(coalesce(
        (SELECT i.indkey::int2[] FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary),
        '{}')))
ORDER BY a.attnum
"""
_REFERENCE = """
SELECT c.confrelid::regclass::text, rc.attname
FROM pg_constraint c
JOIN LATERAL unnest(c.conkey, c.confkey) AS k(mine, theirs) ON true
JOIN pg_attribute mc ON mc.attrelid = c.conrelid AND mc.attnum = k.mine
JOIN pg_attribute rc ON rc.attrelid = c.confrelid AND rc.attnum = k.theirs
WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND mc.attname = %s AND c.conparentid = 0
ORDER BY cardinality(c.conkey) DESC
LIMIT 1
"""


def ident(table: str) -> sql.Identifier:
    """`schema.table` or `table` as an identifier."""
    return sql.Identifier(*table.split("."))


def primary_key(conn: Conn, table: str) -> list[str]:
    return [str(name) for (name,) in conn.execute(_KEY, (table,)).fetchall()]


def copyable_columns(conn: Conn, table: str) -> list[str]:
    """Columns a copied row carries: not identity, not generated, not a defaulted key (a copy
    gets a fresh key, so only what the probe is about can make it collide)."""
    return [str(name) for (name,) in conn.execute(_COPYABLE, (table,)).fetchall()]


def reference(conn: Conn, table: str, column: str) -> tuple[str, str] | None:
    """(parent table, parent column) `table.column` references; a composite key first."""
    row = conn.execute(_REFERENCE, (table, column)).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def key_match(key: list[str]) -> sql.Composable:
    """`(a, b) = (SELECT a, b FROM t LIMIT 1)`'s left side and column list."""
    return sql.SQL(", ").join(map(sql.Identifier, key))


def copy_row(
    table: str,
    columns: list[str],
    overrides: Mapping[str, sql.Composable] | None = None,
    where: sql.Composable | None = None,
    order: sql.Composable | None = None,
) -> sql.Composed:
    """`INSERT INTO t (...) SELECT ... FROM t [WHERE] [ORDER BY] LIMIT 1`: one visible row
    copied, with `overrides` (column -> expression over the source row) replacing values."""
    changed = overrides or {}
    values = [changed.get(name, sql.Identifier(name)) for name in columns]
    statement = sql.SQL("INSERT INTO {t} ({cols}) SELECT {vals} FROM {t}").format(
        t=ident(table),
        cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
        vals=sql.SQL(", ").join(values),
    )
    if where is not None:
        statement += sql.SQL(" WHERE ") + where
    if order is not None:
        statement += sql.SQL(" ORDER BY ") + order
    return statement + sql.SQL(" LIMIT 1")


_INDEX_COLUMNS = """
SELECT a.attname FROM pg_class i
JOIN pg_index x ON x.indexrelid = i.oid
JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)
WHERE i.relname = %s
"""


def constraint_columns(conn: Conn, table: str, name: str) -> list[str]:
    """The columns of the unique or exclusion index PostgreSQL named in a violation (on a
    partition, the partition's own index)."""
    del table  # the index name is unique in the schema; kept for the call sites' clarity
    return [str(column) for (column,) in conn.execute(_INDEX_COLUMNS, (name,)).fetchall()]

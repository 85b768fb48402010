"""What a live database holds for planning advice: tables, columns, statistics and indexes.

Read from the server's catalogs rather than from our schema model, so the same findings
and advice work on a scratch database we filled and on a user's own database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.sql.server import Conn

_TABLES = """
SELECT c.oid, CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       greatest(c.reltuples, 0)::float8, pg_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
"""
_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_STATS = """
SELECT c.oid, s.attname, s.n_distinct::float8, s.avg_width, s.null_frac::float8
FROM pg_stats s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = n.oid
WHERE c.oid = ANY(%s)
"""
_INDEXES = """
SELECT i.indrelid, x.relname, i.indisunique, i.indisprimary, am.amname,
       pg_get_indexdef(i.indexrelid), i.indnkeyatts,
       (SELECT array_agg(coalesce(a.attname, '') ORDER BY k.ord)
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum),
       i.indpred IS NOT NULL, pg_relation_size(i.indexrelid)
FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_am am ON am.oid = x.relam
WHERE i.indrelid = ANY(%s)
"""
_FOREIGN_KEYS = """
SELECT conrelid, ARRAY(SELECT attname FROM unnest(conkey) WITH ORDINALITY AS k(n, i)
                       JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n
                       ORDER BY k.i)
FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s)
"""


@dataclass
class ColumnInfo:
    name: str
    type: str  # format_type text, e.g. "timestamp with time zone"
    category: str  # pg_type.typcategory: N numeric, S string, D date/time, U user/jsonb, A array
    n_distinct: float | None = None  # PostgreSQL's convention: < 0 is a fraction of the rows
    avg_width: int | None = None
    null_frac: float | None = None

    def distinct(self, rows: float) -> float:
        """Estimated number of distinct values at `rows` rows (unknown: all distinct)."""
        if self.n_distinct is None:
            return max(rows, 1.0)
        return max(-self.n_distinct * rows if self.n_distinct < 0 else self.n_distinct, 1.0)


@dataclass
class IndexInfo:
    name: str
    columns: list[str]  # key columns; "" for an expression element
    include: list[str]
    unique: bool
    primary: bool
    method: str
    partial: bool
    definition: str
    size_bytes: int


@dataclass
class TableInfo:
    name: str
    oid: int
    rows: float
    size_bytes: int
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    indexes: list[IndexInfo] = field(default_factory=list)
    foreign_keys: list[list[str]] = field(default_factory=list)  # referencing columns

    def leading_indexed(self, column: str) -> bool:
        """Whether some full (non-partial) index can search on `column` first."""
        return any(ix.columns[:1] == [column] and not ix.partial for ix in self.indexes)


@dataclass
class Catalog:
    tables: dict[str, TableInfo] = field(default_factory=dict)

    def table(self, name: str) -> TableInfo | None:
        return self.tables.get(name)


def load_catalog(conn: Conn) -> Catalog:
    """Snapshot the user tables of the connected database (a few catalog queries)."""
    catalog = Catalog()
    by_oid: dict[int, TableInfo] = {}
    for oid, name, rows, size in conn.execute(_TABLES).fetchall():
        by_oid[oid] = catalog.tables[name] = TableInfo(name, oid, float(rows), int(size))
    oids = list(by_oid)
    for oid, col, typ, cat in conn.execute(_COLUMNS, (oids,)).fetchall():
        by_oid[oid].columns[col] = ColumnInfo(col, typ, cat)
    for oid, col, n_distinct, width, null_frac in conn.execute(_STATS, (oids,)).fetchall():
        info = by_oid[oid].columns.get(col)
        if info is not None:
            info.n_distinct, info.avg_width, info.null_frac = n_distinct, width, null_frac
    for row in conn.execute(_INDEXES, (oids,)).fetchall():
        oid, name, unique, primary, method, definition, nkeys, attnames, partial, size = row
        names = list(attnames or [])
        by_oid[oid].indexes.append(
            IndexInfo(
                name,
                names[:nkeys],
                names[nkeys:],
                unique,
                primary,
                method,
                partial,
                definition,
                size,
            )
        )
    for oid, columns in conn.execute(_FOREIGN_KEYS, (oids,)).fetchall():
        by_oid[oid].foreign_keys.append(list(columns))
    return catalog

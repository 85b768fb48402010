"""Planner statistics of sample data in a known state, so the same data always plans the same.

Index advice is read off planner costs, and two inputs of those costs used to drift with
autovacuum's timing: ANALYZE reads a random sample of 300 x statistics-target rows (so a
re-ANALYZE of a table larger than that moves the histograms), and VACUUM sets the visibility
map that prices index-only scans (a fresh sample with none looked different from the same
sample once autovacuum had visited it, and the advisor picked different indexes).

After a load, `settle` therefore: turns autovacuum off on the loaded tables (clones of a
cached template inherit it); gives every column a statistics target at which ANALYZE reads
every row (deterministic, up to `MAX_TARGET` x 300 rows per table); flushes the load's
asynchronously committed WAL (without it VACUUM may not mark a page all-visible yet); and
runs VACUUM (FREEZE, ANALYZE), which leaves nothing for a later VACUUM to change.
"""

from __future__ import annotations

import math

from psycopg import sql

from tools.sql.server import Conn

ROWS_PER_TARGET = 300  # ANALYZE samples 300 x the statistics target rows
DEFAULT_TARGET = 100  # PostgreSQL's default_statistics_target, pinned for expression indexes
MAX_TARGET = 10_000  # PostgreSQL's ceiling
PARTITIONED_SLACK = 2  # a parent splits its sample over partitions by pages, not rows

# The user's tables (and materialized views) this role may alter: a partitioned parent
# covers its partitions (VACUUM, statistics targets and ANALYZE recurse); its leaves are
# listed too, for their storage options. Tables an extension owns are left alone.
_TABLES = """
SELECT c.oid::regclass::text, c.relkind::text, c.relispartition
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND pg_has_role(c.relowner, 'USAGE')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1
"""
_PIN_TARGET = sql.SQL("SET default_statistics_target = {}").format(sql.Literal(DEFAULT_TARGET))


def statistics_target(rows: int, partitioned: bool = False) -> int:
    """The smallest target at which ANALYZE samples all `rows` (never below the default)."""
    needed = math.ceil(rows * (PARTITIONED_SLACK if partitioned else 1) / ROWS_PER_TARGET) + 1
    return max(DEFAULT_TARGET, min(MAX_TARGET, needed))


def settle(conn: Conn) -> None:
    """Put the loaded database's statistics in their known state (`conn` in autocommit)."""
    tables = [(str(n), str(k), bool(p)) for n, k, p in conn.execute(_TABLES).fetchall()]
    conn.execute("SET synchronous_commit = on")  # the next commit flushes the whole load
    for name, kind, _ in tables:
        if kind != "p":  # storage options live on leaves; a parent refuses them
            conn.execute(
                sql.SQL(
                    "ALTER TABLE {} SET (autovacuum_enabled = off, toast.autovacuum_enabled = off)"
                ).format(_ident(name))
            )
    top = [(name, kind) for name, kind, partition in tables if not partition]
    for name, kind in top:
        _set_targets(conn, name, kind == "p")
    conn.execute(_PIN_TARGET)
    for name, _ in top:
        conn.execute(sql.SQL("VACUUM (FREEZE, ANALYZE) {}").format(_ident(name)))


def refresh(conn: Conn, table: sql.Composable | None = None) -> None:
    """ANALYZE (one table, or all) after new indexes, with the pinned default target:
    an expression index takes its statistics target from the session's default."""
    conn.execute(_PIN_TARGET)
    conn.execute(sql.SQL("ANALYZE") if table is None else sql.SQL("ANALYZE {}").format(table))


def _set_targets(conn: Conn, table: str, partitioned: bool) -> None:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_ident(table))).fetchone()
    target = statistics_target(int(row[0]) if row else 0, partitioned)
    columns = [
        str(r[0])
        for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (table,),
        ).fetchall()
    ]
    if not columns:
        return
    clauses = sql.SQL(", ").join(
        sql.SQL("ALTER COLUMN {} SET STATISTICS {}").format(sql.Identifier(c), sql.Literal(target))
        for c in columns
    )
    conn.execute(sql.SQL("ALTER TABLE {} ").format(_ident(table)) + clauses)


def _ident(qualified: str) -> sql.Composable:
    """A regclass text (`orders`, `"Order"`, `audit.log`) as SQL: it is already quoted."""
    return sql.SQL(qualified)

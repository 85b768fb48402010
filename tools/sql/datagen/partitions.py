"""Where sample rows of a range-partitioned table should land: inside its live partitions.

A design creates the partitions around today (plus a default one). Sample timestamps spread
over past years would all fall into the default partition, leaving the real partitions
empty and every plan over them meaningless; so the partition key is drawn from the span the
non-default partitions cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.sql.server import Conn

_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")
_PARTITIONS = """
SELECT parent.oid::regclass::text, att.attname, pg_get_expr(child.relpartbound, child.oid)
FROM pg_partitioned_table pt
JOIN pg_class parent ON parent.oid = pt.partrelid
JOIN pg_attribute att ON att.attrelid = pt.partrelid AND att.attnum = pt.partattrs[0]
JOIN pg_inherits inh ON inh.inhparent = pt.partrelid
JOIN pg_class child ON child.oid = inh.inhrelid
WHERE pt.partstrat = 'r' AND pt.partnatts = 1
"""


@dataclass(frozen=True)
class Window:
    column: str
    low: str  # the lowest lower bound of a range partition, as PostgreSQL prints it
    high: str  # the highest upper bound


def partition_windows(conn: Conn) -> dict[str, Window]:
    """Range-partitioned table -> the span its bounded partitions cover."""
    spans: dict[str, tuple[str, list[str], list[str]]] = {}
    for table, column, bound in conn.execute(_PARTITIONS).fetchall():
        match = _BOUNDS.search(str(bound or ""))
        if match is None:  # DEFAULT, MINVALUE/MAXVALUE or a multi-column bound
            continue
        _, lows, highs = spans.setdefault(str(table), (str(column), [], []))
        lows.append(match[1])
        highs.append(match[2])
    return {
        table: Window(column, _extreme(conn, lows, "min"), _extreme(conn, highs, "max"))
        for table, (column, lows, highs) in spans.items()
    }


def _extreme(conn: Conn, values: list[str], fn: str) -> str:
    """Bounds compare as timestamps, not text; ask PostgreSQL rather than parse them."""
    query = f"SELECT {fn}(v::timestamptz)::text FROM unnest(%s::text[]) v"  # fn is min|max
    row = conn.execute(query, (values,)).fetchone()
    return str(row[0]) if row else values[0]


def window_expr(window: Window, base_type: str, uniform: str) -> str:
    """A value inside the window, spread uniformly by the `uniform` expression in [0, 1)."""
    low, high = (f"timestamptz '{window.low}'", f"timestamptz '{window.high}'")
    moment = f"({low} + {uniform} * ({high} - {low} - interval '1 second'))"
    if base_type == "date":
        return f"({moment})::date"
    if base_type == "timestamp":
        return f"({moment})::timestamp"
    return moment

"""What a spec says about load: rows per table, which tables are large, the workload.

"Large" is what the index gate protects from sequential scans: a table the spec marks
`large: true`, or one whose stated rows reach `LARGE_ROWS`, unless marked `large: false`.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.naming import table_name
from agent.spec import Requirements, resolve_contract
from tools.sql.datagen import LARGE_TABLE_ROWS
from tools.sql.query import WorkloadQuery, workload_from_patterns

# The sample generator keeps more rows for tables this large: one threshold for both.
LARGE_ROWS = LARGE_TABLE_ROWS


def stated_rows(spec: Requirements, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Rows per table: entity rows, join tables' stated rows (else as large as their larger
    side), then overrides."""
    rows = {table_name(e.name): e.rows for e in spec.entities if e.rows}
    for table in resolve_contract(spec).tables.values():
        if table.kind == "join" and table.name not in rows:
            stated = table.relationship.rows if table.relationship else None
            sides = [rows.get(c.ref_table or "", 0) for c in table.columns if c.ref_table]
            if stated or any(sides):
                rows[table.name] = stated or max(sides)
    rows.update(overrides or {})
    return rows


def large_tables(spec: Requirements, overrides: Mapping[str, int] | None = None) -> set[str]:
    rows = stated_rows(spec, overrides)
    marked = {table_name(e.name): e.large for e in spec.entities if e.large is not None}
    large = {t for t, n in rows.items() if n >= LARGE_ROWS and marked.get(t) is not False}
    return large | {t for t, flag in marked.items() if flag}


def pattern_queries(spec: Requirements) -> list[WorkloadQuery]:
    """The spec's access patterns as a workload, weighted by their rates."""
    return workload_from_patterns(
        [(p.name, p.sql, p.per_second or 1.0) for p in spec.access_patterns]
    )

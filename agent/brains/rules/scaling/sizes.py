"""Row and byte estimates per table, now and at 12 and 36 months, each with where it came from.

Rows come from `rules.volumes` (the spec, stated insert rates, parents and fan-out);
partitioned tables with a retention stop growing once the oldest partitions start being
dropped. Bytes come from the column widths in `widths`; indexes are every one the
schema builds (keys, uniques, its own CREATE INDEX), estimated from their key widths, and
the advisor's, whose sizes at the stated volume it measured on the sample and scaled.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent.brains.rules.scaling.widths import (
    APPEND_ONLY_FILL,
    PAGE_BYTES,
    UNKNOWN_BYTES,
    UPDATED_FILL,
    btree_bytes,
    column_bytes,
    heap_bytes,
    heap_row_bytes,
)
from agent.brains.rules.volumes import (
    PEAK_TO_AVERAGE,
    SECONDS_PER_MONTH,
    Parent,
    Volume,
    child_volume,
    entity_volume,
    insert_growth,
    link_volume,
    pattern_rate,
    support_volume,
)
from agent.ddl import BuiltIndex, schema_indexes
from agent.spec import Requirements, duration_seconds, resolve_contract
from agent.stages import IndexPlan, IndexRecommendation, SchemaDesign, TableSize, TableSummary

HORIZONS = (0, 12, 36)  # months
GIN_SHARE = 0.4  # a jsonb GIN index (jsonb_path_ops) is ~30-50% of the indexed data
_UPDATE = re.compile(r"^\s*(?:update|delete\s+from)\s+(\w+)", re.IGNORECASE)
_KEY_NAME = re.compile(r'^\W*"?(\w+)')


@dataclass(frozen=True)
class SizedTable:
    size: TableSize
    volume: Volume
    heap_36m: int
    index_36m: int
    indexes: int = 0  # indexes counted in the sizes: the schema's own and the advisor's
    measured: tuple[str, ...] = ()  # how each advised index's size was obtained


def estimate_sizes(
    spec: Requirements, schema: SchemaDesign, indexes: IndexPlan
) -> list[SizedTable]:
    """One estimate per table of the design (partitions are counted in their parent)."""
    volumes = table_volumes(spec, schema)
    built: dict[str, list[BuiltIndex]] = {}
    for index in schema_indexes(schema.ddl):
        built.setdefault(index.table, []).append(index)
    enums = frozenset(schema.enum_types)
    return [
        _sized(table, volumes[table.name], indexes, built.get(table.name, []), enums)
        for table in schema.tables
        if table.name in volumes
    ]


def table_volumes(spec: Requirements, schema: SchemaDesign) -> dict[str, Volume]:
    """Stated volumes first; then, parents before children, links and unsized children."""
    partitions = {name for part in schema.partitioning for name in part.partitions}
    tables = [t for t in schema.tables if t.name not in partitions and t.kind != "audit"]
    found = {t.name: v for t in tables if (v := _stated(spec, schema, t)) is not None}
    pending = {t.name: t for t in tables if t.name not in found}
    links = {
        name: table.relationship
        for name, table in resolve_contract(spec).tables.items()
        if table.relationship is not None
    }
    while pending:
        ready = [t for t in pending.values() if not (_parent_names(t) & (set(pending) - {t.name}))]
        for table in ready or [next(iter(pending.values()))]:
            del pending[table.name]
            parents = _parents(table, found)
            if table.kind == "join":
                rel = links.get(table.name)
                growth = rel.growth_per_month if rel else None
                found[table.name] = link_volume(
                    spec, table.name, table.estimated_rows, growth, parents
                )
            else:
                found[table.name] = child_volume(parents) or support_volume()
    for table in schema.tables:
        if table.kind == "audit":
            found[table.name] = _audit_volume(spec, schema, found)
    return found


def _stated(spec: Requirements, schema: SchemaDesign, table: TableSummary) -> Volume | None:
    entity = spec.entity(table.entity) if table.entity else None
    if entity is not None:
        return _capped(schema, table, entity_volume(spec, table.name, entity))
    if table.kind == "join" or table.estimated_rows is None:
        return None
    inserted = insert_growth(spec, table.name)
    growth, grown = inserted if inserted is not None else (0, "no growth stated")
    return _capped(
        schema, table, Volume(table.estimated_rows, growth, None, f"stated rows; {grown}")
    )


def _parent_names(table: TableSummary) -> set[str]:
    return {c.references.split(".")[0] for c in table.columns if c.references}


def _parents(table: TableSummary, known: Mapping[str, Volume]) -> list[Parent]:
    """The sized tables `table` references; a key that is the whole primary key is 1:1.

    A link table's parents are the two sides of its key: a tenant key beside them is no side.
    """
    found = []
    for column in table.columns:
        parent = column.references.split(".")[0] if column.references else None
        if parent is None or parent not in known:
            continue
        if table.kind == "join" and column.name not in table.primary_key:
            continue
        one_to_one = table.kind != "join" and table.primary_key == [column.name]
        found.append(Parent(parent, known[parent], one_to_one))
    return found


def _capped(schema: SchemaDesign, table: TableSummary, volume: Volume) -> Volume:
    """Retention on a partitioned table: at most retention + one partition interval of rows."""
    part = next((p for p in schema.partitioning if p.table == table.name), None)
    keep = retention_months(part.retention if part else None)
    if part is None or keep is None or volume.growth <= 0:
        return volume
    window = keep + (interval_months(part.interval) or 1.0)
    cap = math.ceil(volume.growth * window)
    note = f"; capped at {cap:,} rows by retention {part.retention} + one {part.interval} partition"
    return Volume(volume.rows_now, volume.growth, cap, volume.source + note)


def retention_months(text: str | None) -> float | None:
    seconds = duration_seconds(text) if text else None
    return seconds / SECONDS_PER_MONTH if seconds is not None else None


def interval_months(text: str | None) -> float | None:
    return retention_months(text)


def _audit_volume(spec: Requirements, schema: SchemaDesign, known: Mapping[str, Volume]) -> Volume:
    """One audit row per insert, update and delete of an audited table."""
    audited = set(schema.audit.audited_tables) if schema.audit else set()
    inserts = sum(known[t].growth for t in audited if t in known)
    changes = [p for p in spec.access_patterns if _target(_UPDATE, p.sql) in audited]
    updates = round(sum(pattern_rate(p) for p in changes) * SECONDS_PER_MONTH / PEAK_TO_AVERAGE)
    return Volume(
        0,
        inserts + updates,
        None,
        f"one row per change of the {len(audited)} audited tables: {inserts:,} inserts + "
        f"{updates:,} updates/deletes a month (update rates / {PEAK_TO_AVERAGE:g})",
    )


def _target(pattern: re.Pattern[str], sql: str) -> str | None:
    match = pattern.match(sql)
    return match.group(1).lower() if match else None


def _sized(
    table: TableSummary,
    volume: Volume,
    indexes: IndexPlan,
    built: Sequence[BuiltIndex],
    enums: frozenset[str],
) -> SizedTable:
    widths = {c.name: column_bytes(c.type, enums) for c in table.columns}
    row = heap_row_bytes(list(widths.values()))
    fill = APPEND_ONLY_FILL if table.kind == "audit" or table.partitioned_by else UPDATED_FILL
    rows = [volume.rows_at(m) for m in HORIZONS]
    heaps = [heap_bytes(r, row, fill) for r in rows]
    mine = [i for i in indexes.indexes if i.table == table.name]
    idx = [
        sum(key_bytes(k, widths, r) for k in built)
        + sum(index_bytes(rec, widths, r, h) for rec in mine)
        for r, h in zip(rows, heaps, strict=True)
    ]
    size = TableSize(
        table=table.name,
        rows_now=rows[0],
        rows_12m=rows[1],
        rows_36m=rows[2],
        row_bytes=row,
        bytes_now=heaps[0] + idx[0],
        bytes_12m=heaps[1] + idx[1],
        bytes_36m=heaps[2] + idx[2],
    )
    measured = tuple(dict.fromkeys(i.size_basis for i in mine if i.size_bytes and i.stated_rows))
    return SizedTable(size, volume, heaps[2], idx[2], len(built) + len(mine), measured)


def key_bytes(keys: BuiltIndex, widths: Mapping[str, int], rows: int) -> int:
    """A btree (or GIN) index estimated from its key widths, as if it covered every row."""
    sizes = [widths.get(_column_of(c), UNKNOWN_BYTES) for c in keys.columns]
    if keys.method == "gin":
        return max(PAGE_BYTES, math.ceil(rows * sum(sizes) * GIN_SHARE))
    return btree_bytes(rows, sizes)


def index_bytes(rec: IndexRecommendation, widths: Mapping[str, int], rows: int, heap: int) -> int:
    """The advisor's size at the stated volume scaled to `rows`, else estimated from its keys.

    Partial indexes are estimated as if they covered every row: an upper bound, since their
    predicate's selectivity is only known once data exists.
    """
    if rec.size_bytes and rec.stated_rows:
        return math.ceil(rec.size_bytes * rows / rec.stated_rows)
    if rec.kind == "brin":
        return (math.ceil(heap / PAGE_BYTES / 128 * 32 / PAGE_BYTES) + 3) * PAGE_BYTES
    method = "gin" if rec.kind == "gin" else "btree"
    return key_bytes(BuiltIndex(rec.table, tuple(rec.columns), "secondary", method), widths, rows)


def _column_of(key: str) -> str:
    """`attributes jsonb_path_ops`, `created_at DESC` and `"name"` all name a column first."""
    match = _KEY_NAME.match(key)
    return match.group(1) if match else key

"""Row and byte estimates per table, now and at 12 and 36 months, each with where it came from.

Rows come from the spec (`rows`, `growth_per_month`), else from stated insert rates, else
from the documented defaults; partitioned tables with a retention stop growing once the
oldest partitions start being dropped. Bytes come from the column widths in
`scaling_widths` and from btree/GIN/BRIN estimates for the indexes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from agent.brains.rules.scaling_widths import (
    APPEND_ONLY_FILL,
    PAGE_BYTES,
    UNKNOWN_BYTES,
    UPDATED_FILL,
    btree_bytes,
    column_bytes,
    heap_bytes,
    heap_row_bytes,
)
from agent.brains.rules.signals import DEFAULT_ROWS, SECONDS_PER_MONTH, pattern_rate
from agent.spec_model import Requirements
from agent.spec_values import duration_seconds
from agent.stages import IndexPlan, IndexRecommendation, SchemaDesign, TableSize, TableSummary

HORIZONS = (0, 12, 36)  # months
PEAK_TO_AVERAGE = 3.0  # stated rates are peaks; a diurnal load averages about a third of it
GIN_SHARE = 0.4  # a jsonb GIN index (jsonb_path_ops) is ~30-50% of the indexed data
SUPPORT_ROWS = 1_000  # lookup/support tables the brain added without a stated volume
_INSERT = re.compile(r"^\s*insert\s+into\s+(\w+)", re.IGNORECASE)
_UPDATE = re.compile(r"^\s*(?:update|delete\s+from)\s+(\w+)", re.IGNORECASE)
_FACTOR = re.compile(r"loaded at ([0-9.]+(?:e-?\d+)?) of its stated rows")
MIN_SAMPLE_ROWS = 10_000  # below this, whole-page rounding dominates a measured index size
_KEY_NAME = re.compile(r'^\W*"?(\w+)')


@dataclass(frozen=True)
class Volume:
    """How many rows a table holds today, how fast it grows, and the cap retention puts on it."""

    rows_now: int
    growth: int  # rows per month
    cap: int | None  # steady-state rows under retention
    source: str  # the sentence the report prints

    def rows_at(self, months: int) -> int:
        rows = self.rows_now + self.growth * months
        return min(rows, self.cap) if self.cap is not None and months else rows


@dataclass(frozen=True)
class SizedTable:
    size: TableSize
    volume: Volume
    heap_36m: int
    index_36m: int
    sample: int | None = None  # rows the advisor measured indexes on, when scaled from it


def estimate_sizes(
    spec: Requirements,
    schema: SchemaDesign,
    indexes: IndexPlan,
    sample_factor: float | None = None,
) -> list[SizedTable]:
    """One estimate per table of the design (partitions are counted in their parent).

    `sample_factor` is the share of the stated rows the index advisor loaded; with it, the
    advisor's measured index sizes are scaled to the stated volumes.
    """
    children = {name for part in schema.partitioning for name in part.partitions}
    volumes: dict[str, Volume] = {}
    for table in schema.tables:
        if table.name not in children and table.kind != "audit":
            volumes[table.name] = _volume(spec, schema, table, volumes)
    for table in schema.tables:
        if table.kind == "audit":
            volumes[table.name] = _audit_volume(spec, schema, volumes)
    enums = frozenset(schema.enum_types)
    return [
        _sized(
            table, volumes[table.name], indexes, enums, _sample(volumes[table.name], sample_factor)
        )
        for table in schema.tables
        if table.name in volumes
    ]


def _sample(volume: Volume, factor: float | None) -> int | None:
    """Rows the advisor loaded; None when unknown or too few for sizes to scale linearly."""
    if factor is None:
        return None
    loaded = round(volume.rows_now * factor)
    return loaded if loaded >= MIN_SAMPLE_ROWS else None


def sample_factor(sampling_note: str | None) -> float | None:
    """The advisor's sampling factor from its note: no note means stated volumes were loaded."""
    if sampling_note is None:
        return 1.0
    match = _FACTOR.search(sampling_note)
    return float(match.group(1)) if match else None


def _volume(
    spec: Requirements, schema: SchemaDesign, table: TableSummary, known: Mapping[str, Volume]
) -> Volume:
    entity = spec.entity(table.entity) if table.entity else None
    if entity is not None:
        rows, source = (
            (entity.rows, "spec rows")
            if entity.rows is not None
            else (DEFAULT_ROWS, f"assumed {DEFAULT_ROWS:,} rows (no row count)")
        )
        growth, grown_from = _growth(spec, table.name, entity.growth_per_month)
        return _capped(spec, schema, table, rows, growth, f"{source}; {grown_from}")
    if table.estimated_rows is not None:
        return Volume(table.estimated_rows, 0, None, "the schema design's estimate; no growth")
    if table.kind == "join":
        return _join_volume(table, known)
    return Volume(SUPPORT_ROWS, 0, None, f"assumed {SUPPORT_ROWS:,} rows (support table)")


def _growth(spec: Requirements, table: str, stated: int | None) -> tuple[int, str]:
    if stated is not None:
        return stated, f"+{stated:,}/month (spec growth_per_month)"
    inserts = [p for p in spec.access_patterns if _target(_INSERT, p.sql) == table]
    if not inserts:
        return 0, "no growth stated"
    rate = sum(pattern_rate(p) for p in inserts)
    growth = round(rate * SECONDS_PER_MONTH / PEAK_TO_AVERAGE)
    return growth, (
        f"+{growth:,}/month from {rate:g} inserts/s peak (average = peak/{PEAK_TO_AVERAGE:g})"
    )


def _target(pattern: re.Pattern[str], sql: str) -> str | None:
    match = pattern.match(sql)
    return match.group(1).lower() if match else None


def _capped(
    spec: Requirements, schema: SchemaDesign, table: TableSummary, rows: int, growth: int, src: str
) -> Volume:
    """Retention on a partitioned table: at most retention + one partition interval of rows."""
    part = next((p for p in schema.partitioning if p.table == table.name), None)
    keep = retention_months(part.retention if part else None)
    if part is None or keep is None or growth <= 0:
        return Volume(rows, growth, None, src)
    window = keep + (interval_months(part.interval) or 1.0)
    cap = math.ceil(growth * window)
    note = f"; capped at {cap:,} rows by retention {part.retention} + one {part.interval} partition"
    return Volume(rows, growth, cap, src + note)


def retention_months(text: str | None) -> float | None:
    seconds = duration_seconds(text) if text else None
    return seconds / SECONDS_PER_MONTH if seconds is not None else None


def interval_months(text: str | None) -> float | None:
    return retention_months(text)


def _join_volume(table: TableSummary, known: Mapping[str, Volume]) -> Volume:
    """One link per row of the larger side: a stated guess the report shows as such."""
    parents = [c.references.split(".")[0] for c in table.columns if c.references]
    sides = [(known[p], p) for p in parents if p in known]
    if not sides:
        return Volume(DEFAULT_ROWS, 0, None, f"assumed {DEFAULT_ROWS:,} links")
    volume, parent = max(sides, key=lambda side: side[0].rows_now)
    return Volume(
        volume.rows_now, volume.growth, None, f"assumed one link per {parent} row, growing with it"
    )


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


def _sized(
    table: TableSummary,
    volume: Volume,
    indexes: IndexPlan,
    enums: frozenset[str],
    sample: int | None,
) -> SizedTable:
    widths = {c.name: column_bytes(c.type, enums) for c in table.columns}
    row = heap_row_bytes(list(widths.values()))
    fill = APPEND_ONLY_FILL if table.kind == "audit" or table.partitioned_by else UPDATED_FILL
    rows = [volume.rows_at(m) for m in HORIZONS]
    heaps = [heap_bytes(r, row, fill) for r in rows]
    mine = [i for i in indexes.indexes if i.table == table.name]
    idx = [
        _table_index_bytes(table, mine, widths, r, h, sample)
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
    measured = sample if any(i.size_bytes for i in mine) else None
    return SizedTable(size, volume, heaps[2], idx[2], measured)


def _table_index_bytes(
    table: TableSummary,
    recommended: list[IndexRecommendation],
    widths: Mapping[str, int],
    rows: int,
    heap: int,
    sample: int | None,
) -> int:
    total = btree_bytes(rows, [widths.get(c, UNKNOWN_BYTES) for c in table.primary_key])
    for rec in recommended:
        total += index_bytes(rec, widths, rows, heap, sample)
    return total


def index_bytes(
    rec: IndexRecommendation,
    widths: Mapping[str, int],
    rows: int,
    heap: int,
    sample: int | None = None,
) -> int:
    """The advisor's measured size scaled by rows when the sample size is known, else estimated.

    Partial indexes are estimated as if they covered every row: an upper bound, since their
    predicate's selectivity is only known once data exists.
    """
    if rec.size_bytes and sample:
        return math.ceil(rec.size_bytes * rows / sample)
    keys = [widths.get(_column_of(c), UNKNOWN_BYTES) for c in rec.columns]
    if rec.kind == "gin":
        return max(PAGE_BYTES, math.ceil(rows * sum(keys) * GIN_SHARE))
    if rec.kind == "brin":
        return (math.ceil(heap / PAGE_BYTES / 128 * 32 / PAGE_BYTES) + 3) * PAGE_BYTES
    return btree_bytes(rows, keys)


def _column_of(key: str) -> str:
    """`attributes jsonb_path_ops`, `created_at DESC` and `"name"` all name a column first."""
    match = _KEY_NAME.match(key)
    return match.group(1) if match else key

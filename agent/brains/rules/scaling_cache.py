"""Caching from the access patterns: cache-aside for hot lookups, materialized views for aggregates.

PostgreSQL stays the source of truth. A read pattern is cached only when it is hot (rate at or
above `HOT_READS_PER_SECOND`) or when it aggregates a large table; each cache names the writes
that must invalidate it, so staleness is bounded by the TTL and usually by less.
"""

from __future__ import annotations

from agent.brains.rules.scaling_volumes import pattern_rate
from agent.brains.rules.signals import query_shape
from agent.spec_model import AccessPattern, Requirements
from agent.spec_questions import referenced_tables
from agent.stages import CachingPlan, SchemaDesign, TableSize, TechnologyDecision

HOT_READS_PER_SECOND = 100.0
LARGE_ROWS = 1_000_000  # an aggregate over a table this large is worth precomputing
TTL_CHANGING = 60  # seconds, for data that the workload writes
TTL_STABLE = 300  # seconds, for data nothing in the workload writes
TTL_STRONG = 30  # seconds, when the spec asks for strong consistency
MV_REFRESH_MINUTES = 15  # staleness a dashboard of aggregates is assumed to accept


def plan_caching(
    spec: Requirements, tech: TechnologyDecision, schema: SchemaDesign, sizes: list[TableSize]
) -> list[CachingPlan]:
    rows = {s.table: s.rows_12m for s in sizes}
    series = {p.table for p in schema.partitioning}
    writes = _written_tables(spec)
    layer = _cache_layer(tech)
    found = []
    for pattern in spec.access_patterns:
        if pattern.is_write:
            continue
        tables = sorted(referenced_tables(pattern.sql))
        if query_shape(pattern.sql).aggregates and any(
            rows.get(t, 0) >= LARGE_ROWS for t in tables
        ):
            found.append(_aggregate(pattern, tables, rows, series))
        elif pattern_rate(pattern) >= HOT_READS_PER_SECOND:
            found.append(_cache_aside(spec, pattern, tables, writes, layer))
    return found


def _cache_layer(tech: TechnologyDecision) -> str:
    cache = next((a for a in tech.auxiliary if a.role == "cache"), None)
    return cache.product if cache else "Redis (cache-aside)"


def _written_tables(spec: Requirements) -> dict[str, list[str]]:
    """Table -> names of the write patterns that change it."""
    found: dict[str, list[str]] = {}
    for pattern in spec.access_patterns:
        if pattern.is_write:
            for table in referenced_tables(pattern.sql):
                found.setdefault(table, []).append(pattern.name)
    return found


def _aggregate(
    pattern: AccessPattern, tables: list[str], rows: dict[str, int], series: set[str]
) -> CachingPlan:
    """Time series get incremental rollups: refreshing a view over billions of rows is no cache."""
    largest = max(tables, key=lambda t: rows.get(t, 0))
    if largest in series:
        return CachingPlan(
            target=pattern.name,
            layer=f"rollup table of {largest} per hour, maintained incrementally",
            ttl_seconds=3600,
            invalidation="a scheduled job aggregates each hour once it closes (newest "
            "partition only); queries combine closed-hour rollups with the raw current hour",
            reason=f"aggregates the time series {largest} ({rows.get(largest, 0):,} rows at "
            "12 months): rollups are small and never rescan old partitions",
        )
    return CachingPlan(
        target=pattern.name,
        layer="materialized view (REFRESH MATERIALIZED VIEW CONCURRENTLY, unique index)",
        ttl_seconds=MV_REFRESH_MINUTES * 60,
        invalidation=f"refreshed every {MV_REFRESH_MINUTES} minutes by a scheduled job; "
        "readers see the last refresh",
        reason=f"aggregates {largest} ({rows.get(largest, 0):,} rows at 12 months, over "
        f"{LARGE_ROWS:,}): precompute instead of scanning on every call",
    )


def _cache_aside(
    spec: Requirements,
    pattern: AccessPattern,
    tables: list[str],
    writes: dict[str, list[str]],
    layer: str,
) -> CachingPlan:
    writers = sorted({w for t in tables for w in writes.get(t, [])})
    ttl = TTL_STRONG if spec.consistency == "strong" else TTL_CHANGING if writers else TTL_STABLE
    invalidation = (
        f"delete the key on writes to {', '.join(tables)} ({'; '.join(writers)})"
        if writers
        else f"no stated pattern writes {', '.join(tables)}: expiry by TTL only"
    )
    if spec.tenancy == "shared-schema":
        invalidation += "; keys include the tenant id"
    return CachingPlan(
        target=pattern.name,
        layer=layer,
        ttl_seconds=ttl,
        invalidation=invalidation,
        reason=f"{pattern_rate(pattern):,.0f} reads/s (hot: >= {HOT_READS_PER_SECOND:g}/s); "
        f"TTL {ttl} s ({_ttl_reason(spec, writers)}){_regulated(spec)}",
    )


def _regulated(spec: Requirements) -> str:
    """A cache of regulated data is part of the regulated system."""
    if not spec.compliance:
        return ""
    regimes = ", ".join(c.upper() for c in spec.compliance)
    return f"; cached values fall under {regimes}: TLS and AUTH on the cache, no disk persistence"


def _ttl_reason(spec: Requirements, writers: list[str]) -> str:
    if spec.consistency == "strong":
        return "strong consistency asked: short TTL plus invalidation on write"
    return "the workload writes these tables" if writers else "nothing in the workload writes them"

"""Caching only where the database cannot serve a read, in the form the consistency allows.

`serve` says which read patterns PostgreSQL cannot serve at their stated rate and
latency; only those get help, and what help depends on the spec. An aggregate over a time
series gets an incrementally maintained rollup; another aggregate a materialized view (its
DDL built from the pattern, with the row-level-security caveat) under eventual consistency,
or a summary table kept in the writing transaction under strong consistency. A lookup gets
a cache-aside cache under eventual consistency, invalidated by the writes the workload
states; under strong consistency no cache may serve a stale value, so the plan sizes the
primary instead. Every other pattern is served by the database, and says with what margin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.brains.rules.matview import materialized_view
from agent.brains.rules.scaling.capacity import MAX_CORES
from agent.brains.rules.scaling.serve import Capacity, ReadLoad, needing_help, served_by_database
from agent.brains.rules.signals import query_shape
from agent.spec import AccessPattern, Requirements, referenced_tables
from agent.stages import CachingPlan, ReadService, SchemaDesign, TableSize, TechnologyDecision

TTL_CHANGING = 60  # seconds, for data that the workload writes
TTL_STABLE = 300  # seconds, for data nothing in the workload writes
MV_REFRESH_MINUTES = 15  # staleness eventual consistency is assumed to accept for aggregates
MATVIEW = "materialized view"


def plan_caching(
    spec: Requirements,
    tech: TechnologyDecision,
    schema: SchemaDesign,
    sizes: list[TableSize],
    loads: Sequence[ReadLoad],
    room: Capacity,
) -> tuple[list[CachingPlan], list[ReadService]]:
    """The caches the stated load needs, and how every read pattern is served."""
    rows = {s.table: s.rows_12m for s in sizes}
    helped = needing_help(loads, room)
    caching: list[CachingPlan] = []
    services: list[ReadService] = []
    for read in loads:
        why = helped.get(read.pattern.name)
        if why is None:
            where, reason = served_by_database(read, room)
        else:
            plan = _help(spec, tech, schema, read.pattern, rows, why)
            caching += [plan] if plan is not None else []
            where = plan.layer if plan is not None else "primary, scaled up"
            reason = why if plan is not None else _scale_up(why, room)
        services.append(
            ReadService(
                pattern=read.pattern.name,
                per_second=read.rate,
                cost=round(read.cost, 2),
                cost_source="planned" if read.planned else "assumed",
                ms_per_call=round(read.ms, 2),
                latency_ms=read.pattern.latency_ms,
                served_by=where,
                reason=reason,
            )
        )
    return caching, services


def _scale_up(why: str, room: Capacity) -> str:
    text = (
        f"{why}. Strong consistency rules out a cache that can serve a stale value and "
        "asynchronous replicas that lag: "
    )
    if room.cores_needed <= MAX_CORES:
        return text + (
            f"give the primary {room.cores_needed} cores (or serve these reads from "
            "synchronous replicas with synchronous_commit = remote_apply)"
        )
    return text + (
        f"one node would need {room.cores_needed} cores, past the {MAX_CORES} of the largest "
        "node: serve these reads from synchronous replicas (synchronous_commit = "
        "remote_apply), or change the query or schema so one call reads fewer rows"
    )


def _help(
    spec: Requirements,
    tech: TechnologyDecision,
    schema: SchemaDesign,
    pattern: AccessPattern,
    rows: dict[str, int],
    why: str,
) -> CachingPlan | None:
    tables = sorted(referenced_tables(pattern.sql))
    strong = (spec.consistency or "strong") == "strong"
    if query_shape(pattern.sql).aggregates:
        series = {p.table for p in schema.partitioning}
        largest = max(tables, key=lambda t: rows.get(t, 0)) if tables else ""
        if largest in series:
            return _rollup(pattern, largest, rows, why)
        if strong:
            return _summary_table(pattern, tables, schema, why)
        return _matview(pattern, tables, schema, why)
    if strong:
        return None
    return _cache_aside(spec, tech, pattern, tables, why)


def _rollup(pattern: AccessPattern, table: str, rows: dict[str, int], why: str) -> CachingPlan:
    """Time series get incremental rollups: refreshing a view over billions of rows is no cache."""
    return CachingPlan(
        target=pattern.name,
        layer=f"rollup table of {table} per hour, maintained incrementally",
        ttl_seconds=3600,
        invalidation="a scheduled job aggregates each hour once it closes (newest "
        "partition only); queries combine closed-hour rollups with the raw current hour",
        reason=f"{why}; {table} holds {rows.get(table, 0):,} rows at 12 months: rollups are "
        "small and never rescan old partitions",
    )


def _summary_table(
    pattern: AccessPattern, tables: list[str], schema: SchemaDesign, why: str
) -> CachingPlan:
    return CachingPlan(
        target=pattern.name,
        layer="summary table maintained in the writing transaction",
        invalidation=f"a trigger on {', '.join(tables)} updates the summary row in the same "
        "transaction as the write, so a read never sees it out of date (strong consistency)",
        reason=why,
        caveat=_rls_caveat(tables, schema, "summary table"),
    )


def _matview(
    pattern: AccessPattern, tables: list[str], schema: SchemaDesign, why: str
) -> CachingPlan:
    tenant = schema.tenancy.tenant_column if schema.tenancy else None
    view = materialized_view(_view_name(pattern.name), pattern.sql, tenant)
    refresh = "REFRESH MATERIALIZED VIEW CONCURRENTLY" if view and view.concurrent else (
        "REFRESH MATERIALIZED VIEW")  # fmt: skip
    return CachingPlan(
        target=pattern.name,
        layer=MATVIEW,
        ttl_seconds=MV_REFRESH_MINUTES * 60,
        invalidation=f"{refresh} every {MV_REFRESH_MINUTES} minutes from a scheduled job; "
        "readers see the last refresh (eventual consistency allows it)"
        + (f"; the pattern reads it as {view.read}" if view else ""),
        reason=why,
        ddl=view.ddl if view else None,
        caveat=_rls_caveat(tables, schema, MATVIEW),
    )


def _rls_caveat(tables: list[str], schema: SchemaDesign, what: str) -> str | None:
    protected = [t for t in tables if t in schema.rls_tables]
    if not protected:
        return None
    tenant = schema.tenancy.tenant_column if schema.tenancy else None
    filtered = f" filtered by {tenant}" if tenant else ""
    return (
        f"a {what} ignores row-level security: it holds the rows of every tenant of "
        f"{', '.join(protected)}. Grant it to no application role; read it through a view "
        f"or function{filtered} from the tenant setting."
    )


def _view_name(pattern: str) -> str:
    return (re.sub(r"[^a-z0-9]+", "_", pattern.lower()).strip("_")[:50] or "pattern") + "_mv"


def _cache_aside(
    spec: Requirements,
    tech: TechnologyDecision,
    pattern: AccessPattern,
    tables: list[str],
    why: str,
) -> CachingPlan:
    writers = sorted({w.name for w in spec.access_patterns if w.is_write
                      and set(tables) & referenced_tables(w.sql)})  # fmt: skip
    ttl = TTL_CHANGING if writers else TTL_STABLE
    invalidation = (
        f"delete the key on writes to {', '.join(tables)} ({'; '.join(writers)})"
        if writers
        else f"no stated pattern writes {', '.join(tables)}: expiry by TTL only"
    )
    if spec.tenancy == "shared-schema":
        invalidation += "; keys include the tenant id"
    layer = next((a.product for a in tech.auxiliary if a.role == "cache"), "Redis (cache-aside)")
    return CachingPlan(
        target=pattern.name,
        layer=layer,
        ttl_seconds=ttl,
        invalidation=invalidation,
        reason=f"{why}; TTL {ttl} s (eventual consistency: a value may be up to the TTL old "
        f"when a write escapes invalidation){_regulated(spec)}",
    )


def _regulated(spec: Requirements) -> str:
    """A cache of regulated data is part of the regulated system."""
    if not spec.compliance:
        return ""
    regimes = ", ".join(c.upper() for c in spec.compliance)
    return f"; cached values fall under {regimes}: TLS and AUTH on the cache, no disk persistence"

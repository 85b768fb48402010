"""Replicas, connection pooling and sharding from the stated rates, volumes and availability.

Each capacity constant below is an assumption about one PostgreSQL node, stated once so the
plan can cite it; the plan tells the reader to replace them with a pgbench run on the real
hardware. The formulas are the well-known ones (Little's law for concurrency, PostgreSQL's
`cores * 2 + effective spindles` for pool size).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from agent.brains.rules.volumes import pattern_rate
from agent.spec import AccessPattern, Requirements
from agent.stages import PoolingPlan, ReplicaPlan, SchemaDesign, ShardingPlan, TableSize

READS_PER_NODE = 5_000.0  # indexed OLTP reads/s one 8-vCPU node serves with data in memory
WRITES_PER_PRIMARY = 10_000.0  # single-row writes/s one primary sustains (WAL, fsync, vacuum)
SINGLE_NODE_BYTES = 4 * 1024**4  # 4 TB: past this, backup, restore and vacuum take too long
LARGE_TABLE_BYTES = 100 * 1024**3  # a table this large is distributed, never copied to nodes
DEFAULT_AVAILABILITY = 99.9  # percent, when the spec does not state one
DEFAULT_SERVICE_MS = 10.0  # time a query holds a connection when no latency target is given
BASE_CORES = 8  # the node size the plan starts from
MAX_READ_REPLICAS = 5  # past this, WAL fan-out and operations cost more than a cache
MAX_CORES = 64
EFFECTIVE_SPINDLES = 1  # SSD/NVMe storage counts as one spindle in the pool formula
CLIENTS_PER_POOL_SLOT = 10  # idle app connections PgBouncer multiplexes onto one server slot
_SETTING = re.compile(r"current_setting\(\s*'([A-Za-z_][\w]*\.[\w.]+)'")


@dataclass(frozen=True)
class Rates:
    reads: float
    writes: float
    concurrency: float  # connections busy at peak (Little's law)


def workload_rates(spec: Requirements) -> Rates:
    """Peak reads/s and writes/s (unstated rates count 1/s), and busy connections at peak."""
    reads = sum(pattern_rate(p) for p in spec.access_patterns if not p.is_write)
    writes = sum(pattern_rate(p) for p in spec.access_patterns if p.is_write)
    busy = sum(pattern_rate(p) * _service_seconds(p) for p in spec.access_patterns)
    return Rates(reads, writes, busy)


def _service_seconds(pattern: AccessPattern) -> float:
    return (pattern.latency_ms or DEFAULT_SERVICE_MS) / 1000.0


def plan_replicas(spec: Requirements, rates: Rates) -> ReplicaPlan:
    """Standbys for availability, plus replicas for reads beyond the primary's share (only
    where reads may lag: eventual consistency) or for each stated region beyond the first."""
    availability = spec.availability or DEFAULT_AVAILABILITY
    ha = 2 if availability >= 99.99 else 1 if availability >= 99.9 else 0
    strong = (spec.consistency or "strong") == "strong"
    wanted = max(0, math.ceil(rates.reads / READS_PER_NODE) - 1)
    for_reads = 0 if strong else min(wanted, MAX_READ_REPLICAS)
    for_regions = max(0, len(spec.regions) - 1)
    synchronous = _rpo_zero(spec) or availability >= 99.99
    stated = "stated" if spec.availability else "assumed"
    reads = (
        f"no read replica for the {rates.reads:,.0f} reads/s at peak: strong consistency "
        "keeps reads on the primary (an asynchronous replica lags), which is sized for them"
        if strong
        else f"{for_reads} read replica(s) for {rates.reads:,.0f} reads/s at peak (ceil(reads "
        f"/ {READS_PER_NODE:,.0f} per node) - 1, the primary serving one share"
        + (
            f"; capped at {MAX_READ_REPLICAS}: past that a cache carries the rest more cheaply)"
            if wanted > MAX_READ_REPLICAS
            else ")"
        )
    )
    reason = (
        f"{ha} hot standby(s) for {availability:g}% availability ({stated}; >= 99.9% -> 1, "
        f">= 99.99% -> 2) + {reads}."
    )
    if for_regions:
        reason += f" {for_regions} replica(s) in the other stated region(s)"
        reason += f" (counted with the read replicas: {max(for_reads, for_regions)})."
    if not strong:
        reason += " Standbys also serve reads; reads that must see their own writes stay on "
        reason += "the primary."
    if synchronous:
        reason += " Synchronous commit to one standby: " + (
            "RPO 0 allows no lost commits."
            if _rpo_zero(spec)
            else "99.99% needs failover without data loss."
        )
    count = ha + max(for_reads, for_regions)
    return ReplicaPlan(read_replicas=count, synchronous=synchronous, reason=reason)


def _rpo_zero(spec: Requirements) -> bool:
    return spec.rpo is not None and spec.rpo.strip().split()[0] in ("0", "0.0")


def node_cores(rates: Rates) -> int:
    """Cores per node: 8, doubled while peak concurrency exceeds twice the cores (max 64)."""
    cores = BASE_CORES
    while rates.concurrency > cores * 2 and cores < MAX_CORES:
        cores *= 2
    return cores


def pool_size(cores: int, spindles: int = EFFECTIVE_SPINDLES) -> int:
    """PostgreSQL's rule of thumb for active connections: cores * 2 + effective spindles."""
    return cores * 2 + spindles


def plan_pooling(rates: Rates, schema: SchemaDesign) -> PoolingPlan:
    """PgBouncer sized by Little's law; no pool at all when no pattern states a load."""
    if rates.concurrency <= 0:
        return PoolingPlan(
            pooler="none",
            mode="none",
            reason="No access pattern states a rate, so there is no peak concurrency to size "
            "a pool from. Measure busy connections (pg_stat_activity) under real load; put "
            f"PgBouncer in transaction mode in front once they pass {BASE_CORES * 2} (twice "
            "the cores of the node).",
        )
    cores = node_cores(rates)
    size = pool_size(cores)
    clients = max(200, math.ceil(size * CLIENTS_PER_POOL_SLOT / 100) * 100)
    reason = (
        f"Peak concurrency {rates.concurrency:.1f} busy connections = sum(rate x service "
        f"time) over the access patterns (latency target, else {DEFAULT_SERVICE_MS:g} ms); "
        f"node of {cores} cores (from {BASE_CORES}, doubled while concurrency > 2 x cores); "
        f"pool_size = cores x 2 + {EFFECTIVE_SPINDLES} effective spindle (SSD) = {size} per "
        f"database and node; max_client_conn = {CLIENTS_PER_POOL_SLOT} clients per pool "
        f"slot, at least 200 = {clients}. Transaction mode: no session state (SET, advisory "
        f"locks, LISTEN) across transactions"
    )
    settings = session_settings(schema.ddl)
    if settings:
        reason += (
            f"; the schema reads {', '.join(settings)}: set them per transaction with SET LOCAL"
        )
    return PoolingPlan(pool_size=size, max_client_connections=clients, reason=reason + ".")


def session_settings(ddl: str) -> list[str]:
    """The custom settings the schema's policies and triggers read (`app.tenant_id`...)."""
    return sorted(set(_SETTING.findall(ddl)))


def plan_sharding(
    spec: Requirements, schema: SchemaDesign, sizes: list[TableSize], rates: Rates
) -> ShardingPlan:
    """Shard only past one node: data beyond a few TB or writes beyond one primary."""
    total = sum(s.bytes_36m or 0 for s in sizes)
    trigger = (
        f"data past {_tb(SINGLE_NODE_BYTES)} or writes past {WRITES_PER_PRIMARY:,.0f}/s on "
        f"the primary (today: {_tb(total)} at 36 months, {rates.writes:,.0f} writes/s at peak)"
    )
    too_big = total > SINGLE_NODE_BYTES
    too_busy = rates.writes > WRITES_PER_PRIMARY
    key, why_key = shard_key(spec, schema, sizes)
    if not (too_big or too_busy):
        return ShardingPlan(
            needed=False,
            key=key,
            trigger=trigger,
            reason="One primary with replicas carries the stated volume and write rate; "
            "partitioning and replicas come first. If growth passes the trigger, "
            f"distribute with Citus by {key or 'the key of the largest table'}.",
        )
    approach = "Citus: " + distribution(schema, sizes, key)
    cause = "data volume" if too_big else "write rate"
    reason = f"The {cause} exceeds one node ({trigger}). Key: {why_key}"
    return ShardingPlan(needed=True, key=key, approach=approach, trigger=trigger, reason=reason)


def shard_key(
    spec: Requirements, schema: SchemaDesign, sizes: list[TableSize]
) -> tuple[str | None, str]:
    """The tenant key in a multi-tenant design, else the series key of the largest table."""
    tenancy = schema.tenancy
    if tenancy is not None and tenancy.model != "none" and tenancy.tenant_column:
        return tenancy.tenant_column, (
            f"{tenancy.tenant_column}: every tenant's rows live on one shard, so tenant "
            "queries stay single-shard and RLS keeps working"
        )
    by_size = sorted(sizes, key=lambda s: -(s.bytes_36m or 0))
    for size in by_size:
        table = schema.table(size.table)
        refs = [c.name for c in table.columns if c.references] if table else []
        if refs:
            return refs[0], (
                f"{refs[0]}, the series key of {size.table} (the largest table): each "
                "series is read together and writes spread evenly"
            )
    return None, "no reference column to distribute by; hash the primary key"


def distribution(schema: SchemaDesign, sizes: list[TableSize], key: str | None) -> str:
    """Which tables are distributed by which column: only a table that has the key column
    (or is the table the key refers to, by its id) joins the co-located group; another
    large table is distributed by its own first reference; small ones become reference
    tables."""
    if key is None:
        return "hash-distribute the largest tables by their primary key"
    keyed: list[str] = []
    others: list[str] = []
    target = _referenced_table(schema, key)
    for size in sorted(sizes, key=lambda s: -(s.bytes_36m or 0)):
        table = schema.table(size.table)
        columns = [c.name for c in table.columns] if table else []
        refs = [c.name for c in table.columns if c.references] if table else []
        if key in columns:
            keyed.append(f"{size.table} ({key})")
        elif size.table == target:
            keyed.append(f"{size.table} (id)")
        elif refs and (size.bytes_36m or 0) >= LARGE_TABLE_BYTES:
            others.append(f"{size.table} by {refs[0]} (its own co-location group)")
    text = f"distribute {', '.join(keyed)} co-located by {key}"
    if others:
        text += "; " + "; ".join(others)
    return text + "; the remaining small tables become reference tables (copied to every node)"


def _referenced_table(schema: SchemaDesign, column: str) -> str | None:
    for table in schema.tables:
        for c in table.columns:
            if c.name == column and c.references:
                return c.references.split(".")[0]
    return None


def _tb(value: float) -> str:
    return f"{value / 1024**4:.2f} TB"

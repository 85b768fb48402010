"""The rules brain's scaling stage: sizes, partitions, replicas, pooling, caching, sharding, ops.

Deterministic and explained: every number in the plan comes from the spec, the schema, the
index plan or a constant documented in `widths` / `capacity`, and the
plan's notes say which. Nothing here needs a database.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.brains.rules.scaling.cache import plan_caching
from agent.brains.rules.scaling.capacity import (
    READS_PER_NODE,
    SINGLE_NODE_BYTES,
    WRITES_PER_PRIMARY,
    node_cores,
    plan_pooling,
    plan_replicas,
    plan_sharding,
    workload_rates,
)
from agent.brains.rules.scaling.ops import monitoring_checks, plan_backup, security_measures
from agent.brains.rules.scaling.regions import plan_regions
from agent.brains.rules.scaling.serve import (
    MS_PER_COST,
    OVERHEAD_MS,
    UTILIZATION,
    capacity,
    capacity_note,
    read_loads,
)
from agent.brains.rules.scaling.sizes import SizedTable, estimate_sizes
from agent.brains.rules.scaling.widths import WIDTHS_NOTE
from agent.brains.rules.timeseries import retention_for
from agent.markdown import human_bytes
from agent.naming import table_name
from agent.package import PatternPlan
from agent.spec import Requirements
from agent.stages import (
    IndexPlan,
    Partitioning,
    PartitionPlan,
    ScalingPlan,
    SchemaDesign,
    TechnologyDecision,
)

PREMAKE = 4  # partitions kept created ahead of time


def plan_scaling(
    spec: Requirements,
    tech: TechnologyDecision,
    schema: SchemaDesign,
    indexes: IndexPlan,
    plans: Sequence[PatternPlan] = (),
) -> ScalingPlan:
    """The scaling plan for a compiled design (sizes, capacity, operations), all explained.

    `plans` are the index gate's plans of the access patterns: their costs at the stated
    volume decide which reads the database serves and which need a cache.
    """
    sized = estimate_sizes(spec, schema, indexes)
    sizes = [s.size for s in sized]
    rates = workload_rates(spec)
    replicas = plan_replicas(spec, rates)
    pooling = plan_pooling(rates, schema)
    loads = read_loads(spec, plans)
    room = capacity(spec, loads, node_cores(rates), replicas)
    caching, reads = plan_caching(spec, tech, schema, sizes, loads, room)
    return ScalingPlan(
        sizes=sizes,
        partitioning=[partition_plan(spec, part, schema.ddl) for part in schema.partitioning],
        replicas=replicas,
        pooling=pooling,
        caching=caching,
        reads=reads,
        regions=plan_regions(spec, replicas.read_replicas),
        sharding=plan_sharding(spec, schema, sizes, rates),
        backup=plan_backup(spec, sized, replicas),
        security=security_measures(spec, schema),
        monitoring=monitoring_checks(spec, schema, pooling, replicas),
        notes=[*_notes(sized, schema), capacity_note(room)] if loads else _notes(sized, schema),
    )


def partition_plan(spec: Requirements, part: Partitioning, ddl: str = "") -> PartitionPlan:
    """The design's partitioning with how partitions are made ahead and dropped when expired."""
    own = (
        "the schema's own manage_partitions() function, run daily by pg_cron or any scheduler,"
        if "manage_partitions" in ddl
        else "a scheduled manage_partitions() function"
    )
    retention = part.retention or _entity_retention(spec, part.table)
    interval = part.interval or "1 month"
    ahead = (
        f"pg_partman create_parent(p_interval => '{interval}', p_premake => {PREMAKE}) with "
        f"run_maintenance() hourly from pg_cron"
    )
    if retention:
        mechanism = (
            f"{ahead}; retention '{retention}' with retention_keep_table = false drops whole "
            f"expired partitions. Without pg_partman, {own} creates partitions ahead and "
            f"DETACHes then DROPs those older than {retention}. Never DELETE old rows: "
            "dropping a partition is instant and leaves no bloat or vacuum debt."
        )
    else:
        mechanism = (
            f"{ahead}; no retention stated, so partitions are kept: detach old ones to "
            "cheaper storage (or archive and drop them) when the policy allows."
        )
    return PartitionPlan(
        table=part.table,
        column=part.column,
        interval=interval,
        retention=retention,
        mechanism=mechanism,
    )


def _entity_retention(spec: Requirements, table: str) -> str | None:
    entity = next((e for e in spec.entities if table_name(e.name) == table), None)
    return retention_for(spec, entity, assume_series=True)[0] if entity else None


def _notes(sized: list[SizedTable], schema: SchemaDesign) -> list[str]:
    notes = [WIDTHS_NOTE]
    for item in sized:
        how = "estimated from key widths"
        if item.measured:
            how = f"the schema's {how}, the advisor's {'; '.join(item.measured)}"
        notes.append(
            f"{item.size.table}: {item.volume.source}; {item.size.row_bytes} B/row; at 36 "
            f"months heap {human_bytes(item.heap_36m)} + {item.indexes} index(es) "
            f"{human_bytes(item.index_36m)} ({how})."
        )
    notes.append(
        f"Capacity assumptions per node (replace with a pgbench run on the target hardware): "
        f"{READS_PER_NODE:,.0f} indexed reads/s, {WRITES_PER_PRIMARY:,.0f} single-row "
        f"writes/s on the primary, {human_bytes(SINGLE_NODE_BYTES)} before sharding is worth its "
        f"cost; a statement takes {OVERHEAD_MS:g} ms of a core plus {MS_PER_COST:g} ms per "
        f"planner cost unit, and nodes stay below {UTILIZATION:.0%} busy at peak."
    )
    if schema.partitioning:
        notes.append(
            "Sizes of partitioned tables count all partitions; with a retention the table "
            "stops growing at retention + one interval of rows."
        )
    return notes

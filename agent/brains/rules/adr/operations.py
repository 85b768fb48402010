"""ADRs every design has about running it: scaling (replicas, pooling, sharding) and backup."""

from __future__ import annotations

from agent.brains.rules.adr.platform import PLACEHOLDER
from agent.spec import Requirements
from agent.stages import Adr, AdrOption, ScalingPlan, SchemaDesign


def scaling_adr(spec: Requirements, scaling: ScalingPlan, schema: SchemaDesign) -> Adr:
    total = sum(s.bytes_36m or 0 for s in scaling.sizes)
    sharded = scaling.sharding.needed
    title = (
        f"Distribute with Citus by {scaling.sharding.key}"
        if sharded
        else "Scale one primary with replicas and pooling; shard only past one node"
    )
    context = (
        f"About {total / 1024**3:,.1f} GB in 36 months (the scaling plan's sizes); "
        f"availability {spec.availability or 99.9:g}%. {scaling.sharding.trigger}".strip()
    )
    options = [
        AdrOption(
            name="one primary, read replicas, PgBouncer (and time partitions where they apply)",
            pros=["one database to operate", "joins and transactions stay local"],
            cons=["write capacity bounded by one primary"],
        ),
        AdrOption(
            name="Citus: shard PostgreSQL by a distribution key",
            pros=["writes and storage scale with nodes", "still PostgreSQL and SQL"],
            cons=["cross-shard joins and transactions cost more", "more nodes to operate"],
        ),
        AdrOption(
            name="a distributed SQL database (CockroachDB, YugabyteDB)",
            pros=["automatic sharding and multi-region writes"],
            cons=["PostgreSQL compatibility gaps", "higher latency per transaction"],
        ),
    ]
    pool = scaling.pooling
    pooling = (
        f"{pool.pooler} in {pool.mode} mode with pool_size {pool.pool_size}."
        if pool.pool_size
        else f"No connection pool yet: {pool.reason}"
    )
    decision = (
        f"{scaling.replicas.read_replicas} replica(s): {scaling.replicas.reason} {pooling} "
        f"Sharding: {scaling.sharding.approach or scaling.sharding.reason}"
    )
    consequences = [
        "Replicas lag: reads that must see their own writes go to the primary.",
        f"{pool.mode.capitalize()} pooling: no session state across transactions."
        if pool.pool_size
        else "Without a pooler every client holds a server connection: watch their count.",
        f"Revisit when {scaling.sharding.trigger}"
        if scaling.sharding.trigger
        else "Revisit when data or writes approach one node's limits.",
    ]
    if sharded:
        consequences.append("Every query on distributed tables filters on the distribution key.")
    return Adr(
        number=PLACEHOLDER,
        title=title,
        context=context,
        options=options,
        decision=decision,
        consequences=consequences,
        claims=[c for c in schema.claims if c.kind == "count"],
    )


def backup_adr(spec: Requirements, scaling: ScalingPlan) -> Adr | None:
    backup = scaling.backup
    if backup is None:
        return None
    options = [
        AdrOption(
            name="pgBackRest full/differential backups + continuous WAL archiving (PITR)",
            pros=["restore to any moment in the window", "parallel, compressed, encrypted"],
            cons=["a backup repository and its retention to operate"],
        ),
        AdrOption(
            name="nightly pg_dump",
            pros=["simple, portable logical copies"],
            cons=["loses up to a day of writes", "restore time grows with data"],
        ),
        AdrOption(
            name="storage snapshots only",
            pros=["fast to take"],
            cons=["no point-in-time recovery between snapshots", "tied to one provider"],
        ),
    ]
    return Adr(
        number=PLACEHOLDER,
        title=f"Back up with WAL archiving for RPO {backup.rpo} and RTO {backup.rto}",
        context=f"Recovery objectives: RPO {backup.rpo}, RTO {backup.rto}"
        f"{'' if spec.rpo and spec.rto else ' (defaults where the spec is silent)'}.",
        options=options,
        decision=f"{backup.method}; kept: {backup.retention}.",
        consequences=[
            backup.reason,
            "Restores are rehearsed monthly; an untested backup does not count toward the RTO.",
        ],
    )

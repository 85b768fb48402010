"""Report sections about running the design: caching, scaling, migrations, security, backup,
monitoring, the gates it passed, the ADR index and next steps."""

from __future__ import annotations

from agent.markdown import bullets, code, count, human_bytes, section, table
from agent.package import DesignPackage
from agent.report import claims as rc
from agent.report.design import NOT_RUN
from agent.spec import missing_information
from agent.stages import ScalingPlan


def caching(pkg: DesignPackage) -> list[str]:
    plan = pkg.scaling
    if plan is None:
        return section("Caching", [NOT_RUN.format(stage="scaling")])
    body = _reads(plan) if plan.reads else ["Not applicable: the spec states no read pattern.", ""]
    if plan.caching:
        rows = [
            (
                c.target,
                c.layer,
                f"{c.ttl_seconds} s" if c.ttl_seconds else None,
                c.invalidation,
                c.reason,
            )
            for c in plan.caching
        ]
        body += table(["Pattern", "Layer", "TTL", "Invalidation", "Why"], rows)
        for c in plan.caching:
            if c.ddl:
                body += ["", f"{c.layer.capitalize()} for {c.target}:", "", *code(c.ddl, "sql")]
            if c.caveat:
                body += ["", f"Caveat ({c.target}): {c.caveat}"]
    elif plan.reads:
        body.append(
            "No cache: the database serves every read pattern at its stated rate and latency "
            "(above), and PostgreSQL stays the only copy of the data."
        )
    return section("Caching", body)


def _reads(plan: ScalingPlan) -> list[str]:
    rows = [
        (
            r.pattern,
            count(r.per_second),
            f"{r.cost:,.0f} ({r.cost_source})",
            f"{r.ms_per_call:,.1f}",
            f"{r.latency_ms:g} ms" if r.latency_ms else None,
            r.served_by,
            r.reason,
        )
        for r in plan.reads
    ]
    header = ["Pattern", "Peak / s", "Cost", "ms / call", "Target", "Served by", "Why"]
    return [
        "Where each read is served (planner cost at the stated volume; time per call on the "
        "database):",
        "",
        *table(header, rows),
        "",
    ]


def _regions(plan: ScalingPlan) -> list[str]:
    regions = plan.regions
    if regions is None:
        return []
    facts = [f"Primary: {regions.primary}."]
    if regions.replicas:
        facts.append(f"Read replicas: {', '.join(regions.replicas)}.")
    if regions.local_reads:
        facts.append(f"Read in each region: {', '.join(regions.local_reads)}.")
    if regions.primary_reads and regions.replicas:
        facts.append(f"Read on the primary: {', '.join(regions.primary_reads)}.")
    if regions.write_path:
        facts.append(f"Writes: {regions.write_path}.")
    if regions.distributed_when:
        facts.append(f"When to distribute: {regions.distributed_when}")
    return ["", "### Regions", "", regions.reason, "", *bullets(facts)]


def scaling(pkg: DesignPackage) -> list[str]:
    plan = pkg.scaling
    if plan is None:
        return section("Scaling plan", [NOT_RUN.format(stage="scaling")])
    sizes = table(
        [
            "Table",
            "Rows now",
            "Rows 12 m",
            "Rows 36 m",
            "Row bytes",
            "Size now",
            "Size 12 m",
            "Size 36 m",
        ],
        [
            (
                s.table,
                count(s.rows_now),
                count(s.rows_12m),
                count(s.rows_36m),
                s.row_bytes,
                human_bytes(s.bytes_now),
                human_bytes(s.bytes_12m),
                human_bytes(s.bytes_36m),
            )
            for s in plan.sizes
        ],
    )
    body = ["### Sizes", "", *sizes, "", "### Partitioning and retention", ""]
    body += _partitions(pkg)
    pool = plan.pooling
    body += [
        "",
        "### Replicas",
        "",
        f"{plan.replicas.read_replicas} replica(s), "
        f"{'synchronous' if plan.replicas.synchronous else 'asynchronous'} replication. "
        f"{plan.replicas.reason}",
        *_regions(plan),
        "",
        "### Connection pooling",
        "",
        f"{pool.pooler}, {pool.mode} mode, pool_size {pool.pool_size}, max_client_conn "
        f"{pool.max_client_connections}. {pool.reason}"
        if pool.pool_size
        else f"No pool sized. {pool.reason}",
        "",
        "### Sharding",
        "",
        f"{'Needed' if plan.sharding.needed else 'Not needed yet'}"
        f"{f': {plan.sharding.approach}' if plan.sharding.approach else ''}. "
        f"{plan.sharding.reason} Trigger: {plan.sharding.trigger}.",
    ]
    if plan.notes:
        body += ["", "### Where the numbers come from", "", *bullets(plan.notes)]
    return section("Scaling plan", body)


def _partitions(pkg: DesignPackage) -> list[str]:
    """The schema's partitioning claims, each followed by how the plan runs it."""
    assert pkg.scaling is not None
    claimed = rc.of_kind(pkg.schema_design.claims if pkg.schema_design else [], "partitioned")
    if not claimed and not pkg.scaling.partitioning:
        return ["Not applicable: no table is time-partitioned in this design."]
    body = rc.facts(claimed)
    mechanisms = [f"**{p.table}**: {p.mechanism}" for p in pkg.scaling.partitioning if p.mechanism]
    if mechanisms:
        body += ["How partitions are made and dropped:", "", *rc.opinion(pkg.brain, mechanisms)]
        body += bullets(mechanisms)
    return body


def migrations(pkg: DesignPackage) -> list[str]:
    if not pkg.migrations:
        return section(
            "Migration plan",
            [
                "Not applicable: this package has no migration files (the schema is applied "
                "from `schema.sql` on an empty database)."
            ],
        )
    rows = []
    for mig in pkg.migrations:
        purpose = mig.up.splitlines()[0].split(":", 1)[-1].strip() if mig.up else ""
        transactional = "yes" if "BEGIN;" in mig.up else "no (CONCURRENTLY)"
        rows.append((f"`{mig.name}`", purpose, transactional))
    body = table(["Migration", "What it does", "In a transaction"], rows)
    body += [
        "",
        "Apply the `migrations/*.up.sql` files in order; roll back by applying the "
        "`*.down.sql` files newest first. Each file sets lock_timeout so a migration "
        "that cannot get its lock fails fast instead of stalling traffic.",
    ]
    return section("Migration plan", body)


SECURITY_CLAIMS = ("row_security", "policy", "tenant_references", "lookup_function", "audited")


def security(pkg: DesignPackage) -> list[str]:
    if pkg.scaling is None or not pkg.scaling.security:
        return section("Security and compliance", [NOT_RUN.format(stage="scaling")])
    claims = rc.of_kind(pkg.schema_design.claims if pkg.schema_design else [], *SECURITY_CLAIMS)
    body = rc.facts(claims)
    if claims:
        body += ["Measures:", ""]
    body += [*rc.opinion(pkg.brain, pkg.scaling.security), *bullets(pkg.scaling.security)]
    return section("Security and compliance", body)


def backup(pkg: DesignPackage) -> list[str]:
    plan = pkg.scaling.backup if pkg.scaling else None
    if plan is None:
        return section("Backup and recovery", [NOT_RUN.format(stage="scaling")])
    body = bullets(
        [
            f"**RPO:** {plan.rpo}",
            f"**RTO:** {plan.rto}",
            f"**Method:** {plan.method}",
            f"**Point-in-time recovery:** {'yes' if plan.point_in_time_recovery else 'no'}",
            f"**Retention:** {plan.retention}",
        ]
    )
    return section("Backup and recovery", [*body, "", plan.reason])


def monitoring(pkg: DesignPackage) -> list[str]:
    if pkg.scaling is None or not pkg.scaling.monitoring:
        return section("Monitoring", [NOT_RUN.format(stage="scaling")])
    return section("Monitoring", bullets(pkg.scaling.monitoring))


def checks(pkg: DesignPackage) -> list[str]:
    body: list[str] = []
    if pkg.checks:
        body += table(
            ["Gate", "Stage", "Attempt", "Result", "Findings"],
            [
                (
                    c.gate,
                    c.stage,
                    c.attempt,
                    "passed" if c.passed else "failed",
                    "; ".join(c.findings),
                )
                for c in pkg.checks
            ],
        )
    else:
        body.append("No gate ran for this package.")
    justified = pkg.schema_design.justified_findings if pkg.schema_design else []
    if justified:
        body += [
            "",
            "Findings kept on purpose:",
            "",
            *bullets(
                f"`{j.rule}` on {j.table or 'the schema'}{f'.{j.column}' if j.column else ''}: "
                f"{j.justification}"
                for j in justified
            ),
        ]
    if pkg.lint:
        body += [
            "",
            "Remaining lint findings:",
            "",
            *bullets(
                f"`{f.get('rule')}` ({f.get('severity')}) {f.get('table') or ''}: "
                f"{f.get('message')}"
                for f in pkg.lint
            ),
        ]
    if pkg.findings:
        body += ["", *bullets(pkg.findings)]
    return section("Checks", body)


def adrs(pkg: DesignPackage) -> list[str]:
    if not pkg.adrs:
        return section("Architecture decision records", [NOT_RUN.format(stage="ADR")])
    return section(
        "Architecture decision records",
        table(
            ["#", "Decision", "Status", "File"],
            [
                (a.number, a.title, a.status, f"[adr/{a.filename}](adr/{a.filename})")
                for a in pkg.adrs
            ],
        ),
    )


def next_steps(pkg: DesignPackage) -> list[str]:
    steps = []
    if pkg.spec is not None:
        steps += [
            f"Answer: {q.message} (assumed: {q.assumed})"
            for q in missing_information(pkg.spec)
            if q.kind == "question"
        ]
    steps += [
        "Apply the migrations to a staging database and load representative data.",
        "Replace the capacity assumptions with a pgbench run on the target hardware.",
        "Create the owner, application and read-only roles; give the application role only "
        "the privileges listed under Security.",
        "Set up pgBackRest with WAL archiving and rehearse a point-in-time restore.",
    ]
    if pkg.scaling is not None and pkg.scaling.partitioning:
        steps.append(
            "Install pg_partman and pg_cron (or schedule the partition function) "
            "before the premade partitions run out."
        )
    steps.append(
        "Enable pg_stat_statements and wire the monitoring alerts; after a month, "
        "compare real query times with the plan and drop unused indexes."
    )
    return section("Next steps", [f"{n}. {s}" for n, s in enumerate(steps, start=1)])

"""ADRs a design has when its data asks for them: tenancy, audit, time partitions, jsonb."""

from __future__ import annotations

from agent.brains.rules.adr_platform import PLACEHOLDER
from agent.spec_model import Requirements
from agent.stages import Adr, AdrOption, IndexPlan, ScalingPlan, SchemaDesign

_TENANCY_OPTIONS = {
    "shared-schema": AdrOption(
        name="shared schema, a tenant key on every table, row-level security",
        pros=[
            "one schema to migrate",
            "scales to many small tenants",
            "PostgreSQL enforces isolation even when a query forgets the filter",
        ],
        cons=[
            "a noisy tenant shares resources with the others",
            "every tenant-scoped query must run with the tenant setting",
        ],
    ),
    "schema-per-tenant": AdrOption(
        name="a schema per tenant",
        pros=["per-tenant backup and move", "no tenant key needed"],
        cons=["migrations run once per tenant", "catalog bloat past a few thousand tenants"],
    ),
    "database-per-tenant": AdrOption(
        name="a database per tenant",
        pros=["strongest isolation, per-tenant sizing"],
        cons=["a connection pool per tenant", "operations multiply with tenants"],
    ),
}


def tenancy_adr(spec: Requirements, schema: SchemaDesign) -> Adr | None:
    tenancy = schema.tenancy
    if tenancy is None or tenancy.model == "none":
        return None
    chosen = _TENANCY_OPTIONS[tenancy.model]
    others = [o for m, o in _TENANCY_OPTIONS.items() if m != tenancy.model]
    rls = tenancy.rls_tables or schema.rls_tables
    decision = f"{chosen.name.capitalize()}."
    if tenancy.tenant_column:
        decision += f" Tenant key `{tenancy.tenant_column}`"
        decision += f" (tenant table {tenancy.tenant_table})." if tenancy.tenant_table else "."
    if rls:
        decision += f" RLS policies on {len(rls)} table(s) read `{tenancy.setting}`."
    consequences = [
        "The application sets the tenant per transaction (SET LOCAL), which works with "
        "PgBouncer transaction pooling.",
        "The application role must not own the tables or have BYPASSRLS; FORCE ROW LEVEL "
        "SECURITY covers the owner too.",
        "Indexes lead with the tenant key where queries filter by tenant; it is also the "
        "natural Citus distribution key.",
        *tenancy.notes,
    ]
    return Adr(
        number=PLACEHOLDER,
        title=f"Isolate tenants with {tenancy.model} tenancy",
        context=f"{spec.description or spec.name}: tenancy `{tenancy.model}` requested; one "
        "tenant must never see another's rows.",
        options=[chosen, *others],
        decision=decision,
        consequences=consequences,
    )


def audit_adr(spec: Requirements, schema: SchemaDesign, scaling: ScalingPlan) -> Adr | None:
    if not spec.compliance:
        return None
    regimes = ", ".join(c.upper() for c in spec.compliance)
    audit = schema.audit
    growth = next((s for s in scaling.sizes if audit and s.table == audit.table), None)
    options = [
        AdrOption(
            name="audit table written by triggers, plus pgaudit for DDL and roles",
            pros=["every change recorded in the same transaction", "queryable with SQL"],
            cons=["one extra row written per change", "the audit table grows without bound"],
        ),
        AdrOption(
            name="pgaudit statement logging only",
            pros=["no schema change"],
            cons=["logs statements, not the row values before and after"],
        ),
        AdrOption(
            name="application-level audit events",
            pros=["business context in each event"],
            cons=["bypassed by any direct database access"],
        ),
    ]
    decision = (
        f"{audit.table} records changes of {', '.join(audit.audited_tables)} by trigger: "
        f"{audit.reason.rstrip('.')}."
        if audit
        else "Audit through pgaudit; no audit table in this design."
    )
    rls = schema.rls_tables
    if rls:
        decision += f" Row-level security on {', '.join(rls)}."
    consequences = [
        "The audit table is append-only for the application role (INSERT through the "
        "trigger; no UPDATE or DELETE).",
        "Personal data is encrypted or pseudonymised per column where the regime demands it.",
    ]
    audit_table = schema.table(audit.table) if audit else None
    if growth is not None:
        advice = (
            "old partitions are archived per the retention policy"
            if audit_table is not None and audit_table.partitioned_by
            else "partition it by month and archive old partitions per the retention policy"
        )
        consequences.append(
            f"{growth.table} grows to {growth.rows_12m:,} rows in 12 months: {advice}."
        )
    return Adr(
        number=PLACEHOLDER,
        title=f"Audit trail and access control for {regimes}",
        context=f"The system falls under {regimes}: who changed what, and who may read "
        "personal data, must be provable.",
        options=options,
        decision=decision,
        consequences=consequences,
    )


def partitioning_adr(spec: Requirements, schema: SchemaDesign, scaling: ScalingPlan) -> Adr | None:
    if not schema.partitioning:
        return None
    plans = {p.table: p for p in scaling.partitioning}
    parts = []
    for part in schema.partitioning:
        plan = plans.get(part.table)
        retention = (plan.retention if plan else part.retention) or "no retention"
        parts.append(
            f"{part.table} by {part.strategy} on {part.column} every "
            f"{part.interval or '1 month'}, retention {retention}"
        )
    mechanism = next((p.mechanism for p in scaling.partitioning if p.mechanism), "")
    options = [
        AdrOption(
            name="declarative RANGE partitions by time; retention drops whole partitions",
            pros=[
                "expiry is a metadata operation: no DELETE, no bloat",
                "queries with a time range touch only recent partitions",
            ],
            cons=[
                "primary and unique keys must include the partition key",
                "partitions must be created ahead by a scheduled job",
            ],
        ),
        AdrOption(
            name="one table, old rows removed by batched DELETE",
            pros=["no partition management"],
            cons=[
                "DELETE of millions of rows bloats the table and its indexes",
                "vacuum falls behind under high ingest",
            ],
        ),
        AdrOption(
            name="TimescaleDB hypertables",
            pros=["automatic chunks, compression, retention policies"],
            cons=["an extension not every managed PostgreSQL offers"],
        ),
    ]
    return Adr(
        number=PLACEHOLDER,
        title="Partition time series by time and expire them by dropping partitions",
        context="; ".join(p.reason or p.table for p in schema.partitioning)
        + ". Rows arrive in time order and are read by recent time ranges.",
        options=options,
        decision="; ".join(parts) + (f". {mechanism}" if mechanism else "."),
        consequences=[
            "Queries should filter on the partition column so the planner prunes partitions.",
            "Monitoring alerts when future partitions are missing or the default partition "
            "receives rows.",
            "Foreign keys into a partitioned table must include its partition key.",
        ],
    )


def flexible_adr(spec: Requirements, schema: SchemaDesign, indexes: IndexPlan) -> Adr | None:
    varying = [e for e in spec.entities if e.varying_attributes]
    if not varying:
        return None
    tables = ", ".join(t.name for t in schema.tables if t.entity in {e.name for e in varying})
    gin = [i for i in indexes.indexes if i.kind == "gin"]
    decision = f"A jsonb column `attributes` on {tables or 'the varying entities'}"
    decision += (
        f", indexed by GIN ({'; '.join(i.ddl for i in gin[:3])})"
        if gin
        else ", with a GIN index once containment queries appear"
    )
    return Adr(
        number=PLACEHOLDER,
        title="Store per-category attributes in jsonb with GIN, not EAV",
        context=f"{', '.join(e.name for e in varying)} carry attributes that differ by "
        "category; queries filter on them by containment.",
        options=[
            AdrOption(
                name="jsonb column with a GIN index",
                pros=[
                    "one row per item",
                    "containment (@>) queries use the index",
                    "schema changes per category need no DDL",
                ],
                cons=["types of attributes not enforced by the column type"],
            ),
            AdrOption(
                name="entity-attribute-value rows",
                pros=["any attribute without DDL"],
                cons=["a join per attribute", "no types, no constraints", "huge row counts"],
            ),
            AdrOption(
                name="a column per attribute (sparse wide table)",
                pros=["typed and constrained"],
                cons=["DDL for every new attribute", "mostly NULL columns"],
            ),
        ],
        decision=decision + ".",
        consequences=[
            "Validate attributes per category in the application or with CHECK constraints "
            "on jsonb_typeof / key presence.",
            "Attributes that every query filters or sorts by are promoted to real columns.",
            "GIN indexes make writes of `attributes` slower; jsonb_path_ops keeps them small.",
        ],
    )

"""ADRs a design has when its data asks for them: tenancy, audit, periods rows may not share,
time partitions, jsonb."""

from __future__ import annotations

from agent.brains.rules.adr.platform import PLACEHOLDER, claims_of
from agent.claims.model import Claim, IndexFact, NoOverlap, Policy
from agent.naming import SOFT_DELETE_COLUMN
from agent.spec.model import Requirements
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
    decision = f"{chosen.name.capitalize()}."
    if tenancy.tenant_column:
        decision = f"{chosen.name.capitalize()}, with `{tenancy.tenant_column}` as the tenant key."
    consequences = [
        "The application sets the tenant per transaction (SET LOCAL), which works with "
        "PgBouncer transaction pooling.",
        "Indexes for queries that filter by tenant lead with the tenant key; it is also the "
        "natural Citus distribution key.",
        "A foreign key added later to a forced table is validated as its owner with the "
        "policies applied: add it NOT VALID and validate it as a role with BYPASSRLS.",
        *tenancy.notes,
    ]
    return Adr(
        number=PLACEHOLDER,
        title=f"Isolate tenants with {tenancy.model} tenancy",
        context=f"{spec.description or spec.name}: tenancy `{tenancy.model}` requested; one "
        "tenant must never see, or point at, another's rows.",
        options=[chosen, *others],
        decision=decision,
        consequences=consequences,
        claims=claims_of(schema, "row_security", "policy", "tenant_references", "lookup_function"),
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
        f"An audit table written by triggers: {audit.reason.rstrip('.')}."
        if audit
        else "Audit through pgaudit; no audit table in this design."
    )
    consequences = [
        "Grant the application role no privilege on the audit table: the trigger function "
        "writes it as its owner, so the trail stays append-only for the application.",
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
        claims=_audit_claims(schema),
    )


def _audit_claims(schema: SchemaDesign) -> list[Claim]:
    """The audit trigger claims, and access control beyond the tenancy record's (PHI)."""
    tenancy = schema.tenancy
    if tenancy is None or tenancy.model != "shared-schema":
        return claims_of(schema, "audited", "row_security", "policy")
    other = [
        c
        for c in claims_of(schema, "policy")
        if isinstance(c, Policy) and c.setting != tenancy.setting
    ]
    return [*claims_of(schema, "audited"), *other]


def overlap_adr(spec: Requirements, schema: SchemaDesign) -> Adr | None:
    """Recorded when a spec's `no_overlap` rules made exclusion constraints."""
    rules = [
        f"{e.name}: no two rows" + (f" with the same {', '.join(r.per)}" if r.per else "")
        + f" may overlap in {r.range[0]}..{r.range[1]}"
        + (f", among rows whose {r.where.phrase()}" if r.where else "")
        for e in spec.entities
        for r in e.no_overlap
    ]  # fmt: skip
    claims = claims_of(schema, "no_overlap")
    if not rules or not claims:
        return None
    soft = any(
        isinstance(c, NoOverlap) and c.predicate and f"{SOFT_DELETE_COLUMN} IS NULL" in c.predicate
        for c in claims
    )
    left_out = [
        f"{e.name}: {r.where.phrase(left_out=True)}"
        for e in spec.entities
        for r in e.no_overlap
        if r.where
    ]
    consequences = [
        "The losing INSERT or UPDATE fails with SQLSTATE 23P01 (exclusion_violation), which "
        "the application reports as a conflict (the period is taken).",
        "A period whose end is not after its start is refused by a CHECK: an empty period "
        "would overlap nothing and slip past the constraint.",
        "A schedule query can use the constraint's GiST index by repeating its range "
        "expression with && against the period of interest.",
        "Added later to a table that already holds rows, the constraint cannot be NOT VALID: "
        "every row is checked while the table is locked, so it belongs in the first migration.",
    ]
    if soft:
        consequences.append(
            "On soft-deleted tables the constraint covers live rows only: a cancelled "
            "(deleted) row gives its period back."
        )
    if left_out:
        consequences.append(
            f"Rows a rule's where leaves out ({'; '.join(left_out)}) hold no period: "
            "cancelling one gives its period back, and turning it back into a competing row "
            "is refused (23P01) if the period was taken meanwhile."
        )
    return Adr(
        number=PLACEHOLDER,
        title="Refuse overlapping periods with exclusion constraints",
        context="; ".join(rules) + ". Requests for the same period can arrive at once, from "
        "any client; each would find the period free if it checked first.",
        options=[
            AdrOption(
                name="exclusion constraint: EXCLUDE USING gist (key WITH =, range WITH &&)",
                pros=[
                    "the database refuses the overlapping row, under any concurrency and "
                    "from any client",
                    "the default half-open period [start, end) lets one period end where the "
                    "next begins",
                ],
                cons=[
                    "needs the btree_gist extension for the = columns (contrib, trusted)",
                    "GiST inserts cost more than btree inserts",
                ],
            ),
            AdrOption(
                name="check for an overlap in the application, then insert",
                pros=["no extension, plain btree indexes"],
                cons=[
                    "two concurrent requests both see the period free unless every writer "
                    "runs SERIALIZABLE or locks the resource first",
                    "every client and script must repeat the check",
                ],
            ),
            AdrOption(
                name="one row per resource and fixed time slot, with a unique key",
                pros=["a plain unique btree key refuses the double booking"],
                cons=[
                    "periods must align to the slot size",
                    "one row per slot: long periods become many rows",
                ],
            ),
        ],
        decision="An exclusion constraint for each rule, with a CHECK that each period "
        "ends after it starts"
        + (", over live rows only where rows are soft-deleted" if soft else "")
        + (", over the rows a rule's where lets compete" if left_out else "")
        + ".",
        consequences=consequences,
        claims=claims,
    )


def partitioning_adr(spec: Requirements, schema: SchemaDesign, scaling: ScalingPlan) -> Adr | None:
    if not schema.partitioning:
        return None
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
        decision="Declarative RANGE partitions on the time column, expired by dropping "
        "whole partitions" + (f". {mechanism}" if mechanism else "."),
        claims=claims_of(schema, "partitioned"),
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
    gin = [c for c in indexes.claims if isinstance(c, IndexFact) and c.method == "gin"]
    decision = "A jsonb column `attributes` on the varying entities"
    decision += (
        ", indexed by GIN for containment queries"
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
        claims=[*claims_of(schema, "columns", label="columns for varying attributes"), *gin],
        consequences=[
            "Validate attributes per category in the application or with CHECK constraints "
            "on jsonb_typeof / key presence.",
            "Attributes that every query filters or sorts by are promoted to real columns.",
            "GIN indexes make writes of `attributes` slower; jsonb_path_ops keeps them small.",
        ],
    )

"""The rules brain's schema stage: compile a spec into PostgreSQL DDL, deterministically.

Passes, in order: contract tables typed (`tables`), varying attributes as jsonb,
tenancy and PHI row-level security (`tenancy`), soft delete (`audit`), periods
rows may not share (`overlap`), lookups before a tenant, audit, append-only guards
(`append_only`), time partitioning (`partition`), foreign-key indexes
(`keys`), then rendering (`render`). Names follow the spec's contract exactly;
what the compiler adds (tenant keys, `deleted_at`, `audit_log`, the btree_gist extension) is
listed in the result.
"""

from __future__ import annotations

from datetime import date

from agent.brains.rules.schema.append_only import apply_append_only
from agent.brains.rules.schema.audit import apply_audit, apply_soft_delete
from agent.brains.rules.schema.claims import schema_claims
from agent.brains.rules.schema.keys import add_foreign_key_indexes
from agent.brains.rules.schema.lookup import apply_lookups
from agent.brains.rules.schema.overlap import apply_no_overlap
from agent.brains.rules.schema.partition import apply_partitioning
from agent.brains.rules.schema.plan import CheckDef, ColumnDef, SchemaPlan, TableDef
from agent.brains.rules.schema.render import render
from agent.brains.rules.schema.tables import TableBuilder
from agent.brains.rules.schema.tenancy import apply_phi_policies, apply_tenancy
from agent.ddl import column_references
from agent.naming import VARYING_COLUMN, object_name, table_name
from agent.pg_target import uuid_default
from agent.spec import Requirements, resolve_contract
from agent.stages import (
    ColumnSummary,
    SchemaDesign,
    TableSummary,
    TechnologyDecision,
)
from tools.errors import SpecError


def compile_schema(
    spec: Requirements, tech: TechnologyDecision | None = None, today: date | None = None
) -> SchemaDesign:
    """The whole schema stage. `today` fixes the partitions created ahead (default: today)."""
    contract = resolve_contract(spec)
    if contract.problems:
        raise SpecError(
            "the spec's tables conflict: " + "; ".join(p.message for p in contract.problems)
        )
    builder = TableBuilder(spec, contract)
    plan = SchemaPlan()
    for name, table in contract.tables.items():
        plan.tables[name] = builder.build(table)
    plan.enums.update(builder.enums)
    plan.assumptions += builder.assumptions
    if any(t.touch_updated_at for t in plan.tables.values()):
        plan.functions.append("set_updated_at")
    _varying_attributes(spec, plan)
    tenancy = apply_tenancy(spec, plan)
    apply_phi_policies(spec, plan)
    soft_deleted = apply_soft_delete(spec, plan)
    apply_no_overlap(spec, plan, tenancy)
    apply_lookups(spec, plan, tenancy)
    audit = apply_audit(spec, plan)
    apply_append_only(spec, plan)
    partitioning = apply_partitioning(spec, plan, today or date.today())
    add_foreign_key_indexes(plan)
    statements = render(plan)
    notes = list(plan.notes)
    if tech is not None and tech.primary.engine != "postgresql":
        notes.insert(
            0,
            f"the primary store is {tech.primary.product}; this PostgreSQL schema is the "
            "reference model of the data and its constraints",
        )
    return SchemaDesign(
        ddl="\n\n".join(s.sql for s in statements) + "\n",
        statements=statements,
        tables=[_summary(t) for t in plan.tables.values()],
        enum_types={e.name: list(e.values) for e in plan.enums.values()},
        join_tables=[t.name for t in plan.tables.values() if t.kind == "join"],
        tenancy=tenancy,
        rls_tables=[t.name for t in plan.tables.values() if t.rls],
        soft_delete_tables=soft_deleted,
        audit=audit,
        partitioning=partitioning,
        notes=notes + _key_notes(spec),
        assumptions=list(dict.fromkeys(plan.assumptions)),
        claims=schema_claims(plan, tenancy, audit, partitioning),
    )


def _varying_attributes(spec: Requirements, plan: SchemaPlan) -> None:
    """Per-category attributes live in one jsonb object column, never in EAV rows."""
    for entity in spec.entities:
        table = plan.tables.get(table_name(entity.name))
        if not entity.varying_attributes or table is None:
            continue
        by = entity.varying_attributes if isinstance(entity.varying_attributes, str) else None
        existing = table.column(VARYING_COLUMN)
        if existing is None:
            position = table.column_names.index("created_at")
            column = ColumnDef(VARYING_COLUMN, "jsonb", True, "'{}'::jsonb")
            table.columns.insert(position, column)
        elif existing.sql_type != "jsonb":
            raise SpecError(
                f"'{entity.name}' has varying attributes but its '{VARYING_COLUMN}' "
                f"attribute is {existing.sql_type}, not json"
            )
        _object_check(table)
        vary = f" per {by}" if by else ""
        table.column_comments.setdefault(
            VARYING_COLUMN,
            f"attributes that vary{vary}: one jsonb object (GIN-indexable), not EAV rows",
        )
        plan.notes.append(
            f"attributes that vary{vary} ({table.name}.{VARYING_COLUMN}): filter them with @> "
            "containment, which a GIN index serves"
        )


def _object_check(table: TableDef) -> None:
    name = object_name(table.name, VARYING_COLUMN, suffix="is_object")
    if all(c.name != name for c in table.checks):
        expression = f"jsonb_typeof({VARYING_COLUMN}) = 'object'"
        table.checks.append(CheckDef(name, expression))


def _key_notes(spec: Requirements) -> list[str]:
    if spec.keys == "uuid":
        return [f"uuid keys ({uuid_default(spec)}): ids can be minted by clients"]
    return [
        "bigint identity keys: compact, ordered inserts into the index; expose public ids "
        "separately if they must not be guessable"
    ]


def _summary(table: TableDef) -> TableSummary:
    references = column_references(
        (fk.columns, fk.ref_table, fk.ref_columns) for fk in table.foreign_keys
    )
    partition = table.partition
    return TableSummary(
        name=table.name,
        kind=table.kind,
        entity=table.entity,
        columns=[
            ColumnSummary(
                name=c.name,
                type=c.sql_type,
                nullable=not c.not_null,
                default="identity" if c.identity else c.default,
                references=references.get(c.name),
            )
            for c in table.columns
        ],
        primary_key=list(table.primary_key),
        partitioned_by=f"RANGE ({partition.column})" if partition else None,
        rls=table.rls,
        soft_delete=table.soft_delete,
        audited=table.audited,
        estimated_rows=table.estimated_rows,
    )

"""The schema stage's claims: every fact the report and the ADRs state about the schema,
taken from the compiler's own plan (what it decided), for the claims gate to check."""

from __future__ import annotations

from collections.abc import Iterable

from agent.brains.rules.schema.lookup import SEARCH_PATH
from agent.brains.rules.schema.plan import SchemaPlan, TableDef
from agent.claims.model import (
    Audited,
    Claim,
    ColumnsFact,
    Count,
    EnumTypes,
    ForeignKeyRef,
    LiveUnique,
    LookupFunction,
    NoOverlap,
    Partitioned,
    Policy,
    RowSecurity,
    SoftDelete,
    TableShape,
    TenantReferences,
)
from agent.naming import SOFT_DELETE_COLUMN
from agent.stages import AuditPlan, Partitioning, TenancyPlan


def schema_claims(
    plan: SchemaPlan,
    tenancy: TenancyPlan,
    audit: AuditPlan | None,
    partitioning: list[Partitioning],
) -> list[Claim]:
    claims: list[Claim] = [Count(object="tables", value=len(plan.tables))]
    claims += [
        TableShape(table=t.name, columns=len(t.columns), primary_key=list(t.primary_key))
        for t in plan.tables.values()
    ]
    claims += _key_claims(plan)
    claims += row_security_claims(plan, tenancy)
    claims += _tenant_references(plan, tenancy)
    claims += [
        LookupFunction(
            function=lookup.name,
            arguments=lookup.arguments,
            table=lookup.table,
            pattern=lookup.pattern,
            search_path=SEARCH_PATH,
        )
        for lookup in plan.lookups
    ]
    if audit is not None:
        claims.append(Audited(tables=audit.audited_tables, log_table=audit.table))
    claims += [_partitioned(plan, part) for part in partitioning]
    claims += _soft_delete(plan)
    claims += _no_overlap(plan)
    if plan.enums:
        claims.append(EnumTypes(types={e.name: list(e.values) for e in plan.enums.values()}))
    return claims


def _key_claims(plan: SchemaPlan) -> list[Claim]:
    claims: list[Claim] = []
    keyed = [t for t in plan.entity_tables() if t.primary_key == ["id"] and t.column("id")]
    groups: dict[tuple[str, bool], list[str]] = {}
    for table in keyed:
        column = table.column("id")
        assert column is not None
        groups.setdefault((column.sql_type, column.identity), []).append(f"{table.name}.id")
    for (sql_type, identity), columns in groups.items():
        claims.append(
            ColumnsFact(
                label="entity primary keys",
                columns=columns,
                type=sql_type,
                identity="by default" if identity else None,
                not_null=True,
            )
        )
    jsonb = [f"{t.name}.attributes" for t in plan.entity_tables() if _varying(t)]
    if jsonb:
        claims.append(ColumnsFact(label="columns for varying attributes", columns=jsonb,
                                  type="jsonb"))  # fmt: skip
    return claims


def _varying(table: TableDef) -> bool:
    column = table.column("attributes")
    return column is not None and column.sql_type == "jsonb"


def row_security_claims(plan: SchemaPlan, tenancy: TenancyPlan) -> list[Claim]:
    secured = [t for t in plan.tables.values() if t.rls]
    claims: list[Claim] = []
    forced = [t.name for t in secured if t.force_rls]
    if forced:
        claims.append(RowSecurity(tables=forced, forced=True))
    claims += [
        RowSecurity(tables=[t.name], forced=False, reason=t.unforced_reason or "not stated")
        for t in secured
        if not t.force_rls
    ]
    for restrictive in (False, True):
        by_setting: dict[str, list[str]] = {}
        for table in secured:
            for policy in table.policies:
                if policy.restrictive == restrictive:
                    setting = _setting(policy.using)
                    if setting:
                        by_setting.setdefault(setting, []).append(table.name)
        claims += [
            Policy(tables=list(dict.fromkeys(tables)), setting=setting, restrictive=restrictive)
            for setting, tables in by_setting.items()
        ]
    return claims


def _setting(expression: str) -> str | None:
    marker = "current_setting('"
    if marker not in expression:
        return None
    return expression.split(marker, 1)[1].split("'", 1)[0]


def _tenant_references(plan: SchemaPlan, tenancy: TenancyPlan) -> list[Claim]:
    column, tenant = tenancy.tenant_column, tenancy.tenant_table
    if tenancy.model != "shared-schema" or column is None or tenant is None:
        return []
    references = [
        ForeignKeyRef(
            table=name, columns=fk.columns, ref_table=fk.ref_table, ref_columns=fk.ref_columns
        )
        for name in tenancy.rls_tables
        for fk in plan.tables[name].foreign_keys
        if column in fk.columns and len(fk.columns) > 1
    ]
    return [
        TenantReferences(
            tenant_table=tenant,
            tenant_column=column,
            tables=list(tenancy.rls_tables),
            references=references,
        )
    ]


def _partitioned(plan: SchemaPlan, part: Partitioning) -> Partitioned:
    return Partitioned(
        table=part.table,
        strategy=part.strategy,
        column=part.column,
        interval=part.interval,
        partitions=len(part.partitions),
        retention=part.retention,
        retention_function="manage_partitions" if "manage_partitions" in plan.functions else None,
    )


def _soft_delete(plan: SchemaPlan) -> Iterable[Claim]:
    tables = [t for t in plan.tables.values() if t.soft_delete]
    if not tables:
        return []
    live = [
        LiveUnique(table=t.name, columns=list(i.columns))
        for t in tables
        for i in t.indexes
        if i.unique and i.where == f"{SOFT_DELETE_COLUMN} IS NULL"
    ]
    names = [t.name for t in tables]
    return [SoftDelete(tables=names, column=SOFT_DELETE_COLUMN, live_unique=live)]


def _no_overlap(plan: SchemaPlan) -> list[Claim]:
    return [
        NoOverlap(
            table=t.name,
            name=e.name,
            equal=list(e.equal),
            period=e.period,
            method=e.method,
            predicate=e.where,
            ordered_by=e.ordered_by,
            start=e.start,
            end=e.end,
            bounds=e.bounds,
        )
        for t in plan.tables.values()
        for e in t.exclusions
    ]

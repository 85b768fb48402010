"""Multi-tenancy and PHI access control: tenant keys, and row-level security policies.

Shared-schema tenancy puts the tenant key on every tenant-owned table and lets PostgreSQL,
not the application, filter rows: each table gets a policy comparing the key with the
session setting `app.tenant_id` (set per transaction by the pool, e.g. `SET LOCAL`).
Under HIPAA, tables holding PHI additionally require a declared purpose of use.
"""

from __future__ import annotations

from agent.brains.rules.schema.plan import ColumnDef, ForeignKeyDef, PolicyDef, SchemaPlan, TableDef
from agent.brains.rules.schema.tenant_keys import carry_tenant_key
from agent.naming import fk_column, object_name, table_name
from agent.spec import Requirements, tenant_entity
from agent.stages import TenancyPlan

TENANT_SETTING = "app.tenant_id"
PURPOSE_SETTING = "app.purpose_of_use"
HIPAA_PURPOSES = ("treatment", "payment", "operations")
PATIENTS = ("patient", "member", "beneficiary", "enrollee", "resident", "client", "person")
PEOPLE = ("patient", "person", "member", "client", "beneficiary", "customer", "user", "employee")


def apply_tenancy(spec: Requirements, plan: SchemaPlan) -> TenancyPlan:
    model = spec.tenancy or "none"
    if model in ("schema-per-tenant", "database-per-tenant"):
        return TenancyPlan(model=model, notes=[_ISOLATED_NOTES[model]])
    tenant, how = tenant_entity(spec) if model == "shared-schema" else (None, "")
    if tenant is not None and how != "declared":
        plan.assumptions.append(f"tenant entity taken to be '{tenant}' ({how})")
    if tenant is None:
        if model == "shared-schema":
            plan.assumptions.append("shared-schema tenancy without a tenant entity: no keys added")
        return TenancyPlan(model=model)
    tenant_table, column = table_name(tenant), fk_column(tenant)
    key_type = plan.tables[tenant_table].column("id")
    cast = key_type.sql_type if key_type else "bigint"
    current = f"NULLIF(current_setting('{TENANT_SETTING}', true), '')::{cast}"
    global_tables = _tenant_ancestors(plan, tenant_table)
    scoped = []
    for table in plan.tables.values():
        entity = spec.entity(table.entity or "")
        if table.name in global_tables or (entity is not None and entity.tenant_scoped is False):
            continue
        if table.kind not in ("entity", "join"):
            continue
        key = "id" if table.name == tenant_table else column
        if table.name != tenant_table and table.column(column) is None:
            _add_tenant_key(table, column, cast, tenant_table)
        table.policies.append(
            PolicyDef("tenant_isolation", f"{key} = {current}", reason="rows of the session tenant")
        )
        table.force_rls = True
        scoped.append(table.name)
    carry_tenant_key(plan, scoped, tenant_table, column)
    return TenancyPlan(
        model="shared-schema",
        tenant_table=tenant_table,
        tenant_column=column,
        setting=TENANT_SETTING,
        rls_tables=scoped,
        notes=[
            f"set {TENANT_SETTING} per transaction (SET LOCAL) from the authenticated session; "
            "the application role must not own the tables or have BYPASSRLS",
            f"{column} leads each composite foreign key; its index puts the reference first "
            f"(<parent>_id, {column}), so it serves lookups by the reference, then the "
            "policy's tenant filter",
            "the owner is filtered by the policies too: backfills and maintenance run per "
            f"tenant (SET LOCAL {TENANT_SETTING}) or as a role with BYPASSRLS",
        ],
    )


def _add_tenant_key(table: TableDef, column: str, key_type: str, tenant_table: str) -> None:
    position = len(table.primary_key) if table.kind == "join" else 1
    table.columns.insert(position, ColumnDef(column, key_type, True))
    table.foreign_keys.append(
        ForeignKeyDef(
            [column],
            tenant_table,
            ["id"],
            "CASCADE",
            name=object_name(table.name, column, suffix="fkey"),
        )
    )


def _tenant_ancestors(plan: SchemaPlan, tenant_table: str) -> set[str]:
    """Tables the tenant references (plans, regions): global, not owned by one tenant."""
    found: set[str] = set()
    stack = [tenant_table]
    while stack:
        table = plan.tables.get(stack.pop())
        for fk in table.foreign_keys if table else []:
            if fk.ref_table not in found and fk.ref_table != tenant_table:
                found.add(fk.ref_table)
                stack.append(fk.ref_table)
    return found


def phi_tables(spec: Requirements, plan: SchemaPlan) -> list[str]:
    """Tables holding PHI: marked ones and patient-like ones (or, when there are none,
    people-like ones) and every table that references them, directly or through others: a
    visit, its notes and its invoice are PHI because they are about an identifiable patient."""
    marked = [
        e.name
        for e in spec.entities
        if e.phi or e.pii or any(a.pii for a in e.attributes.values())
        or e.name.split("_")[-1] in PATIENTS
    ]  # fmt: skip
    if not marked:
        marked = [e.name for e in spec.entities if e.name in PEOPLE]
    found = {table_name(name) for name in marked if table_name(name) in plan.tables}
    grew = True
    while grew:
        referencing = {
            t.name
            for t in plan.tables.values()
            if t.kind in ("entity", "join") and any(fk.ref_table in found for fk in t.foreign_keys)
        }
        grew = not referencing <= found
        found |= referencing
    return [name for name in plan.tables if name in found]


def apply_phi_policies(spec: Requirements, plan: SchemaPlan) -> list[str]:
    if "hipaa" not in spec.compliance:
        return []
    purposes = ", ".join(f"'{p}'" for p in HIPAA_PURPOSES)
    tables = phi_tables(spec, plan)
    for name in tables:
        table = plan.tables[name]
        table.force_rls = True
        table.policies.append(
            PolicyDef(
                "phi_purpose_of_use",
                f"current_setting('{PURPOSE_SETTING}', true) IN ({purposes})",
                restrictive=bool(table.policies),
                reason="HIPAA minimum necessary: PHI only for treatment, payment, operations",
            )
        )
    plan.notes.append(
        f"HIPAA: sessions declare {PURPOSE_SETTING} (treatment, payment or operations) before "
        "reading PHI; the policies on the PHI tables refuse rows to any other session"
    )
    return tables


_ISOLATED_NOTES = {
    "schema-per-tenant": "schema per tenant: this DDL is applied once per tenant schema "
    "(CREATE SCHEMA tenant_<id>; SET search_path per connection); no tenant keys or RLS "
    "needed; migrations run per schema; practical up to a few thousand tenants",
    "database-per-tenant": "database per tenant: this DDL is applied to each tenant's own "
    "database; strongest isolation and per-tenant restore, highest operational cost; "
    "connection pools per database",
}

"""Tenant keys in every reference between tenant-scoped tables, so the database refuses a
cross-tenant reference.

Row-level security filters what a session reads, but a foreign key check bypasses it: with
`task_id` alone, a comment of company 2 could point at a task of company 1. Each such
reference becomes `(company_id, task_id) -> tasks (company_id, id)`, which needs a unique
key `(company_id, id)` on the parent. An optional reference is cleared with
`ON DELETE SET NULL (task_id)` (PostgreSQL 15+), never clearing the tenant key itself.
"""

from __future__ import annotations

from agent.brains.rules.schema.plan import ForeignKeyDef, SchemaPlan, TableDef
from agent.naming import object_name

SET_NULL = "SET NULL"


def carry_tenant_key(plan: SchemaPlan, scoped: list[str], tenant_table: str, column: str) -> None:
    """Widen every foreign key between two tenant-scoped tables (not to the tenant table)."""
    scoped_set = set(scoped)
    for name in scoped:
        table = plan.tables[name]
        if table.column(column) is None:
            continue
        for fk in table.foreign_keys:
            parent = plan.tables.get(fk.ref_table)
            if (
                fk.ref_table == tenant_table
                or fk.ref_table not in scoped_set
                or parent is None
                or column in fk.columns
                or parent.column(column) is None
            ):
                continue
            _widen(table, fk, column)
            _require_unique(parent, fk.ref_columns)


def _widen(table: TableDef, fk: ForeignKeyDef, column: str) -> None:
    """Renamed as PostgreSQL names a key of these columns: a migration from a schema with the
    narrow key adds the wide one beside it, then drops the narrow one by its own name."""
    own = list(fk.columns)
    fk.name = object_name(table.name, column, *own, suffix="fkey")
    fk.columns = [column, *own]
    fk.ref_columns = [column, *fk.ref_columns]
    if fk.on_delete == SET_NULL:
        fk.on_delete = f"{SET_NULL} ({', '.join(own)})"


def _require_unique(parent: TableDef, columns: list[str]) -> None:
    if columns not in parent.uniques and columns != parent.primary_key:
        parent.uniques.append(list(columns))

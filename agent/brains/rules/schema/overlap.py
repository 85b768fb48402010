"""Periods rows may not share (`no_overlap`): exclusion constraints, never application checks.

Two requests that each look for a free slot before booking it both find it free; only the
database can refuse the second. A rule `{per: [room_id], range: [starts_at, ends_at]}`
becomes `EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)`:

* `btree_gist` gives GiST its `=` for scalar columns, so the extension comes with the schema
  (a contrib module; PostgreSQL marks it trusted, so the schema owner may create it).
* `[)` by default: a booking that ends at 10:00 and one that starts at 10:00 do not overlap.
* `CHECK (end > start)`: an empty period overlaps nothing, so a zero-length row would never
  conflict with anything; a start after its end would fail inside the range constructor
  with an error that names neither column.
* Under shared-schema tenancy the tenant key joins the `=` columns (after the spec's own:
  GiST leans on its first column, which should be the selective one), so the rule holds per
  tenant like every other key of a tenant-scoped table.
* Under soft delete the constraint covers live rows only (`WHERE deleted_at IS NULL`): a
  deleted booking gives its period back.
* A rule's `where` narrows the competitors further (`{column: status, not_in: [cancelled]}`
  -> `status <> ALL (ARRAY['cancelled']::booking_status[])`, ANDed with the soft-delete
  condition): a cancelled booking that stays a row does not block the room.
"""

from __future__ import annotations

from agent.brains.rules.schema.plan import CheckDef, ExclusionDef, SchemaPlan, TableDef
from agent.claims.check.objects import normal, ordering
from agent.naming import SOFT_DELETE_COLUMN, object_name, quote_ident, table_name
from agent.spec.contract import ContractTable, resolve_contract
from agent.spec.model import NoOverlap, Requirements
from agent.spec.overlap import ARRAY_CAST_KINDS, RANGE_TYPES, column_kind, where_sql
from agent.stages import TenancyPlan
from tools.errors import SpecError

EXTENSION = "btree_gist"
EXCLUSION_VIOLATION = "23P01"


def apply_no_overlap(spec: Requirements, plan: SchemaPlan, tenancy: TenancyPlan) -> list[str]:
    """Exclusion constraints for every `no_overlap` rule; the tables that got one."""
    contract = resolve_contract(spec)
    found: list[str] = []
    for entity in spec.entities:
        table = plan.tables.get(table_name(entity.name))
        contract_table = contract.for_entity(entity.name)
        if table is None or contract_table is None:
            continue
        for rule in entity.no_overlap:
            column = contract_table.column(rule.range[0])
            kind = column_kind(column) if column is not None else None
            if kind not in RANGE_TYPES:  # the spec checks refuse it first, with its position
                raise SpecError(f"{entity.name}: no_overlap range {rule.range} is not a period")
            exclusion = _exclusion(table, rule, RANGE_TYPES[kind], tenancy)
            exclusion.where = _competing(table, contract_table, rule)
            exclusion.ordered_by = _order_check(table, exclusion)
            table.exclusions.append(exclusion)
            if exclusion.equal and EXTENSION not in plan.extensions:
                plan.extensions.append(EXTENSION)
        if entity.no_overlap:
            found.append(table.name)
    if found:
        names = ", ".join(e.name for t in found for e in plan.tables[t].exclusions)
        plan.notes.append(
            f"overlapping periods are refused by the database ({names}): the losing INSERT or "
            f"UPDATE fails with SQLSTATE {EXCLUSION_VIOLATION} (exclusion_violation), which the "
            "application reports as a conflict; there is no check-then-insert to race"
        )
    return found


def _exclusion(
    table: TableDef, rule: NoOverlap, range_type: str, tenancy: TenancyPlan
) -> ExclusionDef:
    equal = list(rule.per)
    tenant = tenancy.tenant_column
    if (
        tenancy.model == "shared-schema"
        and tenant is not None
        and table.name in tenancy.rls_tables
        and table.column(tenant) is not None
        and tenant not in equal
    ):
        equal.append(tenant)
    start, end = rule.range
    name = object_name(table.name, *rule.per, suffix="no_overlap")
    if any(e.name == name for e in table.exclusions):
        name = object_name(table.name, *rule.per, start, end, suffix="no_overlap")
    return ExclusionDef(
        name=name,
        equal=equal,
        range_type=range_type,
        start=start,
        end=end,
        bounds=rule.bounds,
    )


def _competing(table: TableDef, contract_table: ContractTable, rule: NoOverlap) -> str | None:
    """The constraint's WHERE: live rows under soft delete, and those the rule's `where`
    lets compete (its values checked against the column by the spec checks)."""
    conditions = [f"{SOFT_DELETE_COLUMN} IS NULL"] if table.soft_delete else []
    where = rule.where
    if where is not None:
        column = table.column(where.column)
        attribute = contract_table.column(where.column)
        if column is None or attribute is None:  # the spec checks refuse it first
            raise SpecError(f"{table.name}: no_overlap where names no column {where.column}")
        cast = column.sql_type if column_kind(attribute) in ARRAY_CAST_KINDS else None
        sql = where_sql(where, nullable=not column.not_null, array_type=cast)
        conditions.append(sql)
    return " AND ".join(conditions) or None


def _order_check(table: TableDef, exclusion: ExclusionDef) -> str:
    """The CHECK that refuses an empty (or backwards) period: `end > start` for `[)`, where
    `[t, t)` is empty; `end >= start` for `[]`, where one day `[d, d]` is a period. The
    table's own check is kept when it already says so (or says more)."""
    start, end = exclusion.start, exclusion.end
    same = next((c for c in table.checks if normal(c.expression) in ordering(exclusion)), None)
    if same is not None:
        return same.name
    name = object_name(table.name, end, "after", start, suffix="check")
    operator = ">" if exclusion.bounds == "[)" else ">="
    table.checks.append(CheckDef(name, f"{quote_ident(end)} {operator} {quote_ident(start)}"))
    return name

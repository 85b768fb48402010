"""Audit trail and soft delete: which tables each compliance regime puts under audit.

HIPAA audits PHI tables, GDPR/CCPA the tables with personal data, SOX/PCI/SOC 2 (and any
regime we have no specific rule for) every entity table except high-volume time series,
whose rows are themselves an append-only record. An entity's `audit` flag overrides.
Changes are written by one trigger function into one append-only `audit_log` table.
"""

from __future__ import annotations

from agent.brains.rules.schema.plan import ColumnDef, EnumDef, IndexDef, SchemaPlan, TableDef
from agent.brains.rules.schema.tenancy import PEOPLE, phi_tables
from agent.brains.rules.timeseries import time_series_reason
from agent.naming import SOFT_DELETE_COLUMN, object_name, table_name
from agent.pg_target import uuid_default
from agent.spec import Requirements, soft_deleted_tables
from agent.stages import AuditPlan

AUDIT_ACTIONS = ["INSERT", "UPDATE", "DELETE"]
_PERSONAL = {"gdpr", "ccpa"}
_WHOLE_SYSTEM = {"sox", "pci", "soc2", "iso27001", "glba", "ferpa"}


def audited_tables(spec: Requirements, plan: SchemaPlan) -> tuple[list[str], str]:
    """(tables, why) for the spec's compliance regimes and explicit `audit` flags."""
    chosen: set[str] = set()
    reasons = []
    regimes = set(spec.compliance)
    if "hipaa" in regimes:
        chosen |= set(phi_tables(spec, plan))
        reasons.append("HIPAA requires an audit trail of PHI changes")
    if regimes & _PERSONAL:
        chosen |= set(_personal_tables(spec, plan))
        reasons.append("GDPR/CCPA: changes to personal data must be accountable")
    if regimes - _PERSONAL - {"hipaa"}:
        chosen |= {t.name for t in plan.entity_tables() if not _is_series(spec, t)}
        reasons.append(
            ", ".join(sorted(r.upper() for r in regimes & (_WHOLE_SYSTEM | regimes)))
            + ": every change to business records is attributable"
        )
    for entity in spec.entities:
        if entity.audit is not None:
            (chosen.add if entity.audit else chosen.discard)(table_name(entity.name))
            if entity.audit:
                reasons.append(f"'{entity.name}' asks for audit")
    ordered = [name for name in plan.tables if name in chosen]
    return ordered, "; ".join(dict.fromkeys(reasons))


def _is_series(spec: Requirements, table: TableDef) -> bool:
    entity = spec.entity(table.entity or "")
    return entity is not None and time_series_reason(spec, entity) is not None


def _personal_tables(spec: Requirements, plan: SchemaPlan) -> list[str]:
    marked = [
        e.name for e in spec.entities if e.pii or e.phi or any(a.pii for a in e.attributes.values())
    ]
    names = marked or [e.name for e in spec.entities if e.name in PEOPLE]
    return [table_name(n) for n in names if table_name(n) in plan.tables]


def apply_audit(spec: Requirements, plan: SchemaPlan) -> AuditPlan | None:
    tables, reason = audited_tables(spec, plan)
    if not tables:
        return None
    name = "audit_log" if "audit_log" not in plan.tables else "audit_trail"
    enum = f"{name}_action"
    plan.enums[enum] = EnumDef(enum, list(AUDIT_ACTIONS))
    plan.tables[name] = _audit_table(name, enum, uuid_default(spec))
    for table in tables:
        plan.tables[table].audited = True
    hidden = _hide_personal_columns(spec, plan, tables)
    plan.functions.append("audit_changes")
    plan.notes.append(
        "audit: set app.user_id per transaction, so each audit row names its actor; "
        "triggers cannot see reads"
        + (
            ": log PHI reads with pgAudit (object audit on the PHI tables)"
            if "hipaa" in spec.compliance
            else ""
        )
    )
    if hidden:
        plan.tables[name].column_comments["old_row"] = (
            "row before the change (UPDATE, DELETE), without its personal columns "
            f"({'; '.join(hidden)}): erasing a data subject leaves no copy here"
        )
        plan.notes.append(
            f"{name} leaves personal columns out of its copies ({'; '.join(hidden)}): "
            "the right to erasure reaches the audit trail too"
        )
    return AuditPlan(table=name, audited_tables=tables, reason=reason)


def _hide_personal_columns(spec: Requirements, plan: SchemaPlan, tables: list[str]) -> list[str]:
    """Under an erasure right (GDPR, CCPA) the trail records who changed which row when,
    not the personal values: `table: columns` for each audited table that holds some."""
    if not set(spec.compliance) & _PERSONAL:
        return []
    shown = []
    for entity in spec.entities:
        table = plan.tables.get(table_name(entity.name))
        personal = [*entity.pii, *(n for n, a in entity.attributes.items() if a.pii)]
        if table is None or table.name not in tables or not personal:
            continue
        table.audit_hidden = [c for c in dict.fromkeys(personal) if table.column(c) is not None]
        shown.append(f"{table.name}: {', '.join(table.audit_hidden)}")
    return shown


def _audit_table(name: str, enum: str, new_uuid: str) -> TableDef:
    """uuid ids: audit rows copied between databases (restores, shards, archives) or
    loaded in bulk never collide with the ones triggers keep writing."""
    table = TableDef(name, "audit", name, comment="Append-only trail of row changes (triggers).")
    table.columns = [
        ColumnDef("id", "uuid", True, new_uuid),
        ColumnDef("table_name", "text", True),
        ColumnDef("row_id", "text"),
        ColumnDef("action", enum, True),
        ColumnDef("actor", "text"),
        ColumnDef("tenant_id", "text"),
        ColumnDef("changed_at", "timestamptz", True, "now()"),
        ColumnDef("old_row", "jsonb"),
        ColumnDef("new_row", "jsonb"),
    ]
    table.primary_key = ["id"]
    table.indexes.append(
        IndexDef(
            object_name(name, "table_name_row_id", suffix="idx"),
            ["table_name", "row_id", "changed_at"],
            reason="history of one row",
        )
    )
    table.column_comments = {
        "actor": "current_setting('app.user_id') of the writing session",
        "old_row": "row before the change (UPDATE, DELETE); personal data: erase with its subject",
    }
    return table


def apply_soft_delete(spec: Requirements, plan: SchemaPlan) -> list[str]:
    """`deleted_at` on soft-delete entities; their unique keys hold over live rows only.

    A unique key becomes a partial unique index `WHERE deleted_at IS NULL`, so a deleted
    project's name can be used again; keys that foreign keys reference stay whole (a
    reference needs a full unique key). Lookups by such a key repeat `deleted_at IS NULL`
    (the spec checks say so), which is also what lets the planner use the partial index.
    """
    found = []
    referenced = {(fk.ref_table, tuple(fk.ref_columns)) for t in plan.tables.values()
                  for fk in t.foreign_keys}  # fmt: skip
    for name in soft_deleted_tables(spec):
        table = plan.tables.get(name)
        if table is None:
            continue
        if table.column(SOFT_DELETE_COLUMN) is None:  # the spec may declare it itself
            position = table.column_names.index("updated_at") + 1
            table.columns.insert(position, ColumnDef(SOFT_DELETE_COLUMN, "timestamptz"))
        table.soft_delete = True
        for unique in [u for u in table.uniques if (name, tuple(u)) not in referenced]:
            table.uniques.remove(unique)
            table.indexes.append(
                IndexDef(  # not `_key`: a migration builds it beside the whole-table key
                    object_name(name, *unique, suffix="live_key"),
                    unique,
                    unique=True,
                    where=f"{SOFT_DELETE_COLUMN} IS NULL",
                    reason="unique over live rows: a deleted row's key can be used again",
                )
            )
        found.append(table.name)
    if found:
        plan.notes.append(
            f"soft delete: the application filters {SOFT_DELETE_COLUMN} IS NULL; a purge job "
            "hard-deletes rows after the retention period"
        )
    return found

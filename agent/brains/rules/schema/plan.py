"""The schema compiler's working model: tables, columns, keys and policies before they are SQL.

The compiler's passes (types, tenancy, audit, partitioning...) edit these plain objects;
only `render` turns them into DDL, so each pass stays small and testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agent.naming import quote_ident

TableKind = Literal["entity", "join", "audit", "support"]


@dataclass
class ColumnDef:
    name: str
    sql_type: str
    not_null: bool = False
    default: str | None = None
    identity: bool = False
    comment: str | None = None


@dataclass
class ForeignKeyDef:
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    on_delete: str  # "CASCADE", "RESTRICT", "SET NULL", "NO ACTION"
    name: str = ""
    deferred: bool = False  # added by ALTER TABLE after every table exists (cycles)


@dataclass
class IndexDef:
    name: str
    columns: list[str]
    unique: bool = False
    where: str | None = None
    method: str = "btree"
    reason: str = ""


@dataclass
class CheckDef:
    name: str
    expression: str


@dataclass
class ExclusionDef:
    """No two rows with equal `equal` columns hold overlapping `[start, end)` periods."""

    name: str
    equal: list[str]  # compared with `=` (btree_gist); the tenant key joins them
    range_type: str  # "tstzrange", "daterange"...
    start: str
    end: str
    bounds: Literal["[)", "[]"] = "[)"
    where: str | None = None  # partial: live rows only under soft delete
    method: str = "gist"
    ordered_by: str | None = None  # the CHECK that keeps `end` after `start`

    @property
    def period(self) -> str:
        """The range expression, spelled the way the constraint and every query can repeat."""
        start, end = quote_ident(self.start), quote_ident(self.end)
        return f"{self.range_type}({start}, {end}, '{self.bounds}')"


@dataclass
class PolicyDef:
    name: str
    using: str
    restrictive: bool = False
    reason: str = ""


@dataclass
class PartitionDef:
    column: str
    interval: Literal["day", "month"]
    bounds: list[tuple[str, str, str]] = field(default_factory=list)  # (name, from, to)
    retention: str | None = None
    reason: str = ""

    @property
    def step(self) -> str:
        return f"1 {self.interval}"


@dataclass
class TableDef:
    name: str
    kind: TableKind
    owner: str  # singular: prefix of enum types and of generated object names
    entity: str | None = None
    columns: list[ColumnDef] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKeyDef] = field(default_factory=list)
    uniques: list[list[str]] = field(default_factory=list)
    checks: list[CheckDef] = field(default_factory=list)
    exclusions: list[ExclusionDef] = field(default_factory=list)
    indexes: list[IndexDef] = field(default_factory=list)
    policies: list[PolicyDef] = field(default_factory=list)
    partition: PartitionDef | None = None
    comment: str | None = None
    column_comments: dict[str, str] = field(default_factory=dict)
    soft_delete: bool = False
    audited: bool = False
    audit_hidden: list[str] = field(default_factory=list)  # columns left out of audit rows
    append_only: bool = False  # UPDATE and DELETE refused by trigger
    touch_updated_at: bool = False
    estimated_rows: int | None = None
    force_rls: bool = False  # FORCE ROW LEVEL SECURITY: the owner is filtered too
    unforced_reason: str = ""  # why a table with policies is not forced

    def column(self, name: str) -> ColumnDef | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def rls(self) -> bool:
        return bool(self.policies)

    def references(self, table: str) -> ForeignKeyDef | None:
        return next((fk for fk in self.foreign_keys if fk.ref_table == table), None)


@dataclass
class LookupDef:
    """A SECURITY DEFINER function serving a pattern that runs before a tenant is known."""

    name: str
    table: str
    pattern: str
    query: str  # the pattern's SQL, run by the function as the table owner
    arguments: list[str]  # types of $1, $2...
    returns: list[tuple[str, str]]  # (column, type) of the rows it returns


@dataclass
class EnumDef:
    name: str
    values: list[str]


@dataclass
class SchemaPlan:
    """Everything the renderer needs, in the order tables were planned."""

    tables: dict[str, TableDef] = field(default_factory=dict)
    enums: dict[str, EnumDef] = field(default_factory=dict)
    extensions: list[str] = field(default_factory=list)  # CREATE EXTENSION, before all else
    functions: list[str] = field(default_factory=list)  # names of support/*.sql files
    lookups: list[LookupDef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def entity_tables(self) -> list[TableDef]:
        return [t for t in self.tables.values() if t.kind == "entity"]

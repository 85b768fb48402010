"""The typed schema model every SQL tool shares: what a set of DDL statements builds.

The parser fills it from DDL text; lint, ERD, data generation and the index advisor read
it. It records where each object was defined so findings can point at a line.

The classes are slotted dataclasses, not pydantic models: a review holds one instance per
column, key, index and statement of the whole schema (a 184k-table dump makes millions),
and a pydantic instance costs ~1.2 KB (its `__dict__` and fields-set) against ~150 B here.
Only the parser builds them, from values it already checked, so there is nothing to
validate. `Skipped` stays a pydantic model: it is part of the JSON reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict


@dataclass(slots=True, kw_only=True)
class Column:
    name: str
    # Type as PostgreSQL would print it for a column (format_type style):
    # "integer", "character varying(255)", "timestamp with time zone", "numeric(19,4)",
    # "text[]", or a user type name such as "task_status" (enum) or "year" (domain).
    type: str
    # Canonical short name of the base type without modifiers or array brackets:
    # "int4", "varchar", "timestamptz", "numeric", "task_status"...
    base_type: str
    type_mods: tuple[int, ...] = ()
    is_array: bool = False
    nullable: bool = True
    default: str | None = None
    identity: bool = False  # GENERATED ... AS IDENTITY or serial/bigserial
    identity_always: bool = False  # GENERATED ALWAYS (not BY DEFAULT) AS IDENTITY
    generated: str | None = None  # expression of a GENERATED ALWAYS AS (...) column
    generated_virtual: bool = False  # computed when read (18's default), not STORED
    line: int | None = None


@dataclass(slots=True, kw_only=True)
class ForeignKey:
    name: str | None = None
    columns: list[str]
    ref_table: str
    ref_columns: list[str] = field(default_factory=list)  # empty: the referenced PK
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    line: int | None = None


@dataclass(slots=True, kw_only=True)
class UniqueConstraint:
    name: str | None = None
    columns: list[str]
    line: int | None = None


@dataclass(slots=True, kw_only=True)
class CheckConstraint:
    name: str | None = None
    expression: str
    columns: list[str] = field(default_factory=list)  # columns the expression reads
    line: int | None = None


@dataclass(slots=True, kw_only=True)
class IndexElement:
    column: str | None = None  # plain column
    expression: str | None = None  # deparsed expression, e.g. "lower(email)"
    opclass: str | None = None
    descending: bool = False
    nulls_first: bool | None = None
    operator: str | None = None  # in an EXCLUDE constraint: `=`, `&&`...
    reads: list[str] = field(default_factory=list)  # columns an expression element reads

    @property
    def key(self) -> str:
        """Text that identifies the element when comparing indexes."""
        return self.column if self.column is not None else f"({self.expression})"


@dataclass(slots=True, kw_only=True)
class Index:
    name: str | None = None
    table: str
    elements: list[IndexElement]
    unique: bool = False
    method: str = "btree"
    where: str | None = None  # deparsed partial-index predicate
    include: list[str] = field(default_factory=list)
    line: int | None = None

    @property
    def keys(self) -> list[str]:
        return [e.key for e in self.elements]

    @property
    def exclusion(self) -> bool:
        """The index of an EXCLUDE constraint: no two rows match on every element's operator."""
        return any(e.operator for e in self.elements)

    def exclude_clause(self) -> str:
        """`EXCLUDE USING gist (room_id WITH =, ... WITH &&) WHERE (...)`, for the emitters
        that must name what they cannot build."""
        pairs = ", ".join(f"{e.column or e.expression} WITH {e.operator}" for e in self.elements)
        where = f" WHERE ({self.where})" if self.where else ""
        return f"EXCLUDE USING {self.method} ({pairs}){where}"


@dataclass(slots=True, kw_only=True)
class Table:
    name: str  # qualified only when not in schema public: "audit.events"
    columns: list[Column] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    uniques: list[UniqueConstraint] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    partition_by: str | None = None  # e.g. "RANGE (created_at)"
    partition_of: str | None = None  # parent table of a partition
    row_level_security: bool = False
    force_row_level_security: bool = False  # FORCE: the table owner is filtered too
    unlogged: bool = False
    file: str | None = None
    line: int | None = None

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(slots=True, kw_only=True)
class EnumType:
    name: str
    values: list[str]
    line: int | None = None


@dataclass(slots=True, kw_only=True)
class Domain:
    name: str
    base_type: str
    nullable: bool = True
    line: int | None = None


@dataclass(slots=True, kw_only=True)
class View:
    name: str
    materialized: bool = False
    line: int | None = None


class Skipped(BaseModel):
    """A statement deliberately not applied or modelled, and why (shown to the user)."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = None
    line: int
    text: str
    reason: str


@dataclass(slots=True, kw_only=True)
class Suppression:
    """A `-- dbarch:ignore <rule> <reason>` comment and the statement it covers."""

    rule: str | None  # None: the comment names no rule
    reason: str | None  # None: no reason given (itself an error finding)
    file: str | None = None
    line: int  # where the comment is
    first_line: int  # the statement it covers, first to last line
    last_line: int


@dataclass(slots=True, kw_only=True)
class Statement:
    """One top-level SQL statement as it appears in the input, for applying in order."""

    file: str | None = None
    line: int  # 1-based line of the statement's first token
    column: int = 1
    sql: str
    kind: str  # pglast node name, e.g. "CreateStmt", "IndexStmt"


@dataclass(slots=True, kw_only=True)
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)
    enums: dict[str, EnumType] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    extensions: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def referencing(self, table: str) -> list[tuple[Table, ForeignKey]]:
        """Every foreign key that points at `table`, with its owning table."""
        return [
            (t, fk) for t in self.tables.values() for fk in t.foreign_keys if fk.ref_table == table
        ]

"""What an applied package really holds, read from PostgreSQL's catalogs: the claims' referee.

One read per database: relations with their row-level security flags and columns,
constraints, indexes, policies, triggers, partitioning, functions and enum types. Names are
printed as the report prints them (schema-qualified outside `public`); partitions are
folded into their parent, as a reader of the design sees them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent.claims import catalog_sql as q
from tools.sql.server import connect


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnInfo(_Row):
    name: str
    type: str  # format_type(): "bigint", "timestamp with time zone"
    not_null: bool
    identity: str = ""  # "a" (always), "d" (by default) or ""
    fixed_width: int = -1  # pg_type.typlen: bytes, or -1 for variable-width types
    has_default: bool = False


class TableInfo(_Row):
    name: str
    partitioned: bool
    row_security: bool
    forced: bool
    partitions: int = 0
    columns: list[ColumnInfo] = Field(default_factory=list)

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)


class ConstraintInfo(_Row):
    table: str
    name: str
    type: str  # "primary key", "unique", "foreign key", "check", "exclusion"
    columns: list[str]
    ref_table: str | None = None
    ref_columns: list[str] = Field(default_factory=list)
    definition: str = ""


class IndexInfo(_Row):
    table: str
    name: str
    columns: list[str]
    unique: bool
    primary: bool
    method: str
    predicate: str | None = None
    constraint: bool = False  # backs a primary key, unique or exclusion constraint


class PolicyInfo(_Row):
    table: str
    name: str
    permissive: bool
    command: str
    using: str | None = None
    check: str | None = None


class TriggerInfo(_Row):
    table: str
    name: str
    events: list[str]  # INSERT, UPDATE, DELETE, TRUNCATE
    function: str
    function_source: str = ""


class FunctionInfo(_Row):
    name: str
    arguments: list[str]
    security_definer: bool
    config: list[str] = Field(default_factory=list)  # "search_path=public, pg_temp"
    source: str = ""


class PartitionKey(_Row):
    table: str
    strategy: str  # "range", "list", "hash"
    columns: list[str]


class Catalog(_Row):
    tables: dict[str, TableInfo] = Field(default_factory=dict)
    constraints: list[ConstraintInfo] = Field(default_factory=list)
    indexes: list[IndexInfo] = Field(default_factory=list)
    policies: list[PolicyInfo] = Field(default_factory=list)
    triggers: list[TriggerInfo] = Field(default_factory=list)
    functions: list[FunctionInfo] = Field(default_factory=list)
    partition_keys: dict[str, PartitionKey] = Field(default_factory=dict)
    enums: dict[str, list[str]] = Field(default_factory=dict)

    def table(self, name: str) -> TableInfo | None:
        return self.tables.get(name)

    def present(self, names: list[str]) -> tuple[list[TableInfo], list[str]]:
        """The named tables that exist, and a problem line for each that does not."""
        found = [self.tables[n] for n in names if n in self.tables]
        return found, [missing(n) for n in names if n not in self.tables]

    def constraints_of(self, table: str, kind: str | None = None) -> list[ConstraintInfo]:
        return [c for c in self.constraints if c.table == table and kind in (None, c.type)]

    def indexes_of(self, table: str) -> list[IndexInfo]:
        return [i for i in self.indexes if i.table == table]

    def policies_of(self, table: str) -> list[PolicyInfo]:
        return [p for p in self.policies if p.table == table]

    def triggers_of(self, table: str) -> list[TriggerInfo]:
        return [t for t in self.triggers if t.table == table]

    def function(self, name: str) -> FunctionInfo | None:
        return next((f for f in self.functions if f.name == name), None)


def missing(table: str) -> str:
    return f"{table}: no such table"


_CONSTRAINT_TYPES = {
    "p": "primary key", "u": "unique", "f": "foreign key", "c": "check", "x": "exclusion"
}  # fmt: skip
_STRATEGIES = {"r": "range", "l": "list", "h": "hash"}


def read_catalog(dsn: str) -> Catalog:
    """Everything the claim checks need, from one connection."""
    with connect(dsn, autocommit=True) as conn:
        columns: dict[str, list[ColumnInfo]] = {}
        for table, name, type_, not_null, identity, width, default in conn.execute(q.COLUMNS):
            columns.setdefault(table, []).append(
                ColumnInfo(
                    name=name,
                    type=type_,
                    not_null=not_null,
                    identity=identity,
                    fixed_width=width,
                    has_default=default,
                )
            )
        tables = {
            name: TableInfo(
                name=name,
                partitioned=kind == "p",
                row_security=rls,
                forced=forced,
                partitions=parts,
                columns=columns.get(name, []),
            )
            for name, kind, rls, forced, parts in conn.execute(q.TABLES)
        }
        return Catalog(
            tables=tables,
            constraints=[
                ConstraintInfo(
                    table=t,
                    name=n,
                    type=_CONSTRAINT_TYPES[k],
                    columns=list(c),
                    ref_table=rt,
                    ref_columns=list(rc or []),
                    definition=d,
                )
                for t, n, k, c, rt, rc, d in conn.execute(q.CONSTRAINTS)
            ],
            indexes=[
                IndexInfo(
                    table=t,
                    name=n,
                    columns=list(c),
                    unique=u,
                    primary=p,
                    method=m,
                    predicate=w,
                    constraint=k,
                )
                for t, n, c, u, p, m, w, k in conn.execute(q.INDEXES)
            ],
            policies=[
                PolicyInfo(
                    table=t, name=n, permissive=p == "PERMISSIVE", command=c, using=u, check=w
                )
                for t, n, p, c, u, w in conn.execute(q.POLICIES)
            ],
            triggers=[
                TriggerInfo(table=t, name=n, events=list(e), function=f, function_source=s or "")
                for t, n, e, f, s in conn.execute(q.TRIGGERS)
            ],
            functions=[
                FunctionInfo(
                    name=n,
                    arguments=list(a),
                    security_definer=d,
                    config=list(c or []),
                    source=s or "",
                )
                for n, a, d, c, s in conn.execute(q.FUNCTIONS)
            ],
            partition_keys={
                t: PartitionKey(table=t, strategy=_STRATEGIES.get(s, s), columns=list(c))
                for t, s, c in conn.execute(q.PARTITION_KEYS)
            },
            enums={n: list(labels) for n, labels in conn.execute(q.ENUMS)},
        )

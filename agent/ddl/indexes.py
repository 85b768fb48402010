"""The indexes a schema's DDL builds, read from the DDL itself (pglast), each with its role.

Counts and sizes of indexes in the report, the ADRs and the command's summary line come
from here and from the index plan, never from a template: a primary key, a unique or
exclusion constraint and `CREATE INDEX` all build an index; one whose leading columns are a
foreign key's columns serves that key (joins, cascading deletes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agent.stages import IndexPlan, SchemaDesign
from tools.sql.model import Table
from tools.sql.parse import parse_schema
from tools.sql.rules.keys import fk_is_indexed

Role = Literal["primary key", "unique", "exclusion", "unique index", "foreign key", "secondary"]


@dataclass(frozen=True)
class BuiltIndex:
    table: str
    columns: tuple[str, ...]
    role: Role
    method: str = "btree"


def schema_indexes(ddl: str) -> list[BuiltIndex]:
    """Every index the DDL builds on a table (partitions inherit their parent's)."""
    found: list[BuiltIndex] = []
    for table in _tables(ddl):
        found += _table_indexes(table)
    return found


def unindexed_foreign_keys(ddl: str) -> list[str]:
    """`table(columns)` of each foreign key no index, key or unique constraint starts with."""
    found = []
    for table in _tables(ddl):
        for fk in table.foreign_keys:
            if not fk_is_indexed(table, fk):
                found.append(f"{table.name}({', '.join(fk.columns)})")
    return found


def _tables(ddl: str) -> list[Table]:
    tables = parse_schema(ddl, file="schema.sql").tables.values()
    return [t for t in tables if t.partition_of is None]


def _table_indexes(table: Table) -> list[BuiltIndex]:
    found = [BuiltIndex(table.name, tuple(table.primary_key), "primary key")]
    found = found if table.primary_key else []
    found += [BuiltIndex(table.name, tuple(u.columns), "unique") for u in table.uniques]
    keys = [set(fk.columns) for fk in table.foreign_keys]
    for index in table.indexes:
        columns = tuple(index.keys)
        role: Role = "unique index" if index.unique else "secondary"
        if index.exclusion:
            role = "exclusion"  # the constraint's own index: no CREATE INDEX builds it
        elif role == "secondary" and any(set(columns[: len(k)]) == k for k in keys):
            role = "foreign key"  # in any order, as the lint's `fk-without-index` reads it
        found.append(BuiltIndex(table.name, columns, role, index.method))
    return found


@dataclass(frozen=True)
class IndexCount:
    """How many indexes a design builds, by where they come from."""

    keys: int  # primary key, unique and exclusion constraints
    foreign_keys: int  # the schema's indexes on foreign-key columns
    unique: int  # the schema's CREATE UNIQUE INDEX (a partial key: live rows only)
    other: int  # the schema's other secondary indexes
    advised: int  # the index plan's, proven on the workload
    unindexed_foreign_keys: int = 0  # foreign keys no index starts with

    @property
    def total(self) -> int:
        return self.keys + self.secondary

    @property
    def secondary(self) -> int:
        """What the migrations build with CREATE INDEX."""
        return self.foreign_keys + self.unique + self.other + self.advised


def count_indexes(schema: SchemaDesign | None, plan: IndexPlan | None) -> IndexCount:
    built = schema_indexes(schema.ddl) if schema is not None else []
    return IndexCount(
        keys=sum(1 for b in built if b.role in ("primary key", "unique", "exclusion")),
        foreign_keys=sum(1 for b in built if b.role == "foreign key"),
        unique=sum(1 for b in built if b.role == "unique index"),
        other=sum(1 for b in built if b.role == "secondary"),
        advised=len(plan.indexes) if plan is not None else 0,
        unindexed_foreign_keys=len(unindexed_foreign_keys(schema.ddl)) if schema else 0,
    )

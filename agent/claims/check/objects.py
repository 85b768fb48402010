"""Checks for the claims about what the schema is made of: tables, partitions, indexes,
constraints, soft delete, column traits, enum types, counts and sizes."""

from __future__ import annotations

import re
from typing import Protocol

from agent.claims.catalog import Catalog, IndexInfo, missing
from agent.claims.model import (
    ColumnsFact,
    ConstraintFact,
    Count,
    EnumTypes,
    IndexFact,
    NoOverlap,
    Partitioned,
    Size,
    SoftDelete,
    TableShape,
)

ROW_OVERHEAD = 24 + 4  # tuple header and line pointer: no heap row is smaller
INDEX_ENTRY_OVERHEAD = 8 + 4  # index tuple header and line pointer
_CASTS = re.compile(
    r"::\s*(timestamp with(out)? time zone|time with(out)? time zone|character varying"
    r"|double precision|\"?[a-z_][a-z0-9_]*\"?)(\[\])?",
    re.IGNORECASE,
)
_ORDERING = re.compile(r"\s+(asc|desc|nulls\s+(first|last))\b", re.IGNORECASE)
# PostgreSQL prints a negative or out-of-int8 number as a quoted, cast string: '-1'::integer.
_QUOTED_NUMBER = re.compile(r"'(-?\d+(?:\.\d+)?)'")


def normal(expression: str) -> str:
    """An expression as both sides can agree on it: no casts, quotes, brackets or spaces."""
    text = _QUOTED_NUMBER.sub(r"\1", _ORDERING.sub("", _CASTS.sub("", expression)))
    return re.sub(r"[\s\"()]", "", text).lower()


def _keys(columns: list[str]) -> list[str]:
    return [normal(c) for c in columns]


def table_shape(claim: TableShape, catalog: Catalog) -> list[str]:
    table = catalog.table(claim.table)
    if table is None:
        return [missing(claim.table)]
    problems = []
    if claim.columns is not None and len(table.columns) != claim.columns:
        problems.append(f"{claim.table} has {len(table.columns)} columns")
    keys = catalog.constraints_of(claim.table, "primary key")
    actual = keys[0].columns if keys else []
    if actual != claim.primary_key:
        problems.append(f"{claim.table}'s primary key is ({', '.join(actual) or 'none'})")
    return problems


def partitioned(claim: Partitioned, catalog: Catalog) -> list[str]:
    table = catalog.table(claim.table)
    if table is None:
        return [missing(claim.table)]
    key = catalog.partition_keys.get(claim.table)
    if key is None:
        return [f"{claim.table} is not partitioned (no pg_partitioned_table row)"]
    problems = []
    if key.strategy != claim.strategy or key.columns != [claim.column]:
        problems.append(
            f"{claim.table} is partitioned by {key.strategy.upper()} ({', '.join(key.columns)})"
        )
    if claim.partitions is not None and table.partitions != claim.partitions:
        problems.append(f"{claim.table} has {table.partitions} partitions")
    if claim.retention_function and catalog.function(claim.retention_function) is None:
        problems.append(f"no function named {claim.retention_function}")
    return problems


def _index_text(index: IndexInfo) -> str:
    where = f" WHERE {index.predicate}" if index.predicate else ""
    unique = "unique " if index.unique else ""
    return f"{unique}{index.method} {index.name} ({', '.join(index.columns)}){where}"


def _matching_index(claim: IndexFact, catalog: Catalog) -> IndexInfo | None:
    candidates = catalog.indexes_of(claim.table)
    if claim.name:
        return next((i for i in candidates if i.name == claim.name), None)
    return next((i for i in candidates if _keys(i.columns) == _keys(claim.columns)), None)


def index(claim: IndexFact, catalog: Catalog) -> list[str]:
    if catalog.table(claim.table) is None:
        return [missing(claim.table)]
    found = _matching_index(claim, catalog)
    if found is None:
        present = "; ".join(_index_text(i) for i in catalog.indexes_of(claim.table)) or "none"
        which = claim.name or f"on ({', '.join(claim.columns)})"
        return [f"{claim.table} has no index {which} (its indexes: {present})"]
    problems = []
    if _keys(found.columns) != _keys(claim.columns):
        problems.append(f"{found.name} is on ({', '.join(found.columns)})")
    if found.unique != claim.unique:
        problems.append(f"{found.name} is {'' if found.unique else 'not '}unique")
    if found.method != claim.method.lower():
        problems.append(f"{found.name} is a {found.method} index")
    if normal(found.predicate or "") != normal(claim.predicate or ""):
        where = f"WHERE {found.predicate}" if found.predicate else "no WHERE"
        problems.append(f"{found.name} has {where}")
    return problems


def constraint(claim: ConstraintFact, catalog: Catalog) -> list[str]:
    if catalog.table(claim.table) is None:
        return [missing(claim.table)]
    present = catalog.constraints_of(claim.table, claim.type)
    for found in present:
        named = claim.name is None or found.name == claim.name
        same = (not claim.columns or found.columns == claim.columns) and (
            claim.ref_table is None
            or (found.ref_table == claim.ref_table and found.ref_columns == claim.ref_columns)
        )
        if named and same:
            return []
    listed = "; ".join(f"{c.name} {c.definition}" for c in present) or "none"
    return [
        f"{claim.table} has no such {claim.type} constraint "
        f"(its {claim.type} constraints: {listed})"
    ]


class Period(Protocol):
    @property
    def start(self) -> str: ...
    @property
    def end(self) -> str: ...
    @property
    def bounds(self) -> str: ...


def ordering(period: Period) -> set[str]:
    """The CHECK expressions (normalised) that keep a period non-empty: the end after the
    start when the end is excluded (`[)`); on or after it when the end is included (`[]`),
    a strict check being stricter still."""
    strict = {normal(f"{period.end} > {period.start}"), normal(f"{period.start} < {period.end}")}
    if period.bounds == "[)":
        return strict
    return strict | {
        normal(f"{period.end} >= {period.start}"),
        normal(f"{period.start} <= {period.end}"),
    }


def no_overlap(claim: NoOverlap, catalog: Catalog) -> list[str]:
    """The exclusion constraint exists as claimed (pg_constraint contype 'x'), and so does
    the CHECK that orders each period's ends."""
    if catalog.table(claim.table) is None:
        return [missing(claim.table)]
    present = catalog.constraints_of(claim.table, "exclusion")
    found = next((c for c in present if c.name == claim.name), None)
    problems = []
    if found is None:
        listed = "; ".join(f"{c.name} {c.definition}" for c in present) or "none"
        problems.append(
            f"{claim.table} has no exclusion constraint {claim.name} (its exclusion "
            f"constraints: {listed})"
        )
    elif normal(found.definition) != normal(claim.definition):
        problems.append(f"{found.name} is {found.definition}")
    if claim.ordered_by:
        check = next(
            (c for c in catalog.constraints_of(claim.table, "check") if c.name == claim.ordered_by),
            None,
        )
        if check is None:
            problems.append(f"{claim.table} has no check constraint {claim.ordered_by}")
        elif normal(check.definition.removeprefix("CHECK")) not in ordering(claim):
            problems.append(f"{check.name} is {check.definition}")
    return problems


def _binds_deleted(catalog: Catalog, table: str, column: str) -> list[IndexInfo]:
    """Unique indexes of `table` that also bind deleted rows: neither the primary key nor the
    target of a foreign key (those must stay whole), nor partial on `column IS NULL`."""
    referenced = {
        tuple(fk.ref_columns)
        for fk in catalog.constraints
        if fk.type == "foreign key" and fk.ref_table == table
    }
    live = normal(f"{column} IS NULL")
    return [
        i
        for i in catalog.indexes_of(table)
        if i.unique
        and not i.primary
        and tuple(i.columns) not in referenced
        and live not in normal(i.predicate or "")
    ]


def soft_delete(claim: SoftDelete, catalog: Catalog) -> list[str]:
    tables, problems = catalog.present(claim.tables)
    for table in tables:
        if table.column(claim.column) is None:
            problems.append(f"{table.name} has no column {claim.column}")
            continue
        problems += [
            f"{table.name}: unique index {i.name} ({', '.join(i.columns)}) also binds deleted rows"
            for i in _binds_deleted(catalog, table.name, claim.column)
        ]
    live = normal(f"{claim.column} IS NULL")
    for key in claim.live_unique:
        if not any(
            i.unique and i.columns == key.columns and live in normal(i.predicate or "")
            for i in catalog.indexes_of(key.table)
        ):
            problems.append(
                f"{key.table} has no unique index on ({', '.join(key.columns)}) "
                f"WHERE {claim.column} IS NULL"
            )
    return problems


_IDENTITY = {"by default": "d", "always": "a"}


def columns(claim: ColumnsFact, catalog: Catalog) -> list[str]:
    problems = []
    for qualified in claim.columns:
        table_name, _, name = qualified.rpartition(".")
        table = catalog.table(table_name)
        column = table.column(name) if table else None
        if column is None:
            problems.append(f"no column {qualified}")
            continue
        if claim.type is not None and normal(column.type) != normal(claim.type):
            problems.append(f"{qualified} is {column.type}")
        if claim.identity is not None and column.identity != _IDENTITY[claim.identity]:
            problems.append(f"{qualified} is not GENERATED {claim.identity.upper()} AS IDENTITY")
        if claim.not_null is not None and column.not_null != claim.not_null:
            problems.append(f"{qualified} is {'NOT NULL' if column.not_null else 'nullable'}")
    return problems


def enum_types(claim: EnumTypes, catalog: Catalog) -> list[str]:
    problems = []
    for name, labels in claim.types.items():
        actual = catalog.enums.get(name)
        if actual is None:
            problems.append(f"no enum type {name}")
        elif actual != labels:
            problems.append(f"{name} has labels ({', '.join(actual)})")
    return problems


def _counted(catalog: Catalog, what: str, table: str | None) -> int:
    def mine(owner: str) -> bool:
        return table is None or owner == table

    by_type = {"foreign keys": "foreign key", "unique constraints": "unique",
               "check constraints": "check"}  # fmt: skip
    if what in by_type:
        return sum(1 for c in catalog.constraints if c.type == by_type[what] and mine(c.table))
    counts = {
        "tables": sum(1 for t in catalog.tables if mine(t)),
        "indexes": sum(1 for i in catalog.indexes if mine(i.table)),
        "policies": sum(1 for p in catalog.policies if mine(p.table)),
        "triggers": sum(1 for t in catalog.triggers if mine(t.table)),
        "functions": len(catalog.functions),
        "enum types": len(catalog.enums),
        "partitions": sum(t.partitions for t in catalog.tables.values() if mine(t.name)),
    }
    return counts[what]


def count(claim: Count, catalog: Catalog) -> list[str]:
    if claim.table is not None and catalog.table(claim.table) is None:
        return [missing(claim.table)]
    actual = _counted(catalog, claim.object, claim.table)
    where = f" on {claim.table}" if claim.table else ""
    return [] if actual == claim.value else [f"{actual:,} {claim.object}{where}"]


def _fixed_bytes(widths: list[int]) -> int:
    return sum(w for w in widths if w > 0)


def size(claim: Size, catalog: Catalog) -> list[str]:
    """The object exists, and a stated size is at least what its rows need at minimum.

    The scratch database is empty, so only a lower bound can be checked: every heap row
    costs its header, line pointer and fixed-width NOT NULL columns; every index entry its
    header, pointer and fixed-width keys.
    """
    table = catalog.table(claim.object)
    found = next((i for i in catalog.indexes if i.name == claim.object), None)
    if table is None and found is None:
        return [f"{claim.object}: no table or index of that name"]
    if claim.rows is None or claim.bytes is None:
        return []
    if table is not None:
        width = ROW_OVERHEAD + _fixed_bytes([c.fixed_width for c in table.columns if c.not_null])
    else:
        assert found is not None
        owner = catalog.table(found.table)
        keys = [owner.column(c) for c in found.columns] if owner else []
        width = INDEX_ENTRY_OVERHEAD + _fixed_bytes([k.fixed_width for k in keys if k])
    least = claim.rows * width
    if claim.bytes < least:
        return [
            f"{claim.rows:,} rows of {claim.object} need at least {least / 1024**2:,.1f} MB "
            f"({width} B each)"
        ]
    return []

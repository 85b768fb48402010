"""Describe an existing schema (parsed DDL) as a `SchemaDesign`, the shape every stage reads.

The modes that start from a schema someone already runs (optimize, scale, migrate) need no
brain to say what that schema is: the parser knows. Its DDL is kept as given, so gates and
later stages apply exactly what the user has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from agent.mode_inputs import entity_table
from agent.spec import Requirements
from agent.stages import ColumnSummary, Partitioning, SchemaDesign, TableSummary
from tools.sql.model import Schema, Table

_STRATEGIES: dict[str, Literal["range", "list", "hash"]] = {
    "RANGE": "range",
    "LIST": "list",
    "HASH": "hash",
}
_PARTITION_BY = re.compile(r"^\s*(RANGE|LIST|HASH)\s*\(\s*\"?(\w+)\"?", re.IGNORECASE)


def summarize_schema(
    schema: Schema, ddl: str, rows: Mapping[str, int], spec: Requirements | None = None
) -> SchemaDesign:
    """The schema's tables (partitions folded into their parent), types, RLS and partitioning."""
    entities = _entities(schema, spec)
    parents = [t for t in schema.tables.values() if t.partition_of is None]
    tables = [_table(schema, t, rows.get(t.name), entities.get(t.name)) for t in parents]
    skipped = [f"line {s.line}: {s.reason}" for s in schema.skipped]
    return SchemaDesign(
        ddl=ddl,
        tables=tables,
        enum_types={name: list(e.values) for name, e in schema.enums.items()},
        join_tables=[t.name for t in tables if t.kind == "join"],
        rls_tables=[t.name for t in tables if t.rls],
        partitioning=[p for t in parents if (p := _partitioning(schema, t, spec)) is not None],
        notes=[
            f"Existing schema: {len(tables)} tables, {len(schema.enums)} enum types, "
            f"{sum(len(t.indexes) for t in parents)} secondary indexes."
        ]
        + ([f"Not applied ({len(skipped)}): " + "; ".join(skipped[:5])] if skipped else []),
    )


def _entities(schema: Schema, spec: Requirements | None) -> dict[str, str]:
    """table -> spec entity, where the spec names an entity this schema stores."""
    found: dict[str, str] = {}
    for entity in spec.entities if spec else []:
        table = entity_table(entity.name, schema)
        if table is not None and entity.rows is not None:
            found[table] = entity.name
    return found


def column_references(keys: Iterable[tuple[Sequence[str], str, Sequence[str]]]) -> dict[str, str]:
    """column -> `parent.column` from (columns, parent table, parent columns) of each foreign key.

    A column's own key first: in a tenant-safe `(tenant, parent)` key the tenant column
    already names the tenant table, and the parent column is the one the pair adds.
    """
    references: dict[str, str] = {}
    for columns, parent, targets in sorted(keys, key=lambda key: len(key[0])):
        for column, target in zip(columns, targets, strict=False):
            references.setdefault(column, f"{parent}.{target}")
    return references


def _table(schema: Schema, table: Table, rows: int | None, entity: str | None) -> TableSummary:
    references = column_references(
        (fk.columns, fk.ref_table, fk.ref_columns or _primary_key(schema, fk.ref_table))
        for fk in table.foreign_keys
    )
    return TableSummary(
        name=table.name,
        kind=_kind(table),
        entity=entity,
        columns=[
            ColumnSummary(
                name=c.name,
                type=c.type,
                nullable=c.nullable and c.name not in table.primary_key,
                default=c.default,
                references=references.get(c.name),
            )
            for c in table.columns
        ],
        primary_key=list(table.primary_key),
        partitioned_by=table.partition_by,
        rls=table.row_level_security,
        estimated_rows=rows,
    )


def _primary_key(schema: Schema, name: str) -> list[str]:
    parent = schema.table(name)
    return parent.primary_key if parent else []


def _kind(table: Table) -> Literal["entity", "join"]:
    """A table keyed by exactly its two references is a many-to-many join table."""
    referencing = {c for fk in table.foreign_keys for c in fk.columns}
    key = set(table.primary_key)
    return "join" if len(key) == 2 and key <= referencing else "entity"


def _partitioning(schema: Schema, table: Table, spec: Requirements | None) -> Partitioning | None:
    match = _PARTITION_BY.match(table.partition_by or "")
    if match is None:
        return None
    children = [t.name for t in schema.tables.values() if t.partition_of == table.name]
    return Partitioning(
        table=table.name,
        column=match[2],
        strategy=_STRATEGIES[match[1].upper()],
        partitions=children,
        retention=_retention(schema, table.name, spec),
        reason="partitioned in the existing schema",
    )


def _retention(schema: Schema, table: str, spec: Requirements | None) -> str | None:
    """The spec's retention for the entity stored in `table` (the DDL cannot say it)."""
    entity = (
        next((e for e in spec.entities if entity_table(e.name, schema) == table), None)
        if spec
        else None
    )
    if spec is None or entity is None:
        return None
    if entity.retention:
        return entity.retention
    if isinstance(spec.retention, dict):
        return spec.retention.get(entity.name)
    return spec.retention

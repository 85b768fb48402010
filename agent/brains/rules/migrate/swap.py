"""A column's type changed in a way that rewrites: fill a shadow column, then swap the names.

`status text` -> `status task_status`: add `status__new task_status`, a trigger casts every
write into it, a batched backfill casts the existing rows, NOT NULL is proven by a
validated check, then one short transaction renames `status` to `status__old` and
`status__new` to `status`; the old column goes last. Indexes on the column move with the
old one, so the target's indexes on it are built again (CONCURRENTLY) after the swap.
"""

from __future__ import annotations

from dataclasses import replace

from agent.brains.rules.migrate.builder import PlanBuilder
from agent.brains.rules.migrate.diff import ColumnChange, SchemaDiff
from agent.brains.rules.migrate.not_null import not_null
from agent.brains.rules.migrations import (
    backfill,
    cast_sync_body,
    col,
    column_definition,
    drop_sync,
    helper_name,
    sync_function,
    sync_trigger,
    table_sql,
)
from agent.naming import object_name
from tools.sql.model import Column, Index, IndexElement, Schema

BRIEF = "ACCESS EXCLUSIVE, brief (catalog only)"


def swappable(current: Schema, target: Schema, change: ColumnChange) -> bool:
    """Not a key column: keys, references and unique constraints pin a column's identity."""
    for schema in (current, target):
        table = schema.table(change.table)
        if table is None:
            return False
        pinned = set(table.primary_key)
        pinned |= {c for fk in table.foreign_keys for c in fk.columns}
        pinned |= {c for u in table.uniques for c in u.columns}
        for _owner, fk in schema.referencing(change.table):
            pinned |= set(fk.ref_columns or table.primary_key)
        if change.old.name in pinned:
            return False
    return True


def retype_by_shadow(
    b: PlanBuilder, diff: SchemaDiff, current: Schema, target: Schema, change: ColumnChange
) -> None:
    table, old, new = change.table, change.old, change.new
    name = old.name
    shadow, retired = f"{name[:55]}__new", f"{name[:55]}__old"
    sync = helper_name(table, name, suffix="cast_sync")
    t = table_sql(table)
    b.change("column", "changed", f"{table}.{name}", f"{old.type} -> {new.type} (shadow column)")
    shadow_col = replace(new, name=shadow, default=None, nullable=True)
    b.add(
        "columns",
        f"add_shadow_{table}_{name}",
        [
            f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {column_definition(shadow_col)}",
            sync_function(sync, cast_sync_body(name, shadow, new.type)),
            sync_trigger(sync, table),
        ],
        [drop_sync(sync, table), f"ALTER TABLE {t} DROP COLUMN IF EXISTS {col(shadow)}"],
        lock=BRIEF,
        why=f"{new.type} values arrive in {shadow} on every write from now on",
    )
    owner = current.table(table)
    if owner is not None:
        b.add(
            "backfill",
            f"backfill_{table}_{shadow}",
            [
                backfill(
                    owner,
                    f"{col(shadow)} = {col(name)}::{new.type}",
                    f"{col(shadow)} IS NULL AND {col(name)} IS NOT NULL",
                )
            ],
            [],
            lock="ROW EXCLUSIVE; row locks one batch at a time",
            why=f"existing rows are cast into {shadow} in batches; a value the cast refuses "
            "stops the backfill with the row's error, before anything is switched",
            transactional=False,
            undo_reason=f"dropping {shadow} in its own rollback removes the copies",
        )
    if not new.nullable:
        not_null(b, table, shadow)
    _swap(b, table, old, new, shadow, retired, sync)
    _retire(b, diff, current, target, table, old, retired)


def _swap(
    b: PlanBuilder, table: str, old: Column, new: Column, shadow: str, retired: str, sync: str
) -> None:
    t, c = table_sql(table), col(old.name)
    up = [drop_sync(sync, table)]
    down: list[str] = []
    if old.default is not None:
        up.append(f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT")
    if not old.nullable:
        up.append(f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL")
    up += [
        f"ALTER TABLE {t} RENAME COLUMN {c} TO {col(retired)}",
        f"ALTER TABLE {t} RENAME COLUMN {col(shadow)} TO {c}",
    ]
    if new.default is not None:
        up.append(f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {new.default}")
        down.append(f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT")
    down += [
        f"ALTER TABLE {t} RENAME COLUMN {c} TO {col(shadow)}",
        f"ALTER TABLE {t} RENAME COLUMN {col(retired)} TO {c}",
    ]
    if not old.nullable:
        down.append(f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL")
    if old.default is not None:
        down.append(f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {old.default}")
    down += [
        sync_function(sync, cast_sync_body(old.name, shadow, new.type)),
        sync_trigger(sync, table),
    ]
    b.add(
        "switch",
        f"swap_{table}_{old.name}",
        up,
        down,
        lock=BRIEF,
        why=f"one short transaction puts the {new.type} column under the name {old.name}; "
        f"the old values stay in {retired} until the next step",
        accepted={
            "renaming-column": "the swap renames the filled shadow column into place in one "
            "transaction, after every row has been copied",
            "ban-drop-function": "the cast trigger's function is not needed after the swap",
            "ban-drop-default": f"{retired} receives no inserts after the swap",
            "ban-drop-not-null": f"{retired} receives no inserts after the swap; the new "
            f"{old.name} carries NOT NULL",
        },
    )


def _retire(
    b: PlanBuilder,
    diff: SchemaDiff,
    current: Schema,
    target: Schema,
    table: str,
    old: Column,
    retired: str,
) -> None:
    """Drop the old column (its indexes go with it) and build the target's indexes again."""
    t, c = table_sql(table), col(old.name)
    before = _indexes_on(current, table, old.name)
    after = _indexes_on(target, table, old.name)
    diff.indexes_dropped = [i for i in diff.indexes_dropped if i not in before]
    diff.indexes_added = [i for i in diff.indexes_added if i not in after]
    kept = replace(old, name=retired, nullable=True)
    restore = [
        f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {column_definition(kept)}",
        f"UPDATE {t} SET {col(retired)} = {c}::{old.type}",
        *(index_sql(i, {old.name: retired}, concurrently=False) for i in before),
    ]
    b.add(
        "drop",
        f"drop_column_{table}_{retired}",
        [f"ALTER TABLE {t} DROP COLUMN IF EXISTS {col(retired)}"],
        restore,
        lock=BRIEF,
        risk="medium",
        why=f"contract: the {old.type} values are no longer read",
        accepted={"ban-drop-column": "contract phase: the column was swapped out"},
        rollback_loses=f"the exact {old.type} values of {table}.{old.name}: the down file "
        "casts them back from the new type, exact only where that cast is",
    )
    for index in after:
        name = index_name(index)
        b.add(
            "reindex",
            f"index_{name}",
            [index_sql(index, {}, concurrently=True)],
            [f"DROP INDEX CONCURRENTLY IF EXISTS {col(name)}"],
            lock="SHARE UPDATE EXCLUSIVE (CONCURRENTLY: reads and writes go on)",
            why=f"the index on {table}.{old.name} is built again on the new type",
            transactional=False,
        )


def _indexes_on(schema: Schema, table: str, column: str) -> list[Index]:
    owner = schema.table(table)
    return [
        i
        for i in (owner.indexes if owner else [])
        if any(e.column == column or column in (e.expression or "") for e in i.elements)
    ]


def index_name(index: Index) -> str:
    """The index's name, or the one PostgreSQL would give it."""
    if index.name:
        return index.name
    words = [e.column or "expr" for e in index.elements]
    return object_name(
        index.table.rsplit(".", 1)[-1], *words, suffix="key" if index.unique else "idx"
    )


def index_sql(index: Index, rename: dict[str, str], concurrently: bool) -> str:
    """CREATE INDEX from the model, with plain columns renamed through `rename`."""
    elements = ", ".join(_element(e, rename) for e in index.elements)
    parts = ["CREATE", "UNIQUE INDEX" if index.unique else "INDEX"]
    if concurrently:
        parts.append("CONCURRENTLY")
    parts += ["IF NOT EXISTS", col(index_name(index)), "ON", table_sql(index.table)]
    if index.method != "btree":
        parts.append(f"USING {index.method}")
    parts.append(f"({elements})")
    if index.include:
        parts.append(f"INCLUDE ({', '.join(col(rename.get(c, c)) for c in index.include)})")
    if index.where:
        parts.append(f"WHERE {index.where}")
    return " ".join(parts)


def _element(element: IndexElement, rename: dict[str, str]) -> str:
    text = (
        col(rename.get(element.column, element.column))
        if element.column is not None
        else f"({element.expression})"
    )
    if element.opclass:
        text += f" {element.opclass}"
    if element.descending:
        text += " DESC"
    if element.nulls_first is not None:
        text += " NULLS FIRST" if element.nulls_first else " NULLS LAST"
    return text

"""Online steps for columns of tables both schemas keep: add, rename, retype, NOT NULL, default.

* add: a constant default is stored once (PostgreSQL 11+), so `ADD COLUMN ... DEFAULT` is
  instant; a volatile default (`now()`) is set after adding and backfilled in batches;
* NOT NULL: a `CHECK (c IS NOT NULL) NOT VALID`, validated without blocking writes, lets
  `SET NOT NULL` skip its scan; the helper check is dropped after;
* rename: add the new column, a trigger keeps old and new in step both ways, backfill,
  and the old column goes in the contract phase once no release reads it;
* retype: a binary-coercible widening is a catalog change; any other type gets a shadow
  column filled through a cast, swapped in by renaming in one short transaction.
"""

from __future__ import annotations

from agent.brains.rules.migrate.builder import PlanBuilder
from agent.brains.rules.migrate.diff import ColumnChange, SchemaDiff
from agent.brains.rules.migrate.not_null import not_null
from agent.brains.rules.migrate.swap import retype_by_shadow, swappable
from agent.brains.rules.migrations import (
    backfill,
    col,
    column_definition,
    drop_sync,
    helper_name,
    is_volatile,
    rename_sync_body,
    sync_function,
    sync_trigger,
    table_sql,
)
from tools.sql.model import Column, Schema

BRIEF = "ACCESS EXCLUSIVE, brief (catalog only)"
DROP_COLUMN_WHY = "no release reads or writes it any more"


def column_steps(b: PlanBuilder, diff: SchemaDiff, current: Schema, target: Schema) -> None:
    for table, column in diff.columns_added:
        add_column(b, current, table, column)
    for change in diff.renamed:
        rename_column(b, current, change)
    for change in diff.changed:
        change_column(b, diff, current, target, change)


def add_column(b: PlanBuilder, current: Schema, table: str, column: Column) -> None:
    t, c = table_sql(table), col(column.name)
    b.change("column", "added", f"{table}.{column.name}", column.type)
    volatile = is_volatile(column.default)
    rewrites = column.identity or column.generated is not None
    instant_not_null = not column.nullable and column.default is not None and not volatile
    b.add(
        "columns",
        f"add_column_{table}_{column.name}",
        [
            f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS "
            f"{column_definition(column, not volatile, instant_not_null)}"
        ],
        [f"ALTER TABLE {t} DROP COLUMN IF EXISTS {c}"],
        lock="ACCESS EXCLUSIVE for a full rewrite" if rewrites else BRIEF,
        why="identity and generated columns fill every existing row: schedule it"
        if rewrites
        else "a new column without a volatile default is a catalog change",
        online=not rewrites,
        risk="high" if rewrites else "low",
    )
    if volatile:
        _volatile_default(b, current, table, column)
    if not column.nullable and not instant_not_null and not rewrites:
        if column.default is None:
            b.notes.append(
                f"{table}.{column.name} is NOT NULL without a default: existing rows need a value "
                "before its NOT NULL step (validation fails, changing nothing, until they have one)"
            )
        not_null(b, table, column.name)


def _volatile_default(b: PlanBuilder, current: Schema, table: str, column: Column) -> None:
    t, c = table_sql(table), col(column.name)
    b.add(
        "columns",
        f"set_default_{table}_{column.name}",
        [f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {column.default}"],
        [f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"],
        lock=BRIEF,
        why=f"{column.default} is volatile: set after adding, so existing rows are not rewritten",
    )
    owner = current.table(table)
    if owner is not None and not column.nullable:
        b.add(
            "backfill",
            f"backfill_{table}_{column.name}",
            [backfill(owner, f"{c} = {column.default}", f"{c} IS NULL")],
            [],
            lock="ROW EXCLUSIVE; row locks one batch at a time",
            why="existing rows get the default in batches, each its own transaction",
            transactional=False,
            undo_reason="the column's own rollback drops the backfilled values",
        )


def rename_column(b: PlanBuilder, current: Schema, change: ColumnChange) -> None:
    table, old, new = change.table, change.old, change.new
    t, sync = table_sql(table), helper_name(table, new.name, suffix="sync")
    b.change("column", "renamed", f"{table}.{old.name}", f"-> {new.name} (add, copy, switch, drop)")
    b.add(
        "columns",
        f"add_column_{table}_{new.name}",
        [
            f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS "
            f"{column_definition(new, not is_volatile(new.default))}",
            sync_function(sync, rename_sync_body(old.name, new.name)),
            sync_trigger(sync, table),
        ],
        [drop_sync(sync, table), f"ALTER TABLE {t} DROP COLUMN IF EXISTS {col(new.name)}"],
        lock=BRIEF,
        why=f"{new.name} replaces {old.name}; a trigger keeps both in step while old and new "
        "releases run side by side",
    )
    owner = current.table(table)
    if owner is not None:
        o, n = col(old.name), col(new.name)
        b.add(
            "backfill",
            f"copy_{table}_{old.name}_to_{new.name}",
            [backfill(owner, f"{n} = {o}", f"{n} IS NULL AND {o} IS NOT NULL")],
            [],
            lock="ROW EXCLUSIVE; row locks one batch at a time",
            why=f"existing rows get {new.name} copied from {old.name} in batches",
            transactional=False,
            undo_reason=f"dropping {new.name} in its own rollback removes the copies",
        )
    if not new.nullable:
        not_null(b, table, new.name)
    restore = [f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {column_definition(old)}"]
    restore.append(f"UPDATE {t} SET {col(old.name)} = {col(new.name)}")
    if not old.nullable:
        restore.append(f"ALTER TABLE {t} ALTER COLUMN {col(old.name)} SET NOT NULL")
    b.add(
        "drop",
        f"drop_column_{table}_{old.name}",
        [drop_sync(sync, table), f"ALTER TABLE {t} DROP COLUMN IF EXISTS {col(old.name)}"],
        [
            *restore,
            sync_function(sync, rename_sync_body(old.name, new.name)),
            sync_trigger(sync, table),
        ],
        lock=BRIEF,
        why=f"contract: {old.name} is replaced by {new.name} and {DROP_COLUMN_WHY}",
        accepted={
            "ban-drop-column": f"contract phase: {DROP_COLUMN_WHY}",
            "ban-drop-function": "the sync trigger's function is not needed once the old "
            "column is gone",
        },
    )


def change_column(
    b: PlanBuilder, diff: SchemaDiff, current: Schema, target: Schema, change: ColumnChange
) -> None:
    table, old, new = change.table, change.old, change.new
    if change.retyped and not widening(old, new):
        if swappable(current, target, change):
            retype_by_shadow(b, diff, current, target, change)
        else:
            diff.unsupported.append(
                f"type of {table}.{old.name} ({old.type} -> {new.type}): it is part of a key; "
                "migrate it with a new table or in a maintenance window"
            )
        return
    t, c = table_sql(table), col(old.name)
    if change.retyped:
        b.change("column", "changed", f"{table}.{old.name}", f"{old.type} -> {new.type}")
        b.add(
            "columns",
            f"widen_{table}_{old.name}",
            [f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {new.type}"],
            [f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {old.type}"],
            lock=BRIEF,
            why=f"{old.type} -> {new.type} is binary coercible: no rewrite, no index rebuild",
            accepted={"changing-column-type": "a widening PostgreSQL applies without rewrite"},
        )
    if change.default:
        _default(b, table, old, new)
    if change.nullability:
        b.change(
            "column",
            "changed",
            f"{table}.{old.name}",
            "NOT NULL" if not new.nullable else "NULL allowed",
        )
        if new.nullable:
            b.add(
                "columns",
                f"drop_not_null_{table}_{old.name}",
                [f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL"],
                [f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"],
                lock=BRIEF,
                why="allowing NULL is a catalog change",
            )
        else:
            not_null(b, table, old.name)


def default_change(old: str | None, new: str | None) -> str:
    """`default added: now()`, `default dropped (was 'open')`, `default 'open' -> 'paid'`."""
    if old is None:
        return f"default added: {new}"
    if new is None:
        return f"default dropped (was {old})"
    return f"default {old} -> {new}"


def _default(b: PlanBuilder, table: str, old: Column, new: Column) -> None:
    t, c = table_sql(table), col(old.name)
    b.change("column", "changed", f"{table}.{old.name}", default_change(old.default, new.default))
    set_new = f"SET DEFAULT {new.default}" if new.default is not None else "DROP DEFAULT"
    set_old = f"SET DEFAULT {old.default}" if old.default is not None else "DROP DEFAULT"
    b.add(
        "columns",
        f"default_{table}_{old.name}",
        [f"ALTER TABLE {t} ALTER COLUMN {c} {set_new}"],
        [f"ALTER TABLE {t} ALTER COLUMN {c} {set_old}"],
        lock=BRIEF,
        why="a default only applies to rows inserted later: a catalog change",
    )


def widening(old: Column, new: Column) -> bool:
    """Type changes PostgreSQL makes without rewriting the table or rebuilding its indexes."""
    if old.is_array or new.is_array:
        return False
    pair = (old.base_type, new.base_type)
    if pair in (("varchar", "text"), ("text", "varchar")):
        return not new.type_mods
    if pair == ("varchar", "varchar"):
        return not new.type_mods or bool(old.type_mods and new.type_mods[0] >= old.type_mods[0])
    if pair == ("numeric", "numeric"):
        if not new.type_mods:
            return True
        return len(old.type_mods) == len(new.type_mods) == 2 and (
            new.type_mods[0] >= old.type_mods[0] and new.type_mods[1] == old.type_mods[1]
        )
    return False

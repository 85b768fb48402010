"""Exclusion constraints added to or dropped from kept tables: constraints, not indexes.

The schema model sees an EXCLUDE constraint as the GiST index that enforces it; built as a
plain index it would accept the very rows the constraint exists to refuse, and dropped as
one PostgreSQL refuses (the constraint owns it). So these are `ALTER TABLE ... ADD
CONSTRAINT ... EXCLUDE` and `DROP CONSTRAINT`. Adding one has no online form: no NOT VALID,
no CONCURRENTLY, no USING INDEX; the table is locked while the index is built and every row
checked, and rows that already overlap make it fail. The plan says so instead of hiding it.
A constraint whose definition changes under the same name (a `where` added, soft delete
switched on) is replaced in one step: dropped and added in one transaction, so no moment
passes without the rule and the name is free when the new one is added.
"""

from __future__ import annotations

from agent.brains.rules.migrate.builder import PlanBuilder
from agent.brains.rules.migrate.diff import SchemaDiff
from agent.brains.rules.migrate.swap import index_name
from agent.brains.rules.migrations.sql import col, table_sql
from tools.sql.model import Index

LOCK = (
    "ACCESS EXCLUSIVE while the index is built and every row checked (an exclusion "
    "constraint has no NOT VALID or CONCURRENTLY form)"
)


def exclusion_steps(b: PlanBuilder, diff: SchemaDiff) -> None:
    """Plan the exclusion constraints of the diff, and take them out of its index lists."""
    added = [i for i in diff.indexes_added if i.exclusion]
    dropped = [i for i in diff.indexes_dropped if i.exclusion]
    diff.indexes_added = [i for i in diff.indexes_added if not i.exclusion]
    diff.indexes_dropped = [i for i in diff.indexes_dropped if not i.exclusion]
    old_by_name = {(i.table, index_name(i)): i for i in dropped}
    replaced = {key: i for i in added if (key := (i.table, index_name(i))) in old_by_name}
    for key, index in replaced.items():
        _replace(b, old_by_name[key], index)
    added = [i for i in added if (i.table, index_name(i)) not in replaced]
    dropped = [i for i in dropped if (i.table, index_name(i)) not in replaced]
    for index in added:
        name = index_name(index)
        b.change("constraint", "added", f"{index.table}.{name}", "exclusion")
        b.notes.append(
            f"{index.table}.{name}: adding an exclusion constraint blocks reads and writes of "
            f"{index.table} while it is built, and fails if rows already overlap: find and "
            "resolve them first, then run the step in a quiet window"
        )
        b.add(
            "indexes",
            f"exclusion_{name}",
            [_add(index)],
            [_drop(index)],
            lock=LOCK,
            why="the database refuses overlapping rows itself, under any concurrency",
            risk="high",
            online=False,
            accepted={
                "constraint-missing-not-valid": "PostgreSQL has no NOT VALID form of an "
                "exclusion constraint; the lock is named in this step and in the notes"
            },
        )
    for index in dropped:
        name = index_name(index)
        b.change("constraint", "dropped", f"{index.table}.{name}", "exclusion")
        b.add(
            "drop",
            f"drop_exclusion_{name}",
            [_drop(index)],
            [_add(index)],
            lock="ACCESS EXCLUSIVE, brief (catalog only)",
            why="contract: the target schema no longer refuses overlapping rows",
            accepted={"ban-drop-constraint": "the target schema drops this exclusion on purpose"},
        )


def _replace(b: PlanBuilder, old: Index, new: Index) -> None:
    name = index_name(new)
    b.change("constraint", "changed", f"{new.table}.{name}", "exclusion")
    b.notes.append(
        f"{new.table}.{name}: the exclusion constraint is replaced (now {new.exclude_clause()}); "
        f"the table is locked while the new one is built, and the step fails if rows overlap "
        "under the new definition, its rollback if they overlap under the old one"
    )
    b.add(
        "indexes",
        f"replace_exclusion_{name}",
        [_drop(old), _add(new)],
        [_drop(new), _add(old)],
        lock=LOCK,
        why="the rule's definition changed; drop and add run in one transaction, so the "
        "table is never without it",
        risk="high",
        online=False,
        accepted={
            "constraint-missing-not-valid": "PostgreSQL has no NOT VALID form of an "
            "exclusion constraint; the lock is named in this step and in the notes",
            "ban-drop-constraint": "the constraint is added back, changed, in the same transaction",
        },
    )


def _add(index: Index) -> str:
    return (
        f"ALTER TABLE {table_sql(index.table)} ADD CONSTRAINT {col(index_name(index))} "
        f"{index.exclude_clause()}"
    )


def _drop(index: Index) -> str:
    return (
        f"ALTER TABLE {table_sql(index.table)} DROP CONSTRAINT IF EXISTS {col(index_name(index))}"
    )

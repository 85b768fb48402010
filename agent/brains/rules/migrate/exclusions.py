"""Exclusion constraints added to or dropped from kept tables: constraints, not indexes.

The schema model sees an EXCLUDE constraint as the GiST index that enforces it; built as a
plain index it would accept the very rows the constraint exists to refuse, and dropped as
one PostgreSQL refuses (the constraint owns it). So these are `ALTER TABLE ... ADD
CONSTRAINT ... EXCLUDE` and `DROP CONSTRAINT`. Adding one has no online form: no NOT VALID,
no CONCURRENTLY, no USING INDEX; the table is locked while the index is built and every row
checked, and rows that already overlap make it fail. The plan says so instead of hiding it.
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


def _add(index: Index) -> str:
    return (
        f"ALTER TABLE {table_sql(index.table)} ADD CONSTRAINT {col(index_name(index))} "
        f"{index.exclude_clause()}"
    )


def _drop(index: Index) -> str:
    return (
        f"ALTER TABLE {table_sql(index.table)} DROP CONSTRAINT IF EXISTS {col(index_name(index))}"
    )

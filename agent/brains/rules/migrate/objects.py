"""Steps for what the target adds: types, tables, constraints, indexes, triggers, policies, views.

New objects are planned by the same `StepPlanner` that writes a new design's migrations
(foreign keys and checks NOT VALID then validated, indexes CONCURRENTLY, re-runnable
statements with their rollbacks), fed only the target statements the current schema lacks.
Enum values, unique constraints and row-level security on kept tables are planned here.
"""

from __future__ import annotations

from collections.abc import Sequence

from pglast import ast

from agent.brains.rules.migrate.builder import Bucket, PlanBuilder
from agent.brains.rules.migrate.diff import SchemaDiff, normalise
from agent.brains.rules.migrate.drops import check_name, fk_name, fk_sql, unique_name
from agent.brains.rules.migrations import (
    GROUPS,
    Group,
    Step,
    StepPlanner,
    col,
    describe,
    qualified,
    table_key,
    table_sql,
)
from tools.sql import pgparse
from tools.sql.model import Schema, Statement
from tools.sql.nodes import quote_literal

_BUCKETS: dict[Group, Bucket] = {
    "types": "types", "tables": "tables", "partitions": "tables",
    "constraints": "constraints", "validate": "validate", "indexes": "indexes",
    "rls": "objects", "triggers": "objects", "views": "objects",
}  # fmt: skip
_LOCKS: dict[Group, str] = {
    "types": "none on tables",
    "tables": "ACCESS EXCLUSIVE on the new, empty tables only",
    "partitions": "ACCESS EXCLUSIVE on the new partitions only",
    "constraints": "SHARE ROW EXCLUSIVE, brief (NOT VALID: existing rows are not scanned)",
    "validate": "SHARE UPDATE EXCLUSIVE (reads and writes go on)",
    "indexes": "SHARE UPDATE EXCLUSIVE (CONCURRENTLY: reads and writes go on)",
    "rls": "ACCESS EXCLUSIVE, brief",
    "triggers": "SHARE ROW EXCLUSIVE, brief",
    "views": "ACCESS EXCLUSIVE on the view only",
}
_TYPE_KINDS = ("CreateEnumStmt", "CreateDomainStmt", "CompositeTypeStmt")


def new_object_steps(b: PlanBuilder, diff: SchemaDiff, target: Schema) -> None:
    planner = StepPlanner()
    for statement in target.statements:
        if _added(statement, diff):
            planner.plan(statement.sql)
    for table, fk in diff.foreign_added:
        b.change("constraint", "added", f"{table}.{fk_name(table, fk)}", "foreign key")
        planner.plan(_add_constraint(table, fk_name(table, fk), fk_sql(fk)))
    for table, check in diff.checks_added:
        b.change("constraint", "added", f"{table}.{check_name(table, check)}", "check")
        planner.plan(
            _add_constraint(table, check_name(table, check), f"CHECK ({check.expression})")
        )
    for group, (label, purpose, transactional) in GROUPS.items():
        steps = [s for s in planner.steps if s.group == group]
        if steps:
            _add_group(b, group, label, purpose, transactional, steps)
    _record(b, diff)


def _added(statement: Statement, diff: SchemaDiff) -> bool:
    node = pgparse.parse_sql(statement.sql)[0].stmt
    tables = {t.name for t in diff.tables_added}
    if statement.kind in _TYPE_KINDS:
        return _type_name(node) in diff.enums_added
    if isinstance(node, ast.CreateStmt | ast.AlterTableStmt):
        return table_key(node.relation) in tables
    if isinstance(node, ast.IndexStmt):
        added = {(i.table, i.line) for i in diff.indexes_added}
        return (
            table_key(node.relation) in tables
            or (table_key(node.relation), statement.line) in added
        )
    return normalise(statement.sql) in {normalise(s) for s in diff.statements_added}


def _type_name(node: ast.Node | None) -> str | None:
    if isinstance(node, ast.CreateEnumStmt):
        return qualified(node.typeName).replace('"', "")
    if isinstance(node, ast.CreateDomainStmt):
        return qualified(node.domainname).replace('"', "")
    return None


def _add_constraint(table: str, name: str, definition: str) -> str:
    return f"ALTER TABLE {table_sql(table)} ADD CONSTRAINT {col(name)} {definition}"


def _add_group(
    b: PlanBuilder,
    group: Group,
    label: str,
    purpose: str,
    transactional: bool,
    steps: Sequence[Step],
) -> None:
    downs = [s.down for s in reversed(steps) if s.down is not None]
    b.add(
        _BUCKETS[group],
        label,
        [s.up for s in steps],
        downs,
        lock=_LOCKS[group],
        why=purpose,
        transactional=transactional,
        undo_reason="the rollback of the step that created these objects removes them",
    )


def _record(b: PlanBuilder, diff: SchemaDiff) -> None:
    """The changes list: what each new-object step brings, by kind and name."""
    for table in diff.tables_added:
        b.change("table", "added", table.name, f"{len(table.columns)} columns")
    for enum in diff.enums_added:
        b.change("type", "added", enum)
    for index in diff.indexes_added:
        b.change("index", "added", index.name or index.table, ", ".join(index.keys))
    for sql in diff.statements_added:
        kind, name = describe(sql)
        b.change(kind, "added", name)


def enum_value_steps(b: PlanBuilder, diff: SchemaDiff, current: Schema) -> None:
    """`ALTER TYPE ... ADD VALUE` in place; the rollback rebuilds the type without them."""
    added: dict[str, list[tuple[str, str | None]]] = {}
    for enum, value, before in diff.enum_values:
        added.setdefault(enum, []).append((value, before))
    for enum, values in added.items():
        b.change("type", "changed", enum, "values added: " + ", ".join(v for v, _ in values))
        up = [
            f"ALTER TYPE {table_sql(enum)} ADD VALUE IF NOT EXISTS {quote_literal(v)}"
            + (f" BEFORE {quote_literal(w)}" if w else "")
            for v, w in values
        ]
        b.add(
            "types",
            f"add_values_{enum}",
            up,
            _rebuild_enum(enum, current),
            lock="none on tables (a catalog change; the new value is usable once committed)",
            why="new enum values are appended in place; existing rows are untouched",
        )


def _rebuild_enum(enum: str, current: Schema) -> list[str]:
    old = current.enums[enum]
    name, retired = table_sql(enum), table_sql(f"{enum}__old")
    down = [f"ALTER TYPE {name} RENAME TO {col(enum.rsplit('.', 1)[-1] + '__old')}"]
    down.append(f"CREATE TYPE {name} AS ENUM ({', '.join(quote_literal(v) for v in old.values)})")
    for table in current.tables.values():
        for column in table.columns:
            if column.type != enum:
                continue
            t, c = table_sql(table.name), col(column.name)
            if column.default is not None:
                down.append(f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT")
            down.append(f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {name} USING {c}::text::{name}")
            if column.default is not None:
                down.append(f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {column.default}")
    down.append(f"DROP TYPE {retired}")
    return down


def unique_steps(b: PlanBuilder, diff: SchemaDiff, target: Schema) -> None:
    """A unique constraint on a kept table: its index CONCURRENTLY, then the constraint on it.

    One that a new foreign key references (a tenant key `(company_id, id)`) is built in the
    expand phase, before the foreign keys that need it; others wait for the backfills.
    """
    referenced = {
        (fk.ref_table, tuple(fk.ref_columns))
        for t in target.tables.values()
        for fk in t.foreign_keys
    }
    for table, unique in diff.unique_added:
        t, name = table_sql(table), col(unique_name(table, unique))
        bucket: Bucket = "columns" if (table, tuple(unique.columns)) in referenced else "indexes"
        b.change("constraint", "added", f"{table}.{unique_name(table, unique)}", "unique")
        columns = ", ".join(col(c) for c in unique.columns)
        b.add(
            bucket,
            f"unique_index_{unique_name(table, unique)}",
            [f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {t} ({columns})"],
            [f"DROP INDEX CONCURRENTLY IF EXISTS {name}"],
            lock=_LOCKS["indexes"],
            why="the unique index is built without blocking writes",
            transactional=False,
        )
        b.add(
            bucket,
            f"unique_constraint_{unique_name(table, unique)}",
            [f"ALTER TABLE {t} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}"],
            [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {name}"],
            lock="ACCESS EXCLUSIVE, brief (the index already exists)",
            why="the constraint adopts the finished index: no second scan",
        )


def rls_steps(b: PlanBuilder, diff: SchemaDiff) -> None:
    for table in diff.rls_enabled:
        t = table_sql(table)
        b.change("table", "changed", table, "row-level security enabled")
        b.notes.append(
            f"row-level security on {table}: deploy the release that sets the tenant setting "
            "on every connection before this step, or the table looks empty to it"
        )
        b.add(
            "objects",
            f"enable_rls_{table}",
            [f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"],
            [f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY"],
            lock="ACCESS EXCLUSIVE, brief",
            why="the policies created before it now apply to every query on the table",
        )
    _force_steps(b, diff)
    for table in diff.rls_disabled:
        t = table_sql(table)
        b.change("table", "changed", table, "row-level security disabled")
        b.add(
            "drop",
            f"disable_rls_{table}",
            [f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY"],
            [f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"],
            lock="ACCESS EXCLUSIVE, brief",
            why="the target schema does not isolate rows of this table by policy",
        )


def _force_steps(b: PlanBuilder, diff: SchemaDiff) -> None:
    """FORCE once the backfills are done (they run as the owner, whom FORCE would filter):
    the first step of the contract phase; NO FORCE among the drops."""
    for table in diff.rls_forced:
        t = table_sql(table)
        b.change("table", "changed", table, "row-level security forced")
        b.notes.append(
            f"row-level security forced on {table}: from this step the owner is filtered too; "
            "run later backfills per tenant or as a role with BYPASSRLS"
        )
        b.add(
            "switch",
            f"force_rls_{table}",
            [f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY"],
            [f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY"],
            lock="ACCESS EXCLUSIVE, brief",
            why="the table owner, too, sees only the rows the policies admit",
        )
    for table in diff.rls_unforced:
        t = table_sql(table)
        b.change("table", "changed", table, "row-level security no longer forced")
        b.add(
            "drop",
            f"unforce_rls_{table}",
            [f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY"],
            [f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY"],
            lock="ACCESS EXCLUSIVE, brief",
            why="the target schema lets the table owner bypass the policies",
        )

"""The contract phase: what the target no longer has goes, once nothing reads it, in safe order.

Views, triggers and policies first, then constraints and indexes (`DROP INDEX
CONCURRENTLY`), then columns, tables and finally types. Every drop's rollback recreates
the object from the current schema's own definition. A column or table that holds data is
not dropped in the contract phase: it is renamed aside (`__retired`), which keeps its
values and makes a rollback lossless; the DROP comes in a last `purge` step that refuses
to run unless the session allows data loss on purpose, and says what its rollback cannot
bring back.
"""

from __future__ import annotations

from dataclasses import replace

from pglast import ast

from agent.brains.rules.migrate.builder import PlanBuilder
from agent.brains.rules.migrate.diff import SchemaDiff
from agent.brains.rules.migrate.swap import index_name, index_sql
from agent.brains.rules.migrations import (
    StepPlanner,
    col,
    column_definition,
    data_loss_guard,
    describe,
    table_key,
    table_sql,
)
from agent.naming import RETIRED_SUFFIX
from tools.sql import pgparse
from tools.sql.model import CheckConstraint, ForeignKey, Schema, UniqueConstraint

BRIEF = "ACCESS EXCLUSIVE, brief (catalog only)"
LOST = "the data is gone: only the backup taken before the purge has it"


def drop_steps(b: PlanBuilder, diff: SchemaDiff, current: Schema) -> None:
    _statements(b, diff)
    for table, fk in diff.foreign_dropped:
        _drop_constraint(b, table, fk_name(table, fk), fk_sql(fk), "foreign key")
    for table, unique in diff.unique_dropped:
        _drop_constraint(b, table, unique_name(table, unique), unique_sql(unique), "unique")
    for table, check in diff.checks_dropped:
        _drop_constraint(b, table, check_name(table, check), f"CHECK ({check.expression})", "check")
    for index in diff.indexes_dropped:
        _drop_index(b, index.table, index_name(index), index_sql(index, {}, concurrently=True))
    for table, column in diff.columns_dropped:
        _drop_column(b, current, table, column.name)
    for dropped in diff.tables_dropped:
        _drop_table(b, current, dropped.name)
    for enum in diff.enums_dropped:
        b.change("type", "dropped", enum)
        b.add(
            "drop",
            f"drop_type_{enum}",
            [f"DROP TYPE IF EXISTS {table_sql(enum)}"],
            [_create_statement(current, "CreateEnumStmt", enum)],
            lock="none on tables (no column uses the type any more)",
            why="contract: no column has this type any more",
        )


def _statements(b: PlanBuilder, diff: SchemaDiff) -> None:
    """Triggers, policies, views and functions the target lacks: their CREATE is the rollback."""
    for sql in diff.statements_dropped:
        planner = StepPlanner()
        planner.plan(sql)
        for step in planner.steps:
            if step.down is None:
                continue  # a comment: nothing to drop
            kind, name = describe(sql)
            b.change(kind, "dropped", name)
            b.add(
                "drop",
                f"drop_{step.group}",
                [step.down],
                [step.up],
                lock="ACCESS EXCLUSIVE on the table, brief" if step.group != "types" else "none",
                why="contract: the target schema no longer has it",
                accepted={
                    "ban-drop-function": "the target schema no longer has the function",
                    "ban-drop-view": "the target schema no longer has the view",
                    "ban-drop-extension": "the target schema no longer uses the extension",
                },
            )


def _drop_constraint(b: PlanBuilder, table: str, name: str, definition: str, kind: str) -> None:
    t = table_sql(table)
    b.change("constraint", "dropped", f"{table}.{name}", kind)
    b.add(
        "drop",
        f"drop_constraint_{name}",
        [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {col(name)}"],
        [f"ALTER TABLE {t} ADD CONSTRAINT {col(name)} {definition}"],
        lock=BRIEF,
        why=f"contract: the target has no such {kind}",
        accepted={"ban-drop-constraint": f"the target schema drops this {kind} on purpose"},
    )


def _drop_index(b: PlanBuilder, table: str, name: str, create: str) -> None:
    b.change("index", "dropped", name, table)
    b.add(
        "drop",
        f"drop_index_{name}",
        [f"DROP INDEX CONCURRENTLY IF EXISTS {col(name)}"],
        [create],
        lock="SHARE UPDATE EXCLUSIVE (CONCURRENTLY: reads and writes go on)",
        why="contract: no target query needs it, and every write pays for it",
        transactional=False,
    )


def _drop_column(b: PlanBuilder, current: Schema, table: str, name: str) -> None:
    """Rename the column aside (its values stay, a rollback renames it back); the DROP is a
    later step that refuses to run unless data loss is allowed on purpose."""
    owner = current.table(table)
    column = owner.column(name) if owner else None
    if column is None:
        return
    t, aside = table_sql(table), f"{name[:53]}{RETIRED_SUFFIX}"
    b.change("column", "dropped", f"{table}.{name}", column.type)
    up = [f"ALTER TABLE {t} RENAME COLUMN {col(name)} TO {col(aside)}"]
    down = [f"ALTER TABLE {t} RENAME COLUMN {col(aside)} TO {col(name)}"]
    if not column.nullable:
        up.insert(0, f"ALTER TABLE {t} ALTER COLUMN {col(name)} DROP NOT NULL")
        down.append(f"ALTER TABLE {t} ALTER COLUMN {col(name)} SET NOT NULL")
    b.add(
        "drop",
        f"retire_column_{table}_{name}",
        up,
        down,
        lock=BRIEF,
        risk="high",
        why=f"contract: the target has no {name}; it is renamed to {aside} with its values, "
        "so a release that still reads it fails loudly and a rollback loses nothing",
        accepted={
            "renaming-column": f"{name} leaves the schema; renaming keeps its values",
            "ban-drop-not-null": f"{aside} receives no writes any more",
        },
    )
    kept = replace(column, name=aside, nullable=True)
    _purge(
        b,
        f"purge_column_{table}_{aside}",
        f"the values of {table}.{name}",
        f"ALTER TABLE {t} DROP COLUMN IF EXISTS {col(aside)}",
        [f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {column_definition(kept)}"],
        ("ban-drop-column", "re-adds the column empty"),
    )


def _drop_table(b: PlanBuilder, current: Schema, table: str) -> None:
    """Rename the table aside with its rows; the DROP is a later step run on purpose."""
    b.change("table", "dropped", table)
    aside = f"{table.rsplit('.', 1)[-1][:53]}{RETIRED_SUFFIX}"
    retired = table_sql(aside if "." not in table else f"{table.rsplit('.', 1)[0]}.{aside}")
    recreate = [
        s.sql
        for s in current.statements
        if s.kind in ("CreateStmt", "AlterTableStmt", "IndexStmt") and _names_table(s.sql, table)
    ]
    b.add(
        "drop",
        f"retire_table_{table}",
        [f"ALTER TABLE {table_sql(table)} RENAME TO {col(aside)}"],
        [f"ALTER TABLE {retired} RENAME TO {col(table.rsplit('.', 1)[-1])}"],
        lock="ACCESS EXCLUSIVE on the table, brief (catalog only)",
        risk="high",
        why=f"contract: the target has no {table}; it is renamed to {aside} with its rows, so "
        "a release that still uses it fails loudly and a rollback loses nothing",
        accepted={"renaming-table": f"{table} leaves the schema; renaming keeps its rows"},
    )
    _purge(
        b,
        f"purge_table_{table}",
        f"every row of {table}",
        f"DROP TABLE IF EXISTS {retired}",
        [*recreate, f"ALTER TABLE {table_sql(table)} RENAME TO {col(aside)}"],
        ("ban-drop-table", "re-creates the table empty"),
    )


def _purge(
    b: PlanBuilder,
    name: str,
    what: str,
    drop: str,
    restore: list[str],
    rule_and_undo: tuple[str, str],
) -> None:
    """The last step for retired data: guarded, high risk, and honest about its rollback."""
    rule, undo = rule_and_undo
    b.add(
        "purge",
        name,
        [data_loss_guard(what), drop],
        restore,
        lock="ACCESS EXCLUSIVE on the retired object, brief",
        risk="high",
        why=f"destroys {what} (retired): run it on purpose once no rollback past the contract "
        "phase can be needed",
        accepted={rule: f"run on purpose; {LOST}"},
        on_purpose=True,
        rollback_loses=f"{what}: the down file {undo}",
    )


def _names_table(sql: str, table: str) -> bool:
    stmt = pgparse.parse_sql(sql)[0].stmt
    relation = getattr(stmt, "relation", None)
    return isinstance(relation, ast.RangeVar) and table_key(relation) == table


def _create_statement(current: Schema, kind: str, name: str) -> str:
    for statement in current.statements:
        if statement.kind == kind and name in statement.sql:
            return statement.sql
    return f"-- {name}: its definition was not found in the current schema"


def fk_sql(fk: ForeignKey) -> str:
    refs = f" ({', '.join(col(c) for c in fk.ref_columns)})" if fk.ref_columns else ""
    text = (
        f"FOREIGN KEY ({', '.join(col(c) for c in fk.columns)}) "
        f"REFERENCES {table_sql(fk.ref_table)}{refs}"
    )
    if fk.on_delete != "NO ACTION":
        text += f" ON DELETE {fk.on_delete}"
    if fk.on_update != "NO ACTION":
        text += f" ON UPDATE {fk.on_update}"
    return text


def unique_sql(unique: UniqueConstraint) -> str:
    return f"UNIQUE ({', '.join(col(c) for c in unique.columns)})"


def fk_name(table: str, fk: ForeignKey) -> str:
    return fk.name or _default_name(table, fk.columns, "fkey")


def unique_name(table: str, unique: UniqueConstraint) -> str:
    return unique.name or _default_name(table, unique.columns, "key")


def check_name(table: str, check: CheckConstraint) -> str:
    """PostgreSQL names a single-column check after the column, any other `<table>_check`."""
    return check.name or _default_name(
        table, check.columns[:1] if len(check.columns) == 1 else [], "check"
    )


def _default_name(table: str, columns: list[str], suffix: str) -> str:
    return "_".join([table.rsplit(".", 1)[-1], *columns, suffix])[:63]

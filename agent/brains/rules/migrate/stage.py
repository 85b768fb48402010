"""The rules brain's migrate stage: a zero-downtime plan from the current to the target schema.

Both schemas are parsed into the typed model and diffed object by object
(`diff`); each difference becomes online steps with their rollbacks (new objects
in `objects`, columns in `columns`, exclusion constraints in
`exclusions`, drops in `drops`), and the
builder orders them expand -> backfill -> contract. What no online step can do (a changed
primary key, partitioning an existing table, values removed from an enum) is named in the
plan's notes instead of being attempted.
"""

from __future__ import annotations

from agent.brains.rules.migrate.builder import PlanBuilder
from agent.brains.rules.migrate.columns import column_steps
from agent.brains.rules.migrate.diff import diff_schemas
from agent.brains.rules.migrate.drops import drop_steps
from agent.brains.rules.migrate.exclusions import exclusion_steps
from agent.brains.rules.migrate.objects import (
    enum_value_steps,
    new_object_steps,
    rls_steps,
    unique_steps,
)
from agent.stages import MigrationPlan
from tools.sql.parse import parse_schema

ASSUMPTIONS = [
    "PostgreSQL 12 or later (validated CHECK lets SET NOT NULL skip its scan; "
    "ALTER TYPE ... ADD VALUE runs inside a transaction).",
    "Each file runs as psql runs it: statements in autocommit, the file's own BEGIN/COMMIT "
    "making its transaction; files without BEGIN (CONCURRENTLY, batched backfills) must not "
    "be wrapped in one by the migration tool.",
    "Between the expand and the contract phase the application is deployed in two steps: a "
    "release that writes both shapes, then one that reads only the new shape.",
]


def plan_migration(current_ddl: str, target_ddl: str) -> MigrationPlan:
    current = parse_schema(current_ddl, file="current.sql")
    target = parse_schema(target_ddl, file="target.sql")
    diff = diff_schemas(current, target)
    builder = PlanBuilder()
    column_steps(builder, diff, current, target)  # first: a retyped column claims its indexes
    exclusion_steps(builder, diff)  # before the index steps: these are constraints
    new_object_steps(builder, diff, target)
    enum_value_steps(builder, diff, current)
    unique_steps(builder, diff, target)
    rls_steps(builder, diff)
    drop_steps(builder, diff, current)
    notes = [*builder.notes]
    notes += [
        f"{name}: its values were removed or reordered; not planned" for name in diff.enums_rebuilt
    ]
    notes += [f"not planned: {problem}" for problem in diff.unsupported]
    if not builder.ordered():
        notes.append("the current schema already matches the target: nothing to migrate")
    return MigrationPlan(
        changes=builder.changes, steps=builder.ordered(), notes=notes, assumptions=ASSUMPTIONS
    )

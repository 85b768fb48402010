"""Migration files, for a design and for a migrate plan: the design's DDL as ordered
`NNNN_name` up/down files (`plan`), a migrate plan as files (`files`), statements sorted into
steps with their undo (`steps`), the SQL pieces of online steps (`sql`) and of names
(`names`), and the check a deployment would make (`check`: squawk and a real apply).

May import the package model, the stages and `tools.sql`; it imports nothing of the migrate
stage, which builds on it (as do the engine, the migrate gate and the report).
"""

from agent.brains.rules.migrations.check import apply_migration, lint_migrations
from agent.brains.rules.migrations.files import migration_files
from agent.brains.rules.migrations.names import qualified, table_key
from agent.brains.rules.migrations.plan import GROUPS, plan_migrations
from agent.brains.rules.migrations.sql import (
    RUN_ON_PURPOSE,
    backfill,
    cast_sync_body,
    col,
    column_definition,
    data_loss_guard,
    describe,
    drop_sync,
    helper_name,
    is_volatile,
    rename_sync_body,
    sync_function,
    sync_trigger,
    table_sql,
)
from agent.brains.rules.migrations.steps import Group, Step, StepPlanner

__all__ = [
    "GROUPS",
    "RUN_ON_PURPOSE",
    "Group",
    "Step",
    "StepPlanner",
    "apply_migration",
    "backfill",
    "cast_sync_body",
    "col",
    "column_definition",
    "data_loss_guard",
    "describe",
    "drop_sync",
    "helper_name",
    "is_volatile",
    "lint_migrations",
    "migration_files",
    "plan_migrations",
    "qualified",
    "rename_sync_body",
    "sync_function",
    "sync_trigger",
    "table_key",
    "table_sql",
]

"""The rules brain's migration plan: ordered `NNNN_name` up/down files built from the design's DDL.

Order: types and functions, tables, constraints (NOT VALID), their validation, indexes
(CONCURRENTLY, outside a transaction), row-level security, triggers, partitions, views.
Each up file sets `lock_timeout` (a migration waits at most that long for a lock instead of
queueing every query behind it) and runs in one transaction where PostgreSQL allows it; each
down file undoes its up in reverse order, so applying downs newest-first restores an empty
database. squawk accepts every up file with its default rules (see `check`).
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.brains.rules.migrations.steps import Group, Step, StepPlanner
from agent.package import Migration
from agent.stages import IndexPlan, SchemaDesign

LOCK_TIMEOUT = "5s"
STATEMENT_TIMEOUT = "60s"

# group -> (file name, what it does, runs inside a transaction)
GROUPS: dict[Group, tuple[str, str, bool]] = {
    "types": ("types_and_functions", "extensions, enum types, domains and functions", True),
    "tables": ("tables", "tables, created empty (their locks block nobody)", True),
    "constraints": (
        "constraints",
        "foreign keys and checks added NOT VALID: a short lock, no scan of existing rows",
        True,
    ),
    "validate": (
        "validate_constraints",
        "validate the constraints: scans rows under a lock that still allows reads and writes",
        True,
    ),
    "indexes": (
        "indexes",
        "indexes built CONCURRENTLY (no write lock; cannot run inside a transaction)",
        False,
    ),
    "rls": ("row_level_security", "row-level security and its policies", True),
    "triggers": ("triggers", "triggers (updated_at, audit)", True),
    "partitions": ("partitions", "partitions created ahead, and the default partition", True),
    "views": ("views", "views and materialized views", True),
}


def plan_migrations(schema: SchemaDesign, indexes: IndexPlan) -> list[Migration]:
    """Ordered migrations for the whole design; `indexes` adds the recommended indexes."""
    planner = StepPlanner()
    planner.plan(schema.ddl)
    if indexes.indexes:
        planner.plan(indexes.ddl)
    migrations: list[Migration] = []
    for group, (name, purpose, transactional) in GROUPS.items():
        steps = [s for s in planner.steps if s.group == group]
        if steps:
            number = len(migrations) + 1
            migrations.append(_migration(number, name, purpose, transactional, steps))
    return migrations


def _migration(
    number: int, name: str, purpose: str, transactional: bool, steps: Sequence[Step]
) -> Migration:
    full = f"{number:04d}_{name}"
    ups = [s.up for s in steps]
    downs = [s.down for s in reversed(steps) if s.down is not None]
    timeout = STATEMENT_TIMEOUT if transactional else "0"  # an index build may take long
    up = _file(f"{full} (up): {purpose}", ups, transactional, timeout)
    if downs:
        down = _file(f"{full} (down): undo {name}", downs, transactional, timeout)
    else:
        down = (
            f"-- {full} (down): nothing to undo here; the objects this step touched are "
            "removed by the down files of earlier steps.\n"
        )
    return Migration(name=full, up=up, down=down)


def _file(title: str, statements: Sequence[str], transactional: bool, timeout: str) -> str:
    lines = [f"-- {title}", f"SET lock_timeout = '{LOCK_TIMEOUT}';"]
    lines.append(f"SET statement_timeout = '{timeout}';")
    body = [s.rstrip().rstrip(";") + ";" for s in statements]
    if transactional:
        lines += ["BEGIN;", *body, "COMMIT;"]
    else:
        lines += body
    return "\n".join(lines) + "\n"

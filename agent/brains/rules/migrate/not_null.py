"""SET NOT NULL online: a NOT VALID check, validated without blocking writes, then the flag.

PostgreSQL 12+ skips SET NOT NULL's full-table scan when a validated `CHECK (c IS NOT NULL)`
already proves it; the helper check is dropped afterwards.
"""

from __future__ import annotations

from agent.brains.rules.migrate.builder import PlanBuilder
from agent.brains.rules.migrations import col, helper_name, table_sql


def not_null(b: PlanBuilder, table: str, column: str) -> None:
    t, c = table_sql(table), col(column)
    check = col(helper_name(table, column, suffix="not_null"))
    add_check = f"ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID"
    b.add(
        "constraints",
        f"check_not_null_{table}_{column}",
        [add_check],
        [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}"],
        lock="ACCESS EXCLUSIVE, brief (NOT VALID: no scan)",
        why="new and changed rows must already satisfy it; old rows are checked later",
    )
    b.add(
        "validate",
        f"set_not_null_{table}_{column}",
        [
            f"ALTER TABLE {t} VALIDATE CONSTRAINT {check}",
            f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL",
            f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}",
        ],
        [f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL", add_check],
        lock="SHARE UPDATE EXCLUSIVE to validate; SET NOT NULL then skips its scan",
        why="the validated check proves no NULL exists, so SET NOT NULL is a catalog change",
        accepted={"ban-drop-constraint": "the helper check is redundant once NOT NULL holds"},
    )

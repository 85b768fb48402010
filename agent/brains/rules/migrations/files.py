"""A migration plan as ordered `NNNN_<step>.up.sql` / `.down.sql` files, as a runner applies them.

Each file says what its step does, which phase it belongs to and the lock it takes; sets
`lock_timeout` (wait at most that long for a lock rather than queue traffic behind it) and
`statement_timeout` (none for steps that must not be cut short: CONCURRENTLY builds and
batched backfills); and wraps the step in BEGIN/COMMIT unless PostgreSQL forbids it.
"""

from __future__ import annotations

from agent.brains.rules.migrations.plan import LOCK_TIMEOUT, STATEMENT_TIMEOUT
from agent.brains.rules.migrations.sql import RUN_ON_PURPOSE
from agent.package import Migration
from agent.stages import MigrationPlan, MigrationStep


def migration_files(plan: MigrationPlan) -> list[Migration]:
    return [
        Migration(name=_name(n, step), up=up_file(n, step), down=down_file(n, step))
        for n, step in enumerate(plan.steps, start=1)
    ]


def _name(number: int, step: MigrationStep) -> str:
    return f"{number:04d}_{step.name}"


def up_file(number: int, step: MigrationStep) -> str:
    header = [
        f"-- {_name(number, step)} (up, {step.phase}): {_line(step.why)}",
        f"-- lock: {_line(step.lock)}; online: {'yes' if step.online else 'NO'}; risk: {step.risk}",
    ]
    header += [f"-- squawk {a.rule} accepted: {_line(a.reason)}" for a in step.accepted_lint]
    if step.on_purpose:
        header += [
            "-- DESTROYS DATA: stops unless run on purpose, e.g. " + RUN_ON_PURPOSE,
            f"-- a rollback cannot bring back {_line(step.rollback_loses or 'what it drops')}",
        ]
    return _file(header, step.up, step.transactional)


def down_file(number: int, step: MigrationStep) -> str:
    header = [f"-- {_name(number, step)} (down): undoes the up file of the same number"]
    if step.down.lstrip().startswith("--") and ";" not in step.down:
        return "\n".join([*header, step.down.strip()]) + "\n"
    return _file(header, step.down, step.transactional)


def _file(header: list[str], body: str, transactional: bool) -> str:
    timeout = STATEMENT_TIMEOUT if transactional else "0"
    lines = [*header, f"SET lock_timeout = '{LOCK_TIMEOUT}';"]
    lines.append(f"SET statement_timeout = '{timeout}';")
    lines += ["BEGIN;", body.strip(), "COMMIT;"] if transactional else [body.strip()]
    return "\n".join(lines) + "\n"


def _line(text: str) -> str:
    return " ".join(text.split())

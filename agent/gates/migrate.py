"""Migrate gates, run on scratch databases exactly as the package's files will run:

* `migration_reaches_target`: the current schema plus every up file, in order, gives the
  same catalog as the target schema applied on its own;
* `migration_rolls_back`: then every down file, newest first, gives the current schema's
  catalog again;
* `migration_lint`: squawk finds nothing in the up files beyond what each step accepts on
  purpose (a contract step drops a column; a swap renames one).
The target gate reuses the schema gates when the target was designed from a spec.
"""

from __future__ import annotations

from agent.brains.rules.migrations import apply_migration, lint_migrations, migration_files
from agent.context import RunContext
from agent.gates import Verdict, fail
from agent.gates.catalog_snapshot import Snapshot, differences, snapshot
from agent.gates.current import applies_verdict
from agent.gates.schema import check_schema
from agent.package import Migration
from agent.stages import MigrationPlan
from agent.state import DesignState
from tools.errors import DatabaseError
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer, scratch_database
from tools.sql.validate import apply_statements

REACHES, ROLLS_BACK, LINT = "migration_reaches_target", "migration_rolls_back", "migration_lint"


def check_target(state: DesignState, ctx: RunContext) -> list[Verdict]:
    """A target written as SQL must apply; one designed from the spec passes the schema gates."""
    assert state.schema_design is not None
    if state.request.target_schema:
        return [applies_verdict(state.schema_design.ddl, "target_applies", "target.sql", ctx)]
    return check_schema(state, ctx)


def check_migrate(state: DesignState, ctx: RunContext) -> list[Verdict]:
    plan, current, target = state.migration, state.current, state.schema_design
    assert plan is not None and current is not None and target is not None
    files = migration_files(plan)
    reaches, rolls_back = round_trip(current.ddl, target.ddl, files, ctx.pg())
    return [reaches, rolls_back, lint_verdict(plan, files)]


def round_trip(
    current: str, target: str, files: list[Migration], pg: PgServer
) -> tuple[Verdict, Verdict]:
    reaches, rolls_back = Verdict(gate=REACHES), Verdict(gate=ROLLS_BACK)
    expected = _applied(target, pg)
    with scratch_database(pg) as scratch:
        apply_statements(parse_schema(current, file="current.sql"), scratch)
        before = snapshot(scratch.dsn)
        failed = _run(scratch.dsn, files, "up", reaches)
        if failed:
            rolls_back.findings.append(fail(ROLLS_BACK, "not tried: an up file failed"))
            return reaches, rolls_back
        _compare(expected, snapshot(scratch.dsn), reaches, "after the up files")
        if not _run(scratch.dsn, list(reversed(files)), "down", rolls_back):
            _compare(before, snapshot(scratch.dsn), rolls_back, "after the down files")
    reaches.notes.append(f"{len(files)} up file(s) applied in order on the current schema")
    return reaches, rolls_back


def _applied(ddl: str, pg: PgServer) -> Snapshot:
    with scratch_database(pg) as scratch:
        apply_statements(parse_schema(ddl, file="target.sql"), scratch)
        return snapshot(scratch.dsn)


def _run(dsn: str, files: list[Migration], direction: str, verdict: Verdict) -> bool:
    """Apply each file; True when one failed (recorded on the verdict with its name)."""
    for mig in files:
        try:
            # The replay runs every step, the purge steps a person runs on purpose included.
            apply_migration(dsn, mig.up if direction == "up" else mig.down, allow_data_loss=True)
        except DatabaseError as exc:
            verdict.findings.append(fail(verdict.gate, f"{mig.name}.{direction}.sql: {exc}"))
            return True
    return False


def _compare(expected: Snapshot, actual: Snapshot, verdict: Verdict, when: str) -> None:
    for difference in differences(expected, actual):
        verdict.findings.append(fail(verdict.gate, f"{when}: {difference}"))


def lint_verdict(plan: MigrationPlan, files: list[Migration]) -> Verdict:
    """squawk on every up file; a violation its step does not accept on purpose fails."""
    verdict = Verdict(gate=LINT)
    accepted = {
        f.name: {a.rule for a in step.accepted_lint}
        for f, step in zip(files, plan.steps, strict=True)
    }
    for violation in lint_migrations(files):
        file = violation.file or ""
        if violation.rule_name in accepted.get(file, set()):
            verdict.notes.append(f"{file}: squawk {violation.rule_name} accepted by the step")
            continue
        verdict.findings.append(
            fail(
                LINT,
                f"{file}.up.sql:{violation.line}: squawk {violation.rule_name}: "
                f"{violation.message}",
            )
        )
    return verdict

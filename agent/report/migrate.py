"""Report sections of a migrate run: the target schema, what changes, and the ordered steps."""

from __future__ import annotations

from agent.brains.rules.migrations import RUN_ON_PURPOSE
from agent.markdown import bullets, section, table
from agent.package import DesignPackage
from agent.report import design
from agent.report.design import NOT_RUN
from agent.stages import MigrationPlan


def target_schema(pkg: DesignPackage) -> list[str]:
    """The schema section of a design, titled for what it is here."""
    lines = design.schema(pkg)
    return ["## Target schema", *lines[1:]] if lines else lines


def _losses(plan: MigrationPlan, names: dict[str, str]) -> list[str]:
    """What a rollback cannot bring back, step by step, and how the purges are run."""
    lossy = [s for s in plan.steps if s.rollback_loses]
    if not lossy:
        return []
    body = ["### What a rollback cannot bring back", ""]
    body += bullets(
        f"`{names.get(s.name, s.name)}` (risk {s.risk}"
        + (", run on purpose" if s.on_purpose else "")
        + f"): {s.rollback_loses}"
        for s in lossy
    )
    if any(s.on_purpose for s in lossy):
        body += [
            "",
            "Steps run on purpose stop with an error unless the session allows data loss "
            f"(`{RUN_ON_PURPOSE}`): a runner that applies every file halts before them. Until "
            "they run, the retired columns and tables keep their data and every rollback is "
            "lossless; take a backup before running them.",
        ]
    return [*body, ""]


def migration_plan(pkg: DesignPackage) -> list[str]:
    plan = pkg.migration
    if plan is None:
        return section("Migration plan", [NOT_RUN.format(stage="migrate")])
    changes = table(
        ["Object", "Change", "Name", "Detail"],
        [(c.object, c.change, c.name, c.detail) for c in plan.changes],
    )
    names = {m.name.split("_", 1)[1]: m.name for m in pkg.migrations}
    steps = table(
        ["#", "Step", "Phase", "Lock", "Online", "Risk", "Why"],
        [
            (
                n,
                f"`{names.get(s.name, s.name)}`",
                s.phase,
                s.lock,
                "yes" if s.online else "NO",
                s.risk,
                s.why,
            )
            for n, s in enumerate(plan.steps, start=1)
        ],
    )
    body = ["### What changes", "", *changes, "", "### Steps", "", *steps, ""]
    body += [
        "Apply `migrations/*.up.sql` in order; roll back with the `*.down.sql` files, newest "
        "first. Files without BEGIN (CONCURRENTLY builds, batched backfills) must run outside "
        "a transaction. Every step was replayed on a scratch database: up to the target, then "
        "down to the current schema again.",
        "",
    ]
    body += _losses(plan, names)
    if plan.notes:
        body += ["### Before you start", "", *bullets(plan.notes), ""]
    body += ["### Assumptions", "", *bullets(plan.assumptions)]
    return section("Migration plan", body)

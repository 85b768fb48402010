"""The decision record of a migrate run, written from its plan (whichever brain wrote it)."""

from __future__ import annotations

from collections import Counter

from agent.stages import Adr, AdrOption, MigrationPlan, SchemaDesign


def _loss_consequences(plan: MigrationPlan) -> list[str]:
    """What the plan's rollbacks cannot restore, from its steps."""
    purges = [s.name for s in plan.steps if s.on_purpose]
    found = []
    if purges:
        found.append(
            f"{len(purges)} step(s) destroy data ({', '.join(purges)}): they stop unless run on "
            "purpose; until then the retired data stays and every rollback is lossless."
        )
    lossy = [s for s in plan.steps if s.rollback_loses and not s.on_purpose]
    if lossy:
        found.append(
            "Rolled back after the contract phase, "
            + "; ".join(s.rollback_loses or "" for s in lossy[:3])
            + "."
        )
    return found or ["No step destroys data: every rollback restores what its step changed."]


def migration_adr(
    plan: MigrationPlan, current: SchemaDesign | None, target: SchemaDesign | None
) -> Adr:
    counts = Counter(f"{c.object}s {c.change}" for c in plan.changes)
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "no changes"
    offline = [s.name for s in plan.steps if not s.online]
    phases = Counter(s.phase for s in plan.steps)
    return Adr(
        number=1,
        title="Migrate online: expand, backfill, contract, with a rollback for every step",
        context=(
            f"The schema in production ({len(current.tables) if current else '?'} tables) must "
            f"become the target ({len(target.tables) if target else '?'} tables) while the "
            f"application keeps serving: {summary}."
        ),
        options=[
            AdrOption(
                name="one big migration in a maintenance window",
                pros=["simple to write", "one deployment"],
                cons=[
                    "downtime while tables are rewritten and indexes built",
                    "a failure part-way leaves a long rollback",
                ],
            ),
            AdrOption(
                name="expand and contract in small online steps",
                pros=[
                    "no step holds a lock that blocks traffic for long",
                    "each step has its own rollback and can be paused",
                ],
                cons=["more steps, two application releases", "backfills take time"],
            ),
            AdrOption(
                name="build the target in a new database and switch with logical replication",
                pros=["the old database stays untouched until the switch"],
                cons=[
                    "double the infrastructure for the duration",
                    "replication of sequences and DDL must be handled by hand",
                ],
            ),
        ],
        decision=(
            f"Expand and contract in {len(plan.steps)} steps ({phases['expand']} expand, "
            f"{phases['backfill']} backfill, {phases['contract']} contract): new structures "
            "NOT VALID and CONCURRENTLY first, data copied in batches, old shapes dropped last"
            + (f"; {', '.join(offline)} cannot run online and needs a window." if offline else ".")
        ),
        consequences=[
            "Release 1 writes both shapes before the backfill; release 2 reads only the new "
            "shape before the contract steps.",
            *_loss_consequences(plan),
            "Every file sets lock_timeout; a step that times out is retried, not forced.",
            *plan.notes[:3],
        ],
    )

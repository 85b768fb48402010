"""What the plans decide: sizes at the stated volumes, sharding, how close the runners-up of
the technology matrix came, auxiliary stores, and how destructive migration steps are run."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from agent.naming import RETIRED_SUFFIX, join_table_name, table_name
from agent.stages import ScalingPlan, TechnologyDecision
from evals.registry import Grade, NonEmpty, all_found, bad, check, listing, ok
from evals.subject import Subject
from tools.errors import ArchitectError


class NoPlan(ArchitectError):
    """The package lacks the plan a check reads."""


def _scaling(subject: Subject) -> ScalingPlan:
    if subject.package.scaling is None:
        raise NoPlan("the package has no scaling plan")
    return subject.package.scaling


def _technology(subject: Subject) -> TechnologyDecision:
    if subject.package.technology is None:
        raise NoPlan("the package has no technology decision")
    return subject.package.technology


@check("sized_as_stated")
def sized_as_stated(subject: Subject, arg: None) -> Grade:
    """Every table the spec gives a row count (entities, and many-to-many relationships with
    `rows`) is sized at exactly that count today in the scaling plan."""
    spec = subject.package.spec
    if spec is None:
        return bad("the package has no spec stating volumes")
    stated = {table_name(e.name): e.rows for e in spec.entities if e.rows}
    for rel in spec.relationships:
        if rel.rows and rel.kind == "many-to-many":
            stated[join_table_name(rel.from_, rel.as_, rel.to)] = rel.rows
    sizes = {size.table: size.rows_now for size in _scaling(subject).sizes}
    wrong = [
        f"{table}: {sizes[table]:,} rows, stated {rows:,}"
        if table in sizes
        else f"{table}: not sized"
        for table, rows in stated.items()
        if sizes.get(table) != rows
    ]
    return bad(listing(wrong)) if wrong else ok(f"{len(stated)} tables sized as stated")


@check("shard_key", str)
def shard_key(subject: Subject, key: str) -> Grade:
    """The scaling plan shards on this key column, now or at its stated trigger: the key
    decides which rows stay together, whenever the split comes."""
    sharding = _scaling(subject).sharding
    named = (sharding.key or "").lower()
    if named != key.lower() and key.lower() not in (sharding.approach or "").lower():
        return bad(f"the plan's shard key is {sharding.key or 'not named'}, not {key}")
    when = "now" if sharding.needed else f"at its trigger ({sharding.trigger or 'unstated'})"
    return ok(f"shards by {key} {when}")


@check("unsharded")
def unsharded(subject: Subject, arg: None) -> Grade:
    """The scaling plan keeps one primary (no sharding): the simplest design that fits."""
    sharding = _scaling(subject).sharding
    if sharding.needed:
        return bad(f"the plan shards by {sharding.key}: {sharding.reason}")
    return ok("one primary, no sharding")


@check("alternative_close", dict[str, Annotated[float, Field(ge=0)]])
def alternative_close(subject: Subject, margins: dict[str, float]) -> Grade:
    """`{category or product: points}`: that option is the primary store, or scores within
    that many points (of 100) of it in the decision matrix."""
    tech = _technology(subject)
    best = max((o.total for o in tech.matrix), default=0.0)
    problems: list[str] = []
    shown: list[str] = []
    for name, margin in margins.items():
        wanted = name.lower()
        scores = [o.total for o in tech.matrix if wanted in (o.category.lower(), o.product.lower())]
        if not scores:
            problems.append(f"{name} was not scored")
        elif best - max(scores) > margin:
            problems.append(
                f"{name} scores {max(scores):g}, {best - max(scores):g} behind {best:g}"
            )
        else:
            shown.append(f"{name} {max(scores):g} of {best:g}")
    return bad(listing(problems)) if problems else ok(", ".join(shown))


@check("auxiliary", NonEmpty)
def auxiliary(subject: Subject, roles: list[str]) -> Grade:
    """The technology decision adds a store for each role beside the primary (`cache`,
    `search`, `stream`...): one component served by something other than the primary."""
    found = {a.role.lower(): a.product for a in _technology(subject).auxiliary}
    passed = ", ".join(f"{role}: {product}" for role, product in found.items())
    return all_found(roles, lambda r: r.lower() in found, "no auxiliary store for", passed)


_REMOVALS = ("drop", "retire", "purge")  # the verbs of the steps that remove an object


@check("migration_destructive", NonEmpty)
def migration_destructive(subject: Subject, names: list[str]) -> Grade:
    """Each named object is removed only in the contract phase, by steps that come after
    every expand and backfill step, acknowledge the lost data (an accepted lint rule with a
    reason) and still have a rollback. Removal is a drop, or a retirement (renamed aside, the
    data kept) followed by a purge the user runs on purpose: every such step is judged."""
    plan = subject.package.migration
    if plan is None or not plan.steps:
        return bad("the package has no migration steps")
    problems: list[str] = []
    last_safe = max((i for i, s in enumerate(plan.steps) if s.phase != "contract"), default=-1)
    for name in names:
        bare = name.rpartition(".")[2]
        found = [
            (i, s)
            for i, s in enumerate(plan.steps)
            if s.name.endswith((f"_{bare}", f"_{bare}{RETIRED_SUFFIX}"))
            and any(verb in s.name for verb in _REMOVALS)
        ]
        if not found:
            problems.append(f"no step drops or retires {name}")
            continue
        for index, step in found:
            if step.phase != "contract" or index < last_safe:
                problems.append(f"{step.name} runs before the expand and backfill steps are done")
            if not step.accepted_lint or not all(a.reason.strip() for a in step.accepted_lint):
                problems.append(f"{step.name} does not acknowledge the data it destroys")
            if not step.down.strip():
                problems.append(f"{step.name} has no rollback")
    return (
        bad(listing(problems))
        if problems
        else ok(f"{len(names)} drops contract-only, acknowledged")
    )

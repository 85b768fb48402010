"""Checks on the outputs of the modes that start from an existing schema: the optimize
review, the scaling plan and the migration plan."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from agent.stages import OptimizationReport, Phase
from evals.registry import Grade, NonEmpty, all_found, bad, check, listing, ok
from evals.subject import Subject

_PHASES: tuple[Phase, ...] = ("expand", "backfill", "contract")


def _optimization(subject: Subject) -> OptimizationReport | None:
    return subject.package.optimization


@check("finds", NonEmpty)
def finds(subject: Subject, rules: list[str]) -> Grade:
    """The optimize review reports each named problem: a lint rule (`float-for-money`), a
    plan finding (`seq-scan-on-large-table`) or a rewrite's problem (`offset-pagination`)."""
    review = _optimization(subject)
    if review is None:
        return bad("the package has no optimization review")
    found = {item.rule for item in review.lint}
    found |= {f.rule for query in review.queries for f in query.findings}
    found |= {rewrite.problem for rewrite in review.rewrites}
    passed = f"all {len(rules)} problems reported"
    return all_found(rules, found.__contains__, "not reported", passed)


@check("queries_cheaper", NonEmpty)
def queries_cheaper(subject: Subject, names: list[str]) -> Grade:
    """Each named workload query costs less after the advice (indexes, rewrite) than before."""
    review = _optimization(subject)
    if review is None:
        return bad("the package has no optimization review")
    by_name = {query.query: query for query in review.queries}
    problems: list[str] = []
    for name in names:
        query = by_name.get(name)
        if query is None:
            problems.append(f"'{name}' was not reviewed")
        elif query.cost is None or query.cost_after is None:
            problems.append(f"'{name}' has no cost before and after ({query.error or 'unplanned'})")
        elif query.cost_after >= query.cost:
            problems.append(f"'{name}' is not cheaper ({query.cost:g} -> {query.cost_after:g})")
    if problems:
        return bad(listing(problems))
    return ok(f"all {len(names)} queries cheaper")


@check("replicas_min", Annotated[int, Field(ge=0)])
def replicas_min(subject: Subject, minimum: int) -> Grade:
    """The scaling plan keeps at least this many replicas (standbys that serve reads count)."""
    plan = subject.package.scaling
    if plan is None:
        return bad("the package has no scaling plan")
    count = plan.replicas.read_replicas
    if count < minimum:
        return bad(f"{count} replica(s), expected at least {minimum}")
    return ok(f"{count} replica(s)")


@check("sized", NonEmpty)
def sized(subject: Subject, tables: list[str]) -> Grade:
    """The scaling plan estimates the size of each named table now, at 12 and 36 months."""
    plan = subject.package.scaling
    if plan is None:
        return bad("the package has no scaling plan")
    known = {size.table for size in plan.sizes}
    passed = f"all {len(tables)} tables sized"
    return all_found(tables, known.__contains__, "no size estimate for", passed)


@check("migration_online")
def migration_online(subject: Subject, arg: None) -> Grade:
    """The migration has steps, all online, each with a rollback, in expand -> backfill ->
    contract order (a zero-downtime plan)."""
    plan = subject.package.migration
    if plan is None or not plan.steps:
        return bad("the package has no migration steps")
    problems = [f"{s.name} is not online" for s in plan.steps if not s.online]
    problems += [f"{s.name} has no rollback" for s in plan.steps if not s.down.strip()]
    order = [_PHASES.index(step.phase) for step in plan.steps]
    if order != sorted(order):
        problems.append("phases are out of order (expand, backfill, contract)")
    if problems:
        return bad(listing(problems))
    counts = ", ".join(f"{len(plan.phase(p))} {p}" for p in _PHASES)
    return ok(f"{len(plan.steps)} online steps ({counts})")


@check("migration_changes", NonEmpty)
def migration_changes(subject: Subject, names: list[str]) -> Grade:
    """The migration plan's diff names each of these objects (`orders.status`, an index...)."""
    plan = subject.package.migration
    if plan is None:
        return bad("the package has no migration plan")
    changed = {change.name for change in plan.changes}
    passed = f"all {len(names)} changes planned"
    return all_found(names, changed.__contains__, "not changed", passed)

"""Checks on the rest of the package: plans and indexes at the stated volumes, gate verdicts,
the technology choice, ADRs and what the report says."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from agent.stages import REWRITTEN, IndexRecommendation
from evals.registry import Grade, NonEmpty, all_found, bad, check, listing, ok
from evals.subject import Subject


@check("patterns_indexed")
def patterns_indexed(subject: Subject, arg: None) -> Grade:
    """Every read pattern was planned, and no pattern seq-scans a large table at the stated
    volumes (the plans the index gate measured on sample data)."""
    pkg = subject.package
    planned = {plan.pattern for plan in pkg.plans}
    reads = [p.name for p in pkg.spec.access_patterns if not p.is_write] if pkg.spec else []
    unplanned = [name for name in reads if name not in planned]
    scanning = [
        f"'{plan.pattern}' seq-scans {', '.join(plan.seq_scanned_large)}"
        for plan in pkg.plans
        if plan.seq_scanned_large
    ]
    problems = scanning + [f"'{name}' has no plan" for name in unplanned]
    if problems:
        return bad(listing(problems))
    if not pkg.plans:
        return bad("the package has no pattern plans")
    indexed = sum(1 for plan in pkg.plans if plan.uses_index)
    return ok(f"{len(pkg.plans)} patterns planned, {indexed} use an index, none seq-scan")


@check("indexes_pay_off")
def indexes_pay_off(subject: Subject, arg: None) -> Grade:
    """Every recommended index names an access pattern whose cost it lowers."""
    pkg = subject.package
    plan = pkg.indexes or (pkg.optimization.indexes if pkg.optimization else None)
    if plan is None:
        return bad("the package has no index plan")
    known = {p.name for p in pkg.spec.access_patterns} if pkg.spec else None
    problems = [p for index in plan.indexes if (p := _unpaid(index, known))]
    if problems:
        return bad(listing(problems))
    return ok(f"all {len(plan.indexes)} indexes lower a named pattern's cost")


def _unpaid(index: IndexRecommendation, known: set[str] | None) -> str | None:
    name = f"index on {index.table} ({', '.join(index.columns)})"
    if not index.serves:
        return f"{name} serves no pattern"
    served = [s.removesuffix(REWRITTEN) for s in index.serves]  # a rewrite serves its query
    unknown = [s for s in served if known is not None and s not in known]
    if unknown:
        return f"{name} names unknown pattern(s) {', '.join(unknown)}"
    before, after = index.cost_before, index.cost_after
    if before is None or after is None:
        return f"{name} has no measured cost"
    if after >= before:
        return f"{name} does not lower cost ({before:g} -> {after:g})"
    return None


@check("gates_passed")
def gates_passed(subject: Subject, arg: None) -> Grade:
    """The final attempt of every gate passed (retries on the way are allowed, and counted)."""
    last: dict[tuple[str, str], tuple[int, bool, list[str]]] = {}
    for result in subject.package.checks:
        key = (result.stage, result.gate)
        if key not in last or result.attempt >= last[key][0]:
            last[key] = (result.attempt, result.passed, result.findings)
    if not last:
        return bad("the package records no gate verdicts")
    failing = [
        f"{gate} ({stage}): {findings[0] if findings else 'failed'}"
        for (stage, gate), (_, passed, findings) in last.items()
        if not passed
    ]
    if failing:
        return bad(listing(failing))
    retried = sum(1 for attempt, _, _ in last.values() if attempt > 1)
    return ok(f"{len(last)} gates passed ({retried} after a retry)")


@check("technology", str)
def technology(subject: Subject, expected: str) -> Grade:
    """The primary store is of the named category (`relational`, `time-series`...) or product."""
    tech = subject.package.technology
    if tech is None:
        return bad("the package has no technology decision")
    primary = tech.primary
    wanted = expected.strip().lower()
    names = {primary.product.lower(), primary.engine.lower()}
    if tech.fits(wanted) or wanted in names:
        return ok(f"{primary.product} ({primary.category})")
    return bad(f"primary store is {primary.product} ({primary.category}), not {expected}")


@check("alternatives", NonEmpty)
def alternatives(subject: Subject, expected: list[str]) -> Grade:
    """Each named category or product was weighed as an alternative to the primary store."""
    tech = subject.package.technology
    if tech is None:
        return bad("the package has no technology decision")
    weighed = {a.category.lower() for a in tech.alternatives}
    weighed |= {a.product.lower() for a in tech.alternatives}
    passed = f"weighed {len(tech.alternatives)} alternatives"
    return all_found(expected, lambda n: n.lower() in weighed, "not weighed", passed)


@check("adrs_min", Annotated[int, Field(ge=1)])
def adrs_min(subject: Subject, minimum: int) -> Grade:
    """At least this many architecture decision records."""
    count = len(subject.package.adrs)
    if count < minimum:
        return bad(f"{count} ADR(s), expected at least {minimum}")
    return ok(f"{count} ADRs")


@check("mentions", NonEmpty)
def mentions(subject: Subject, words: list[str]) -> Grade:
    """The rendered report mentions each word (case-insensitive; `replica` finds replicas)."""
    text = subject.report().lower()
    missing, passed = "the report does not mention", f"the report mentions all {len(words)} words"
    return all_found(words, lambda word: word.lower() in text, missing, passed)

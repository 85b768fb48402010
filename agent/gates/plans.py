"""Gates on the written parts of the package: spec, technology, scaling and ADRs."""

from __future__ import annotations

from agent.context import RunContext
from agent.gates import Verdict, fail
from agent.naming import table_name
from agent.spec import check_spec
from agent.state import DesignState

MIN_ADRS = {"design": 4, "compare": 1, "optimize": 1, "scale": 1, "migrate": 1}


def check_requirements(state: DesignState, ctx: RunContext) -> list[Verdict]:
    assert state.spec is not None
    verdict = Verdict(gate="spec_consistent")
    for problem in check_spec(state.spec):
        path = ".".join(str(p) for p in problem.path)
        verdict.findings.append(fail("spec_consistent", f"{path}: {problem.message}"))
    return [verdict]


def check_technology(state: DesignState, ctx: RunContext) -> list[Verdict]:
    tech = state.technology
    assert tech is not None
    verdict = Verdict(gate="technology_decided")
    if not tech.alternatives:
        verdict.findings.append(fail("technology_decided", "no alternatives were weighed"))
    for alt in tech.alternatives:
        if not alt.why_not.strip():
            verdict.findings.append(
                fail("technology_decided", f"alternative {alt.product} lacks a why-not")
            )
    if state.request.mode != "compare" and tech.primary.engine != "postgresql":
        verdict.findings.append(
            fail(
                "technology_decided",
                f"the package's DDL targets PostgreSQL, but the primary store is "
                f"{tech.primary.product}; keep PostgreSQL as the system of record and name "
                f"{tech.primary.product} as an auxiliary store if it is needed",
            )
        )
    return [verdict]


def check_scaling(state: DesignState, ctx: RunContext) -> list[Verdict]:
    plan, spec = state.scaling, state.spec
    assert plan is not None and spec is not None
    verdict = Verdict(gate="scaling_consistent")
    planned = {p.table for p in plan.partitioning}
    design = state.schema_design
    for part in design.partitioning if design else []:
        if part.table not in planned:
            verdict.findings.append(
                fail(
                    "scaling_consistent",
                    f"partitioned table {part.table} has no partition plan",
                    table=part.table,
                )
            )
    sized = {s.table for s in plan.sizes}
    for entity in spec.entities:
        if entity.rows and table_name(entity.name) not in sized:
            verdict.findings.append(
                fail(
                    "scaling_consistent",
                    f"no size estimate for {table_name(entity.name)}",
                    table=table_name(entity.name),
                )
            )
    return [verdict]


def check_adrs(state: DesignState, ctx: RunContext) -> list[Verdict]:
    verdict = Verdict(gate="adrs_complete")
    needed = MIN_ADRS[state.request.mode]
    if len(state.adrs) < needed:
        verdict.findings.append(
            fail(
                "adrs_complete",
                f"{len(state.adrs)} ADR(s); at least {needed} major decisions need a record",
            )
        )
    for position, adr in enumerate(state.adrs, start=1):
        label = f"ADR {adr.number} ({adr.title})"
        if adr.number != position:
            verdict.findings.append(fail("adrs_complete", f"{label} is out of sequence"))
        missing = [
            name
            for name, value in (
                ("context", adr.context),
                ("decision", adr.decision),
                ("options", adr.options),
                ("consequences", adr.consequences),
            )
            if not value
        ]
        if missing:
            verdict.findings.append(fail("adrs_complete", f"{label} lacks {', '.join(missing)}"))
    return [verdict]

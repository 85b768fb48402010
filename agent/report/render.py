"""Render a design package as `report.md` (the personas' output order) and ADRs as MADR files.

The report is a pure function of the package: the same package always gives the same text,
so it can be diffed between runs and asserted in tests.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.markdown import bullets
from agent.package import DesignPackage, Mode
from agent.report import claims as rc
from agent.report import design, evidence, migrate, modes, ops
from agent.stages import Adr

Section = Callable[[DesignPackage], list[str]]

# The order a database architect presents a design in (see prompts/personas/).
SECTIONS: tuple[Section, ...] = (
    design.summary,
    design.requirements,
    design.technology,
    design.schema,
    design.erd,
    evidence.indexes,
    evidence.query_patterns,
    ops.caching,
    ops.scaling,
    ops.migrations,
    ops.security,
    ops.backup,
    ops.monitoring,
    ops.checks,
    ops.adrs,
    ops.next_steps,
)


# The other commands answer a narrower question, each in the order the persona gives it.
SECTIONS_BY_MODE: dict[Mode, tuple[Section, ...]] = {
    "design": SECTIONS,
    "optimize": (
        modes.summary,
        modes.current_schema,
        modes.findings,
        modes.rewrites,
        evidence.indexes,
        evidence.query_patterns,
        ops.checks,
        ops.adrs,
        modes.next_steps,
    ),
    "migrate": (
        modes.summary,
        modes.current_schema,
        migrate.target_schema,
        design.erd,
        migrate.migration_plan,
        ops.checks,
        ops.adrs,
        modes.next_steps,
    ),
    "scale": (
        modes.summary,
        modes.current_schema,
        ops.scaling,
        ops.caching,
        ops.security,
        ops.backup,
        ops.monitoring,
        ops.checks,
        ops.adrs,
        modes.next_steps,
    ),
    "compare": (
        modes.summary,
        design.requirements,
        design.technology,
        modes.comparison,
        ops.checks,
        ops.adrs,
        modes.next_steps,
    ),
}
TITLES: dict[Mode, str] = {
    "design": "database design",
    "optimize": "optimization review",
    "migrate": "migration plan",
    "scale": "scaling plan",
    "compare": "technology comparison",
}


def render_report(pkg: DesignPackage) -> str:
    """The whole human report for one package, in its mode's order."""
    lines = [f"# {pkg.name}: {TITLES[pkg.mode]}", "", _byline(pkg), ""]
    for render in SECTIONS_BY_MODE[pkg.mode]:
        lines += render(pkg)
    return "\n".join(lines).rstrip() + "\n"


def _byline(pkg: DesignPackage) -> str:
    return f"Mode `{pkg.mode}`, brain `{pkg.brain}`, generated {pkg.created_at}."


def render_adr(adr: Adr, brain: str = rc.RULES_BRAIN) -> str:
    """One ADR in MADR form: status and date, context, options, outcome (with the facts it
    rests on, each a checked claim), pros and cons."""
    prose = [adr.context, adr.decision, *adr.consequences]
    lines = [
        f"# {adr.number}. {adr.title}",
        "",
        f"- Status: {adr.status}",
        f"- Date: {adr.date or 'not recorded'}",
        "",
        *rc.opinion(brain, prose),
        "## Context and problem statement",
        "",
        " ".join(adr.context.split()),
        "",
        "## Considered options",
        "",
        *(f"{n}. {option.name}" for n, option in enumerate(adr.options, start=1)),
        "",
        "## Decision outcome",
        "",
        " ".join(adr.decision.split()),
        "",
        *rc.facts(adr.claims, "Facts it rests on (checked against the catalog):"),
        "### Consequences",
        "",
        *bullets(adr.consequences or ["None recorded."]),
        "",
        "## Pros and cons of the options",
        "",
    ]
    for option in adr.options:
        lines += [f"### {option.name}", ""]
        lines += bullets(f"Good, because {p}" for p in option.pros)
        lines += bullets(f"Bad, because {c}" for c in option.cons)
        if not option.pros and not option.cons:
            lines.append("- No particular strengths or weaknesses recorded.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"

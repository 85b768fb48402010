"""Report sections for the modes that start from an existing schema, and for a comparison.

optimize reads as a performance review (findings, rewrites, proven indexes), scale as a
growth plan for the schema in place, compare as a technology recommendation with its
runner-up; each ends with the next steps that mode calls for.
"""

from __future__ import annotations

from collections import Counter

from agent.ddl import count_indexes
from agent.markdown import bullets, code, count, human_bytes, section, table
from agent.package import DesignPackage
from agent.report.design import NOT_RUN
from agent.stages import OptimizationReport


def mode_summary(pkg: DesignPackage) -> str:
    """One line for the command's output: what the package holds."""
    if pkg.mode == "optimize" and pkg.optimization is not None:
        o = pkg.optimization
        found = sum(len(q.findings) for q in o.queries) + len(o.lint)
        return f"{found} findings, {len(o.rewrites)} rewrites, {len(o.indexes.indexes)} indexes"
    if pkg.mode == "migrate" and pkg.migration is not None:
        phases = Counter(s.phase for s in pkg.migration.steps)
        return (
            f"{len(pkg.migration.steps)} migration steps ({phases['expand']} expand, "
            f"{phases['backfill']} backfill, {phases['contract']} contract)"
        )
    if pkg.mode == "scale" and pkg.scaling is not None:
        plan = pkg.scaling
        return (
            f"{len(plan.sizes)} tables sized, {plan.replicas.read_replicas} replica(s), "
            f"sharding {'needed' if plan.sharding.needed else 'not needed yet'}"
        )
    if pkg.mode == "compare" and pkg.technology is not None:
        tech = pkg.technology
        return f"{tech.primary.product} chosen over {len(tech.alternatives)} alternatives"
    tables = len(pkg.schema_design.tables) if pkg.schema_design else 0
    counted = count_indexes(pkg.schema_design, pkg.indexes)
    parts = [
        f"{counted.foreign_keys} on foreign keys",
        f"{counted.advised} for the access patterns",
    ]
    parts += [f"{counted.unique} unique"] if counted.unique else []
    parts += [f"{counted.other} other"] if counted.other else []
    return f"{tables} tables, {counted.secondary} indexes ({', '.join(parts)})"


def summary(pkg: DesignPackage) -> list[str]:
    lines = [f"- **Outcome:** {mode_summary(pkg)}."]
    if pkg.mode == "optimize" and pkg.optimization is not None:
        queries = pkg.optimization.queries
        before = sum(q.cost or 0 for q in queries)
        after = sum(q.cost_after if q.cost_after is not None else q.cost or 0 for q in queries)
        lines.append(
            f"- **Workload:** {len(queries)} queries, planner cost {before:,.0f} -> {after:,.0f} "
            "on sample data with the rewrites and indexes below."
        )
    if pkg.mode == "scale" and pkg.scaling is not None:
        sizes = pkg.scaling.sizes
        now = sum(s.bytes_now or 0 for s in sizes)
        later = sum(s.bytes_36m or 0 for s in sizes)
        lines.append(f"- **Data:** {human_bytes(now)} now, {human_bytes(later)} in 36 months.")
    if pkg.mode == "compare" and pkg.technology is not None:
        tech = pkg.technology
        lines.append(
            f"- **Scored:** {len(tech.matrix)} options on {len(tech.criteria)} criteria "
            "weighted by this spec."
        )
    if pkg.spec is not None and pkg.spec.description:
        lines += ["", " ".join(pkg.spec.description.split())]
    return section("Summary", lines)


def current_schema(pkg: DesignPackage) -> list[str]:
    current = pkg.current
    if current is None:
        return section("Current schema", [NOT_RUN.format(stage="current")])
    rows = [
        (
            t.name,
            count(t.estimated_rows) if t.estimated_rows else "not stated",
            len(t.columns),
            ", ".join(t.primary_key) or "none",
            t.partitioned_by or "",
            "RLS" if t.rls else "",
        )
        for t in current.tables
    ]
    body = table(["Table", "Rows", "Columns", "Primary key", "Partitioned", "Security"], rows)
    return section("Current schema", [*body, "", *bullets(current.notes)])


def findings(pkg: DesignPackage) -> list[str]:
    report = pkg.optimization
    if report is None:
        return section("Findings", [NOT_RUN.format(stage="optimize")])
    lint = (
        table(
            ["Severity", "Rule", "Where", "Finding", "Fix"],
            [
                (
                    f.severity,
                    f.rule,
                    ".".join(p for p in (f.table, f.column) if p),
                    f.message,
                    f.fix,
                )
                for f in report.lint
            ],
        )
        if report.lint
        else ["No lint finding on the current schema."]
    )
    plans = table(
        ["Query", "Cost now", "Cost after", "Plan", "Findings"],
        [
            (
                q.query,
                count(q.cost),
                count(q.cost_after),
                "; ".join(q.scans) or q.error,
                "; ".join(f"{f.rule}: {f.message}" for f in q.findings) or "none",
            )
            for q in report.queries
        ],
    )
    body = ["### Schema lint", "", *lint, "", "### Query plans", "", *plans]
    if report.notes:
        body += ["", *bullets(report.notes)]
    return section("Findings", body)


def rewrites(pkg: DesignPackage) -> list[str]:
    report = pkg.optimization
    if report is None or not report.rewrites:
        return section("Query rewrites", ["None needed: no query's text causes a finding."])
    body: list[str] = []
    for rewrite in report.rewrites:
        cost = (
            f"Cost {rewrite.cost_before:,.0f} -> {rewrite.cost_after:,.0f} (with the indexes)."
            if rewrite.cost_before is not None and rewrite.cost_after is not None
            else ""
        )
        body += [f"### {rewrite.query}: {rewrite.problem}", "", f"{rewrite.why} {cost}".strip(), ""]
        if rewrite.rewritten != rewrite.original:
            body += ["Before:", "", *code(rewrite.original, "sql"), "", "After:", ""]
            body += [*code(rewrite.rewritten, "sql"), ""]
        if rewrite.index_ddl:
            body += ["Relies on:", "", *code(rewrite.index_ddl, "sql"), ""]
    body.append("Every rewrite is also in `rewrites.sql`.")
    return section("Query rewrites", body)


def comparison(pkg: DesignPackage) -> list[str]:
    tech = pkg.technology
    if tech is None or not tech.matrix:
        return section("Verdict", [NOT_RUN.format(stage="technology")])
    ranked = sorted(tech.matrix, key=lambda r: r.rank)
    winner, body = ranked[0], [f"**{ranked[0].product}** scores {ranked[0].total:g} of 100."]
    if len(ranked) > 1:
        second = ranked[1]
        won = {s.criterion: s.score for s in winner.scores}
        better = [s for s in second.scores if s.score > won.get(s.criterion, 0)]
        body.append(
            f"Runner-up **{second.product}** ({second.total:g}, {winner.total - second.total:g} "
            "points behind)"
            + (
                " would win if these mattered more: "
                + ", ".join(f"{s.criterion} ({s.score} vs {won.get(s.criterion)})" for s in better)
                if better
                else " scores no criterion higher than the winner"
            )
            + "."
        )
    body += ["", "The scores, weights and the reason for each are in the matrix above."]
    return section("Verdict", body)


_NEXT = {
    "optimize": [
        "Build the indexes in `indexes.sql` with CREATE INDEX CONCURRENTLY, one at a time.",
        "Ship the rewritten queries in `rewrites.sql` with the release that needs them.",
        "Re-measure with EXPLAIN (ANALYZE, BUFFERS) on production data and pg_stat_statements.",
        "Fix the lint findings listed under Findings in a planned migration (`--mode migrate`).",
    ],
    "scale": [
        "Replace assumed volumes with measured ones (pg_class.reltuples, pg_total_relation_size).",
        "Load-test the pooling and replica plan with pgbench at the stated peak rates.",
        "Set up pgBackRest with WAL archiving and rehearse a point-in-time restore.",
        "Wire the monitoring alerts; they say when the next step of the plan is due.",
    ],
    "migrate": [
        "Rehearse the migrations on a restored copy of production and time each backfill.",
        "Deploy the release that writes both shapes before the backfill steps.",
        "Take a backup, deploy the release that reads only the new shape, then run the "
        "contract steps.",
        "Keep the down files with the release: each undoes its up file, newest first.",
    ],
    "compare": [
        "Prototype the top two options on the two hottest access patterns and measure.",
        "Check the team's operating experience and the managed offerings for the winner.",
        "Run `dbarch design` on the spec for the schema, indexes and scaling plan.",
    ],
}


def next_steps(pkg: DesignPackage) -> list[str]:
    steps = _NEXT.get(pkg.mode, [])
    return section("Next steps", [f"{n}. {s}" for n, s in enumerate(steps, start=1)])


def rewrites_file(report: OptimizationReport) -> str:
    """`rewrites.sql`: each rewritten query as it should ship, with why and what it needs."""
    finals: dict[str, list[str]] = {}
    for rewrite in report.rewrites:
        notes = finals.setdefault(rewrite.query, [])
        notes.append(f"-- {rewrite.problem}: {' '.join(rewrite.why.split())}")
        if rewrite.index_ddl:
            notes.append(f"-- needs: {rewrite.index_ddl}")
    chunks = []
    for query, notes in finals.items():
        last = [r for r in report.rewrites if r.query == query][-1]
        chunks.append("\n".join([f"-- name: {query}", *notes, last.rewritten.rstrip(";") + ";"]))
    return "\n\n".join(chunks) + "\n"

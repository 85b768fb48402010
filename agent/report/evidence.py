"""Report sections with the workload evidence: the index strategy and how each query is served."""

from __future__ import annotations

from agent.markdown import bullets, count, human_bytes, section, table
from agent.package import DesignPackage
from agent.report import claims as rc
from agent.report.design import NOT_RUN
from agent.stages import IndexPlan


def indexes(pkg: DesignPackage) -> list[str]:
    plan = pkg.indexes
    if plan is None:
        return section("Index strategy", [NOT_RUN.format(stage="indexes")])
    rows = [
        (
            i.ddl,
            ", ".join(i.serves) or "foreign key",
            f"{i.cost_before:,.0f} -> {i.cost_after:,.0f}"
            if i.cost_before is not None and i.cost_after is not None
            else None,
            f"{human_bytes(i.size_bytes)} ({i.size_basis})" if i.size_bytes else None,
            i.reason,
        )
        for i in plan.indexes
    ]
    body = (
        [*table(["Index", "Serves", "Cost before -> after", "Size at stated rows", "Why"], rows)]
        if rows
        else ["No secondary index beyond keys: no candidate lowered a stated query."]
    )
    body += ["", *_budget(plan), *rc.facts(plan.claims)]
    if plan.sampling_note:
        body += [f"Evidence: {plan.sampling_note}", ""]
    if plan.rejected:
        body += [
            "Rejected candidates:",
            "",
            *bullets(f"`{r.ddl}`: {r.reason}" for r in plan.rejected),
        ]
    body += bullets(plan.notes)
    return section("Index strategy", body)


def _budget(plan: IndexPlan) -> list[str]:
    """The budget and what the advised indexes spend of it, both at the stated volume."""
    if not plan.budget_bytes:
        return []
    used = sum(i.size_bytes or 0 for i in plan.indexes)
    return [
        f"Index budget {human_bytes(plan.budget_bytes)} at the stated volume; the advised "
        f"indexes take {human_bytes(used)} of it.",
        "",
    ]


def query_patterns(pkg: DesignPackage) -> list[str]:
    spec = pkg.spec
    if spec is None or not spec.access_patterns:
        return section("Query patterns", ["Not applicable: the spec states no access patterns."])
    plans = {p.pattern: p for p in pkg.plans}
    rows = []
    for pattern in spec.access_patterns:
        plan = plans.get(pattern.name)
        served = "; ".join(plan.scans) if plan else "not planned in this run"
        cost = None
        if plan is not None:
            before = f"{plan.cost_without_indexes:,.0f} -> " if plan.cost_without_indexes else ""
            cost = f"{before}{plan.total_cost:,.0f}"
        rows.append((pattern.name, count(pattern.per_second), served, cost))
    body = table(["Pattern", "Peak / s", "How it is served", "Cost (no indexes -> design)"], rows)
    return section("Query patterns", body)

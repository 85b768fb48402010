"""The optimize stage's index plan: the advisor's picks plus the indexes rewrites rely on.

An index a rewrite needs (an expression index for `lower(email)`, an index on a join
column) is usually among the advisor's picks already; then the rewrite points at that one
instead of adding a twin. Indexes the gate found useless on a retry are moved to `rejected`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from agent.brains.rules.indexes import recommendation, useless_indexes
from agent.stages import GateFinding, IndexPlan, IndexRecommendation, QueryRewrite, RejectedIndex
from tools.sql.advise import AdviceResult, WorkloadReport
from tools.sql.index_ddl import index_name, index_shape, renamed


def index_plan(
    advice: AdviceResult | None,
    rewrites: Sequence[QueryRewrite],
    base: WorkloadReport,
    findings: Sequence[GateFinding] = (),
    existing: Collection[str] = (),
) -> IndexPlan:
    useless = useless_indexes(findings)
    recs = [recommendation(a) for a in (advice.advice if advice else [])]
    taken = set(existing) | {n for r in recs if (n := index_name(r.ddl))}
    for rewrite in rewrites:
        if rewrite.index_ddl and covering(rewrite.index_ddl, recs) is None:
            ddl = _unique_name(rewrite.index_ddl, taken)
            recs.append(_own(rewrite, ddl))
    notes = list(advice.notes) if advice else []
    if advice is not None:
        notes.append(
            f"workload cost {advice.workload_cost_before:,.0f} -> "
            f"{advice.workload_cost_after:,.0f} (method: {advice.method})"
        )
    return IndexPlan(
        indexes=[r for r in recs if index_name(r.ddl) not in useless],
        rejected=[
            RejectedIndex(ddl=r.ddl, reason="the gate found it lowers no query's cost")
            for r in recs
            if index_name(r.ddl) in useless
        ],
        budget_bytes=advice.budget_bytes if advice else None,
        sampling_note=base.sampling_note,
        notes=notes,
    )


def link_rewrites(rewrites: Sequence[QueryRewrite], plan: IndexPlan) -> list[QueryRewrite]:
    """Point each rewrite at the planned index that serves it (None when it was rejected)."""
    linked = []
    for rewrite in rewrites:
        if rewrite.index_ddl:
            match = covering(rewrite.index_ddl, plan.indexes)
            rewrite = rewrite.model_copy(update={"index_ddl": match.ddl if match else None})
        linked.append(rewrite)
    return linked


def covering(ddl: str, recs: Sequence[IndexRecommendation]) -> IndexRecommendation | None:
    """A planned index on the same table whose first key is this index's first key."""
    table, keys = index_shape(ddl)
    for rec in recs:
        other_table, other_keys = index_shape(rec.ddl)
        if other_table == table and other_keys[:1] == keys[:1]:
            return rec
    return None


def _unique_name(ddl: str, taken: set[str]) -> str:
    base = index_name(ddl) or "idx"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base[:60]}{number}"
    taken.add(name)
    return renamed(ddl, name)


def _own(rewrite: QueryRewrite, ddl: str) -> IndexRecommendation:
    table, keys = index_shape(ddl)
    expression = rewrite.problem == "function-on-indexed-column"
    return IndexRecommendation(
        ddl=ddl,
        table=table,
        columns=keys,
        kind="expression" if expression else "btree",
        serves=[rewrite.query],
        reason=rewrite.why,
    )

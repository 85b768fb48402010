"""The optimize stage's index plan: the advisor's picks plus the indexes rewrites rely on.

An index a rewrite needs (an expression index for `lower(email)`, an index on a join
column) is usually among the advisor's picks already; then the rewrite points at that one
instead of adding a twin. Indexes the gate found useless on a retry are moved to `rejected`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import pglast
from pglast import ast
from pglast.stream import RawStream

from agent.stages import GateFinding, IndexPlan, IndexRecommendation, QueryRewrite, RejectedIndex
from tools.errors import SqlSyntaxError
from tools.sql.advise import AdviceResult, IndexAdvice
from tools.sql.workload_report import WorkloadReport

_USELESS = re.compile(r"^index (?P<name>\S+) lowers no")


def index_plan(
    advice: AdviceResult | None,
    rewrites: Sequence[QueryRewrite],
    base: WorkloadReport,
    findings: Sequence[GateFinding] = (),
    existing: Collection[str] = (),
) -> IndexPlan:
    useless = {m["name"] for f in findings if (m := _USELESS.match(f.message))}
    recs = [_recommendation(a) for a in (advice.advice if advice else [])]
    taken = set(existing) | {index_name(r.ddl) for r in recs}
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
    table, keys = _shape(ddl)
    for rec in recs:
        other_table, other_keys = _shape(rec.ddl)
        if other_table == table and other_keys[:1] == keys[:1]:
            return rec
    return None


def index_name(ddl: str) -> str:
    stmt = _index(ddl)
    return stmt.idxname or ""


def _index(ddl: str) -> ast.IndexStmt:
    try:
        stmt = pglast.parse_sql(ddl)[0].stmt
    except pglast.parser.ParseError as exc:
        raise SqlSyntaxError(str(exc)) from exc
    if not isinstance(stmt, ast.IndexStmt):
        raise SqlSyntaxError(f"not a CREATE INDEX statement: {ddl[:80]}")
    return stmt


def _shape(ddl: str) -> tuple[str, list[str]]:
    stmt = _index(ddl)
    relation = stmt.relation.relname if stmt.relation else ""
    keys = [_key(p) for p in stmt.indexParams or () if isinstance(p, ast.IndexElem)]
    return relation or "", keys


def _key(element: ast.IndexElem) -> str:
    """A column name, or the expression without spaces (`lower(email)`)."""
    if element.name or element.expr is None:
        return element.name or ""
    return "".join(str(RawStream()(element.expr)).lower().split())


def _unique_name(ddl: str, taken: set[str]) -> str:
    stmt = _index(ddl)
    base = stmt.idxname or "idx"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base[:60]}{number}"
    taken.add(name)
    stmt.idxname = name
    return str(RawStream()(stmt))


def _own(rewrite: QueryRewrite, ddl: str) -> IndexRecommendation:
    table, keys = _shape(ddl)
    expression = rewrite.problem == "function-on-indexed-column"
    return IndexRecommendation(
        ddl=ddl,
        table=table,
        columns=keys,
        kind="expression" if expression else "btree",
        serves=[rewrite.query],
        reason=rewrite.why,
    )


def _recommendation(advice: IndexAdvice) -> IndexRecommendation:
    gains = ", ".join(
        f"{g.query} {g.cost_before:,.0f} -> {g.cost_after:,.0f}" for g in advice.per_query
    )
    return IndexRecommendation(
        ddl=advice.ddl,
        table=advice.table,
        columns=_shape(advice.ddl)[1],
        kind=advice.kind,
        serves=advice.queries,
        cost_before=advice.cost_before,
        cost_after=advice.cost_after,
        size_bytes=advice.size_bytes,
        reason=f"planner cost on sample data: {gains}" if gains else "",
    )

"""The rules brain's optimize stage: lint, plan findings, rewrites and indexes for a live schema.

Everything runs in one scratch database loaded with sample data at the stated volumes:
the workload is planned as it stands, the queries whose text causes a finding are
rewritten, the advisor picks indexes for the original and the rewritten queries together,
and then every query is planned again with those indexes built, so each number in the
report is a planner cost on that data. On a retry, indexes and rewrites the gate refused
are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import psycopg

from agent.brains.rules.optimize.indexes import index_plan, link_rewrites
from agent.brains.rules.optimize.rewrites import final_text, rewrite_workload
from agent.spec import Requirements
from agent.stages import (
    REWRITTEN,
    GateFinding,
    IndexPlan,
    LintItem,
    OptimizationReport,
    QueryFinding,
    QueryReport,
    QueryRewrite,
    SchemaDesign,
)
from agent.volumes import pattern_queries
from tools.sql.advise import WorkloadReport, advise_on, analyze_applied
from tools.sql.catalog import Catalog, load_catalog
from tools.sql.datagen import TableLoad, refresh
from tools.sql.parse import parse_schema
from tools.sql.query import (
    QueryPlan,
    WorkloadQuery,
    explain_queries,
    planning_connection,
    workload_from_patterns,
)
from tools.sql.review import lint_schema
from tools.sql.server import PgServer, Scratch, connect, scratch_database
from tools.sql.validate import apply_statements

_REFUSED_REWRITE = re.compile(r"rewrite of query '(?P<name>.+?)'")


def optimize_schema(
    spec: Requirements,
    current: SchemaDesign,
    pg: PgServer,
    cap: int,
    findings: Sequence[GateFinding] = (),
) -> OptimizationReport:
    schema = parse_schema(current.ddl, file="current.sql")
    queries = pattern_queries(spec)
    rows = {t.name: t.estimated_rows for t in current.tables if t.estimated_rows}
    refused = {m["name"] for f in findings if (m := _REFUSED_REWRITE.search(f.message))}
    with scratch_database(pg) as scratch:
        apply_statements(schema, scratch)
        base = analyze_applied(schema, queries, scratch, rows, cap=cap, advise_indexes=False)
        catalog = _catalog(scratch)
        proposed = rewrite_workload(queries, base.plans, catalog)
        rewrites = [r for r in proposed if r.query not in refused]
        rewritten = rewritten_queries(queries, rewrites)
        shipped = _shipped(queries, base.plans, rewritten)
        advice = advise_on(scratch, shipped, loads=_loads(base)) if shipped else None
        existing = {ix.name for t in catalog.tables.values() for ix in t.indexes}
        plan = index_plan(advice, rewrites, base, findings, existing)
        steps_before = explain_queries(scratch.dsn, _steps(rewrites))
        _build(scratch, plan)
        after = {p.name: p for p in explain_queries(scratch.dsn, [*queries, *rewritten])}
        steps_after = explain_queries(scratch.dsn, _steps(rewrites, after=True))
    costed, unplanned = _costed(link_rewrites(rewrites, plan), steps_before, steps_after)
    return OptimizationReport(
        lint=[
            LintItem(
                rule=f.rule,
                severity=f.severity,
                message=f.message,
                table=f.table,
                column=f.column,
                fix=f.fix,
            )
            for f in lint_schema(schema)
        ],
        queries=[_report(q, p, after) for q, p in zip(queries, base.plans, strict=True)],
        rewrites=costed,
        indexes=plan,
        notes=_notes(base, unplanned, sorted(refused)),
    )


def rewritten_queries(
    queries: Sequence[WorkloadQuery], rewrites: Sequence[QueryRewrite]
) -> list[WorkloadQuery]:
    """Each rewritten query's final text, named `<name> (rewritten)`, with its original weight."""
    changed = [(q, final_text(q, rewrites)) for q in queries]
    return workload_from_patterns(
        [(q.name + REWRITTEN, text, q.weight) for q, text in changed if text != q.sql]
    )


def _shipped(
    queries: Sequence[WorkloadQuery], plans: Sequence[QueryPlan], rewritten: list[WorkloadQuery]
) -> list[WorkloadQuery]:
    """What the advisor tunes for: each query as it will ship (rewritten where it was)."""
    final = {q.name.removesuffix(REWRITTEN): q for q in rewritten}
    return [final.get(q.name, q) for q, p in zip(queries, plans, strict=True) if p.ok]


def _loads(base: WorkloadReport) -> list[TableLoad]:
    """Stated and loaded rows per table, so advised sizes are taken to the stated volume."""
    return base.data.tables if base.data is not None else []


def _catalog(scratch: Scratch) -> Catalog:
    with planning_connection(scratch.dsn, read_only=True) as conn:
        return load_catalog(conn)


def _steps(rewrites: Sequence[QueryRewrite], after: bool = False) -> list[WorkloadQuery]:
    """Every rewrite's text (its original, or with `after` its rewritten form), named by place."""
    return workload_from_patterns(
        [(f"step {n}", r.rewritten if after else r.original) for n, r in enumerate(rewrites)]
    )


def _build(scratch: Scratch, plan: IndexPlan) -> None:
    """Create the planned indexes (as the sandbox role) and ANALYZE, so expressions get stats."""
    with connect(scratch.dsn, autocommit=True) as conn:
        for rec in plan.indexes:
            try:
                conn.execute(rec.ddl)
            except psycopg.Error:
                continue  # the index gate names an index that does not build
        refresh(conn)


def _costed(
    rewrites: Sequence[QueryRewrite], before: list[QueryPlan], after: list[QueryPlan]
) -> tuple[list[QueryRewrite], list[str]]:
    """Rewrites that plan, costed as written today and rewritten with the indexes; the rest."""
    kept: list[QueryRewrite] = []
    dropped: list[str] = []
    for rewrite, old, new in zip(rewrites, before, after, strict=True):
        if not new.ok:
            dropped.append(f"{rewrite.query} ({rewrite.problem}): {new.error}")
            continue
        costs = {"cost_before": old.total_cost, "cost_after": new.total_cost}
        kept.append(rewrite.model_copy(update=costs))
    return kept, dropped


def _report(query: WorkloadQuery, plan: QueryPlan, after: dict[str, QueryPlan]) -> QueryReport:
    shipped = after.get(query.name + REWRITTEN) or after.get(query.name)
    return QueryReport(
        query=query.name,
        sql=query.sql,
        cost=plan.total_cost,
        cost_after=shipped.total_cost if shipped is not None else None,
        scans=[f"{s.node} on {s.relation}" for s in plan.scans if s.relation],
        error=plan.error,
        findings=[QueryFinding.model_validate(f.model_dump()) for f in plan.findings],
    )


def _notes(base: WorkloadReport, unplanned: list[str], refused: list[str]) -> list[str]:
    notes = [n for n in (base.sampling_note,) if n] + base.notes + base.errors
    notes += [f"rewrite left out, it did not plan: {u}" for u in unplanned]
    notes += [f"rewrites of '{name}' left out: the gate refused them" for name in refused]
    return notes

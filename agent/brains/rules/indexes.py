"""The rules brain's index stage: the advisor's evidence-backed picks for the access patterns.

Indexes come from the workload advisor run on sample data at the stated volumes, so every
recommendation carries the planner costs that justify it. On a retry the gate's findings
steer it: indexes the gate found useless are dropped, and a pattern still scanning a large
table raises the storage budget.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.claims.derive import index_claims
from agent.spec import Requirements
from agent.stages import GateFinding, IndexPlan, IndexRecommendation, RejectedIndex, SchemaDesign
from agent.volumes import pattern_queries, stated_rows
from tools.sql.advise import IndexAdvice, analyze_loaded
from tools.sql.datagen import sample_database
from tools.sql.index_ddl import index_name, index_shape
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer

RETRY_BUDGET_FACTOR = 4
# The `indexes_pay_off` gate's finding about an index that serves nothing (agent.gates.indexes
# writes it); a brain reads the gate's findings, never the gate.
_USELESS = re.compile(r"^index (?P<name>\S+) lowers no")


def plan_indexes(
    spec: Requirements,
    design: SchemaDesign,
    pg: PgServer,
    cap: int,
    findings: Sequence[GateFinding] = (),
) -> IndexPlan:
    if not spec.access_patterns:
        return IndexPlan(
            notes=["no access patterns: only the schema's key and FK indexes"],
            claims=index_claims(design.ddl, []),
        )
    schema = parse_schema(design.ddl, file="schema.sql")
    rows = {t: n for t, n in stated_rows(spec).items() if t in schema.tables}
    queries = pattern_queries(spec)
    # The same cached sample the index gate will plan on: one load serves both.
    with sample_database(pg, schema, rows, cap) as (scratch, data):
        report = analyze_loaded(queries, scratch, data)
    if any(f.gate == "patterns_indexed" for f in findings):
        with sample_database(pg, schema, rows, cap) as (scratch, data):
            report = analyze_loaded(
                queries, scratch, data, report.budget_bytes * RETRY_BUDGET_FACTOR
            )
    useless = useless_indexes(findings)
    kept = [a for a in report.index_advice if index_name(a.ddl) not in useless]
    return IndexPlan(
        claims=index_claims(design.ddl, [(a.ddl, a.queries) for a in kept]),
        indexes=[recommendation(a) for a in kept],
        rejected=[
            RejectedIndex(ddl=a.ddl, reason="the gate found it lowers no pattern's cost")
            for a in report.index_advice
            if index_name(a.ddl) in useless
        ],
        budget_bytes=report.budget_bytes,
        sampling_note=report.sampling_note,
        notes=[
            *report.notes,
            f"workload cost {report.workload_cost_before:,.0f} -> "
            f"{report.workload_cost_after:,.0f} (method: {report.method})",
        ],
    )


def recommendation(advice: IndexAdvice) -> IndexRecommendation:
    gains = ", ".join(
        f"{g.query} {g.cost_before:,.0f} -> {g.cost_after:,.0f}" for g in advice.per_query
    )
    return IndexRecommendation(
        ddl=advice.ddl,
        table=advice.table,
        columns=index_shape(advice.ddl)[1],
        kind=advice.kind,
        serves=advice.queries,
        cost_before=advice.cost_before,
        cost_after=advice.cost_after,
        size_bytes=advice.size_bytes,
        sample_size_bytes=advice.sample_size_bytes,
        sample_rows=advice.sample_rows,
        stated_rows=advice.stated_rows,
        size_method=advice.size_method,
        reason=f"planner cost on sample data: {gains}" if gains else "",
    )


def useless_indexes(findings: Sequence[GateFinding]) -> set[str]:
    """Names of the indexes the gate found to lower no pattern's cost."""
    return {m["name"] for f in findings if (m := _USELESS.match(f.message))}

"""The decision record of an optimize run, written from its report (whichever brain wrote it).

The options are the ones a team weighs when a workload is slow: leave it, add indexes
only, or rewrite the queries whose text causes the cost and add the indexes that are
proven to pay. The numbers in the record are the report's planner costs.
"""

from __future__ import annotations

from agent.stages import Adr, AdrOption, IndexRecommendation, OptimizationReport


def optimization_adr(report: OptimizationReport, date: str | None = None) -> Adr:
    before = sum(q.cost or 0.0 for q in report.queries)
    after = sum(q.cost_after if q.cost_after is not None else q.cost or 0.0 for q in report.queries)
    rewritten = sorted({r.query for r in report.rewrites if r.rewritten != r.original})
    problems = sorted({f.rule for q in report.queries for f in q.findings})
    indexes = report.indexes.indexes
    return Adr(
        number=1,
        date=date,
        title="Rewrite the costly queries and add only indexes the planner proves",
        context=(
            f"{len(report.queries)} workload queries on the existing schema cost {before:,.0f} "
            f"planner units together on sample data; their plans show "
            f"{', '.join(problems) or 'no finding'}. The schema has "
            f"{len(report.lint)} lint finding(s)."
        ),
        options=[
            AdrOption(
                name="leave the schema and the queries as they are",
                pros=["no change to deploy"],
                cons=["the costs above stay, and grow with the tables"],
            ),
            AdrOption(
                name="add indexes only",
                pros=["no application change"],
                cons=[
                    "OFFSET paging and SELECT * stay costly whatever the indexes",
                    "an index per symptom slows every write",
                ],
            ),
            AdrOption(
                name="rewrite the queries whose text causes the cost, then add proven indexes",
                pros=["each change is measured on the same sample data", "fewer indexes"],
                cons=["the application's queries change (keyset pages take the last row)"],
            ),
        ],
        decision=(
            f"Rewrite {len(rewritten)} quer{'y' if len(rewritten) == 1 else 'ies'} "
            f"({', '.join(rewritten) or 'none'}) and add {len(indexes)} index(es) "
            f"({', '.join(_index(i) for i in indexes) or 'none'}): "
            f"the workload goes from "
            f"{before:,.0f} to {after:,.0f} planner cost units."
        ),
        consequences=[
            "Build the indexes with CREATE INDEX CONCURRENTLY on the live database.",
            "Ship the rewritten queries with the indexes they rely on.",
            "Watch pg_stat_statements and pg_stat_user_indexes; drop an index nothing reads.",
        ],
    )


def _index(index: IndexRecommendation) -> str:
    return f"{index.table} ({', '.join(index.columns)})"

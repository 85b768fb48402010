"""Queries and their plans: a workload file read into named queries (`workload`), which table
a column means (`scope`) and what each SELECT asks of its tables (`shape`), the read-only
guard for a user's database (`readonly`), EXPLAIN as JSON with costs and scans (`explain`),
and findings about a plan at the stated volumes (`plan_findings`).

May import `tools.sql.catalog`, `pgparse`, `astwalk`, `server` and `tools.errors`; the
advisor, sample data and the gates build on it.
"""

from tools.sql.query.explain import QueryPlan, explain_queries, plan_cost, planning_connection
from tools.sql.query.plan_findings import PlanFinding
from tools.sql.query.scope import Scope, deparse
from tools.sql.query.shape import Filter, SelectShape, query_shapes
from tools.sql.query.workload import (
    WorkloadQuery,
    parse_workload,
    read_workload,
    workload_from_patterns,
)

__all__ = [
    "Filter",
    "PlanFinding",
    "QueryPlan",
    "Scope",
    "SelectShape",
    "WorkloadQuery",
    "deparse",
    "explain_queries",
    "parse_workload",
    "plan_cost",
    "planning_connection",
    "query_shapes",
    "read_workload",
    "workload_from_patterns",
]

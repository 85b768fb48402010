"""The EXPLAIN tool: each workload query's plan as JSON, its cost, its scans and findings.

Every statement goes over the extended protocol (one statement per message, so the server
refuses smuggled `; COMMIT; ...`). Parameterised queries are planned as generic plans:
PREPARE, then EXPLAIN EXECUTE with NULL arguments under `plan_cache_mode =
force_generic_plan`, which is what `EXPLAIN (GENERIC_PLAN)` does but also works over the
extended protocol (binding values there would fold them into the plan) and on PostgreSQL
before 16. One bad query is reported on its own plan; it never hides the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from tools.errors import ArchitectError, ToolError, UnsafeSqlError
from tools.sql import pgparse
from tools.sql.catalog import Catalog, load_catalog
from tools.sql.query.plan_findings import PlanFinding, iter_plan_nodes, plan_findings
from tools.sql.query.readonly import check_read_only, session_connection
from tools.sql.query.workload import WorkloadQuery
from tools.sql.server import Conn

GENERIC_PLAN_SETTINGS = {"plan_cache_mode": "force_generic_plan"}
_statement_ids = itertools.count(1)
GENERIC_PLAN_VERSION = 160000  # EXPLAIN (GENERIC_PLAN) exists from PostgreSQL 16


class Scan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node: str  # "Seq Scan", "Index Scan", "Bitmap Heap Scan"...
    relation: str | None = None
    index: str | None = None
    rows: float = 0.0  # the planner's row estimate for the node


class QueryPlan(BaseModel):
    """One query's plan, or the reason it has none (`error`, naming the query)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    sql: str
    file: str | None = None
    line: int = 1
    generic: bool = False  # planned without parameter values
    error: str | None = None
    total_cost: float | None = None
    plan: dict[str, Any] | None = None
    scans: list[Scan] = Field(default_factory=list)
    findings: list[PlanFinding] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


class QueryPlanError(ToolError):
    """A query that PostgreSQL could not plan; the message names the query and its line."""


def explain_queries(
    dsn: str,
    queries: Sequence[WorkloadQuery],
    read_only: bool = False,
    timeout_ms: int = 10_000,
    large_table_rows: int = 10_000,
) -> list[QueryPlan]:
    """Plan every query; `read_only` is for a user's own database (the guard runs first)."""
    with planning_connection(dsn, read_only, timeout_ms) as conn:
        catalog = load_catalog(conn)
        return [_plan_one(conn, q, catalog, read_only, large_table_rows) for q in queries]


def planning_connection(
    dsn: str, read_only: bool, timeout_ms: int = 10_000
) -> AbstractContextManager[Conn]:
    """The connection every plan is taken on (see the module docstring for why)."""
    return session_connection(dsn, timeout_ms, GENERIC_PLAN_SETTINGS, read_only=read_only)


def _plan_one(
    conn: Conn, query: WorkloadQuery, catalog: Catalog, read_only: bool, large_rows: int
) -> QueryPlan:
    result = QueryPlan(
        name=query.name, sql=query.sql, file=query.file, line=query.line, generic=query.params > 0
    )
    try:
        if read_only:
            check_read_only(query.sql)
        plan = plan_json(conn, query)
    except (QueryPlanError, UnsafeSqlError) as exc:
        result.error = str(exc)
        return result
    result.plan = plan
    result.total_cost = float(plan["Total Cost"])
    result.scans = list(_scans(plan))
    stmt = pgparse.parse_sql(query.sql)[0].stmt
    assert stmt is not None
    result.findings = plan_findings(query.name, stmt, plan, catalog, large_rows)
    return result


def plan_json(conn: Conn, query: WorkloadQuery) -> dict[str, Any]:
    """The top plan node of one query; QueryPlanError naming the query when it cannot plan."""
    try:
        if query.params == 0:
            return _first_plan(conn, f"EXPLAIN (FORMAT JSON) {query.sql}")
        return _generic_plan(conn, query)
    except psycopg.Error as exc:
        where = f"{query.file}:{query.line}" if query.file else f"line {query.line}"
        message = (exc.diag.message_primary or str(exc)).strip()
        raise QueryPlanError(f"query '{query.name}' ({where}) failed to plan: {message}") from exc


def plan_cost(conn: Conn, query: WorkloadQuery) -> float:
    return float(plan_json(conn, query)["Total Cost"])


def _first_plan(conn: Conn, sql: str) -> dict[str, Any]:
    with conn.transaction():
        row = conn.execute(sql, prepare=True).fetchone()
    if row is None:
        raise ArchitectError("EXPLAIN returned no row")
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


def _generic_plan(conn: Conn, query: WorkloadQuery) -> dict[str, Any]:
    if not conn.read_only and conn.info.server_version >= GENERIC_PLAN_VERSION:
        return _planned_generic(conn, query)
    name = f"dbarch_q{next(_statement_ids)}"
    nulls = ", ".join(["NULL"] * query.params)
    prepared = False
    try:
        with conn.transaction():
            conn.execute(f"PREPARE {name} AS {query.sql}", prepare=True)
            prepared = True
            return _first_plan(conn, f"EXPLAIN (FORMAT JSON) EXECUTE {name}({nulls})")
    finally:
        if prepared:  # prepared statements outlive their transaction
            conn.execute(f"DEALLOCATE {name}", prepare=False)


def _planned_generic(conn: Conn, query: WorkloadQuery) -> dict[str, Any]:
    """`EXPLAIN (GENERIC_PLAN)`: the same generic plan, but nothing is executed, so a
    partitioned table keeps every partition the plan would open. EXECUTE with NULLs would
    run initial pruning, which removes them all and hides the scans the gates look at.

    It needs the simple protocol (the `$n` belong to the explained query, not to us): used
    only on our own scratch databases; a user's database keeps the PREPARE route.
    """
    with conn.transaction():
        row = conn.execute(f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {query.sql}").fetchone()
    if row is None:
        raise ArchitectError("EXPLAIN returned no row")
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


def _scans(plan: dict[str, Any]) -> Iterator[Scan]:
    for node in iter_plan_nodes(plan):
        if "Relation Name" in node or "Index Name" in node:
            yield Scan(
                node=node["Node Type"],
                relation=node.get("Relation Name"),
                index=node.get("Index Name"),
                rows=float(node.get("Plan Rows", 0)),
            )

"""Optimize gates, on the existing schema:

* the index gates of a design (`index_ddl_applies`, `indexes_pay_off`) over the workload and
  the rewritten queries together, on sample data at the stated volumes: an index a rewrite
  needs pays off on the rewritten query; `patterns_indexed` is a warning here, since a
  user's query may have to read a whole table;
* `rewrites_equivalent`: every rewrite plans, and returns the same columns (names and
  types, in order) as the text it replaces.
"""

from __future__ import annotations

import itertools
from typing import Any

import psycopg

from agent.context import RunContext
from agent.gates import Verdict, fail
from agent.gates.indexes import check_indexes
from agent.spec import Requirements, parse_spec
from agent.stages import REWRITTEN, OptimizationReport
from agent.state import DesignState
from tools.errors import ArchitectError
from tools.sql.parse import parse_schema
from tools.sql.query import explain_queries, workload_from_patterns
from tools.sql.server import Conn, Scratch, connect, scratch_database
from tools.sql.validate import apply_statements

_names = itertools.count(1)
Columns = list[tuple[str, int]]


def check_optimize(state: DesignState, ctx: RunContext) -> list[Verdict]:
    report, spec = state.optimization, state.spec
    assert report is not None and spec is not None and state.current is not None
    widened = state.model_copy(
        update={"spec": with_rewrites(spec, report), "indexes": report.indexes}
    )
    verdicts = [
        _soften(v) if v.gate == "patterns_indexed" else v for v in check_indexes(widened, ctx)
    ]
    return [*verdicts, rewrites_verdict(state.current.ddl, report, ctx)]


def with_rewrites(spec: Requirements, report: OptimizationReport) -> Requirements:
    """The spec's patterns plus each rewritten query's final text, at the original's rate."""
    finals: dict[str, str] = {r.query: r.rewritten for r in report.rewrites}
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    extra: list[dict[str, Any]] = []
    for pattern in spec.access_patterns:
        text = finals.get(pattern.name)
        if text is not None and text != pattern.sql:
            extra.append({"name": pattern.name + REWRITTEN, "sql": text})
            if pattern.per_second is not None:
                extra[-1]["per_second"] = pattern.per_second
    data["access_patterns"] = [*data.get("access_patterns", []), *extra]
    return parse_spec(data)


def _soften(verdict: Verdict) -> Verdict:
    """A workload query that still scans a large table is reported, not sent back."""
    findings = [f.model_copy(update={"severity": "warning"}) for f in verdict.findings]
    return verdict.model_copy(update={"findings": findings})


def rewrites_verdict(ddl: str, report: OptimizationReport, ctx: RunContext) -> Verdict:
    verdict = Verdict(gate="rewrites_equivalent")
    if not report.rewrites:
        verdict.notes.append("no rewrite to check")
        return verdict
    with scratch_database(ctx.pg()) as scratch:
        apply_statements(parse_schema(ddl, file="current.sql"), scratch)
        _build_indexes(scratch, report)
        texts = [(f"rewrite {n}", r.rewritten) for n, r in enumerate(report.rewrites)]
        plans = explain_queries(scratch.dsn, workload_from_patterns(texts))
        with connect(scratch.dsn, autocommit=True) as conn:
            for rewrite, plan in zip(report.rewrites, plans, strict=True):
                where = f"rewrite of query '{rewrite.query}' ({rewrite.problem})"
                if not plan.ok:
                    verdict.findings.append(
                        fail(verdict.gate, f"{where} does not plan: {plan.error}")
                    )
                    continue
                problem = _column_difference(conn, rewrite.original, rewrite.rewritten)
                if problem:
                    verdict.findings.append(fail(verdict.gate, f"{where} {problem}"))
    if verdict.passed:
        verdict.notes.append(f"{len(report.rewrites)} rewrite(s) plan and return the same columns")
    return verdict


def _build_indexes(scratch: Scratch, report: OptimizationReport) -> None:
    """The advised indexes, so rewrites are planned as they will run (failures: index gate)."""
    with connect(scratch.dsn, autocommit=True) as conn:
        for rec in report.indexes.indexes:
            try:
                conn.execute(rec.ddl)
            except psycopg.Error:
                continue


def _column_difference(conn: Conn, original: str, rewritten: str) -> str | None:
    before, after = result_columns(conn, original), result_columns(conn, rewritten)
    if before == after:
        return None
    return f"returns ({_show(after)}) instead of ({_show(before)})"


def result_columns(conn: Conn, sql: str) -> Columns:
    """Names and type oids of a statement's result, from PostgreSQL's own Describe."""
    name = f"dbarch_cols_{next(_names)}"
    try:
        conn.execute(f"PREPARE {name} AS {sql}", prepare=True)
    except psycopg.Error as exc:
        raise ArchitectError(f"cannot describe the query: {exc}") from exc
    try:
        result = conn.pgconn.describe_prepared(name.encode())
        return [((result.fname(i) or b"").decode(), result.ftype(i)) for i in range(result.nfields)]
    finally:
        conn.execute(f"DEALLOCATE {name}", prepare=False)


def _show(columns: Columns) -> str:
    return ", ".join(name for name, _ in columns) or "no columns"

"""One call for workload analysis: apply, fill, EXPLAIN, advise; the scratch DB is dropped.

Review, the design graph's index gate and the rules brain's index stage all call
`analyze_workload`, so they share the same sample data rules and the same numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tools.bounds import MAX_SIZE_BYTES
from tools.errors import InputError
from tools.sql import pgparse
from tools.sql.advise.advisor import AdviceResult, Baseline, IndexAdvice, advise, plan_candidates
from tools.sql.advise.whatif import BuiltIndexes, HypotheticalIndexes, WhatIf, has_hypopg
from tools.sql.catalog import Catalog, load_catalog
from tools.sql.datagen import DataReport, TableLoad, generate_data
from tools.sql.model import Schema
from tools.sql.query import (
    QueryPlan,
    SelectShape,
    WorkloadQuery,
    explain_queries,
    planning_connection,
    query_shapes,
)
from tools.sql.server import PgServer, Scratch, connect, scratch_database
from tools.sql.validate import apply_statements

DEFAULT_BUDGET_SHARE = 0.5  # of the heap size at the stated volume, when no budget is given
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class WorkloadReport(BaseModel):
    """Plans before advice, the advice, and how the sample data was made."""

    model_config = ConfigDict(extra="forbid")

    plans: list[QueryPlan] = Field(default_factory=list)
    index_advice: list[IndexAdvice] = Field(default_factory=list)
    sampling_note: str | None = None
    data: DataReport | None = None
    baselines: list[Baseline] = Field(default_factory=list)
    budget_bytes: int = 0  # at the stated volume, like every advised size
    workload_cost_before: float = 0.0
    workload_cost_after: float = 0.0
    method: str = ""
    errors: list[str] = Field(default_factory=list)  # queries that failed to plan, by name
    notes: list[str] = Field(default_factory=list)


def parse_size(text: str) -> int:
    """`64MB`, `1.5GiB`, `500k`, `4096` -> bytes (binary units, as PostgreSQL prints them)."""
    match = _SIZE.match(text)
    if not match:
        raise InputError(f"cannot read size '{text}': use a number with a unit, e.g. 64MB")
    unit = (match[2] or "").lower()[:1]
    size = float(match[1]) * _UNITS[unit]
    if not size <= MAX_SIZE_BYTES:  # a float's `inf` too
        raise InputError(f"size '{text}' is over the limit of {MAX_SIZE_BYTES} bytes (1 PiB)")
    return int(size)


def _checked_size(text: str) -> str:
    try:
        parse_size(text)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return text


# A size budget in an input model: a bad one is refused with the field's name.
SizeText = Annotated[str, AfterValidator(_checked_size), Field(max_length=32)]


def analyze_workload(
    schema: Schema,
    queries: Sequence[WorkloadQuery],
    server: PgServer,
    rows: Mapping[str, int] | None = None,
    budget_bytes: int | None = None,
    cap: int = 200_000,
    advise_indexes: bool = True,
) -> WorkloadReport:
    """The whole analysis in a scratch database that is dropped whatever happens."""
    with scratch_database(server) as scratch:
        apply_statements(schema, scratch)
        return analyze_applied(schema, queries, scratch, rows, budget_bytes, cap, advise_indexes)


def analyze_applied(
    schema: Schema,
    queries: Sequence[WorkloadQuery],
    scratch: Scratch,
    rows: Mapping[str, int] | None = None,
    budget_bytes: int | None = None,
    cap: int = 200_000,
    advise_indexes: bool = True,
) -> WorkloadReport:
    """Fill, plan and advise on a scratch database where `schema` is already applied.

    Queries that fail to plan are reported by name in `errors` (and on their plan) and
    left out of the advice; the others are still planned and advised.
    """
    data = generate_data(schema, scratch, rows or {}, cap=cap)
    return analyze_loaded(queries, scratch, data, budget_bytes, advise_indexes)


def analyze_loaded(
    queries: Sequence[WorkloadQuery],
    scratch: Scratch,
    data: DataReport,
    budget_bytes: int | None = None,
    advise_indexes: bool = True,
) -> WorkloadReport:
    """Plan and advise on a scratch database already filled (e.g. a cached sample's clone)."""
    report = WorkloadReport(sampling_note=data.sampling_note, data=data)
    report.notes = data.notes + data.failures
    report.plans = explain_queries(scratch.dsn, queries)
    report.errors = [p.error for p in report.plans if p.error]
    planned = [q for q, p in zip(queries, report.plans, strict=True) if p.ok]
    if advise_indexes and planned:
        _fill_advice(report, advise_on(scratch, planned, budget_bytes, data.tables))
    return report


def advise_on(
    scratch: Scratch,
    queries: Sequence[WorkloadQuery],
    budget_bytes: int | None = None,
    loads: Sequence[TableLoad] = (),
) -> AdviceResult:
    """Advise indexes for queries that plan, on a scratch database already filled.

    `loads` (stated and loaded rows per table) take every size to the stated volume: the
    budget (default: half the heap at the stated volume) is spent there, not on the sample.
    """
    use_hypopg = _prepare_hypopg(scratch)
    rows = {t.table: (t.loaded, t.stated) for t in loads if t.loaded}
    ratios = {table: stated / loaded for table, (loaded, stated) in rows.items()}
    with planning_connection(scratch.dsn, read_only=False, timeout_ms=120_000) as conn:
        catalog = load_catalog(conn)
        shapes = {q.name: _shapes(q, catalog) for q in queries}
        pool, baselines = plan_candidates(shapes, catalog)
        query_tables = [{t for s in shapes[q.name] for t in s.tables} for q in queries]
        kind = HypotheticalIndexes if use_hypopg else BuiltIndexes
        whatif: WhatIf = kind(conn, queries, query_tables, pool, ratios).build()
        try:
            budget = budget_bytes
            if budget is None:
                heap = sum(t.size_bytes * ratios.get(t.name, 1.0) for t in catalog.tables.values())
                budget = int(heap * DEFAULT_BUDGET_SHARE)
            names, weights = [q.name for q in queries], [q.weight for q in queries]
            method = "hypopg" if use_hypopg else "built"
            return advise(whatif, pool, names, weights, budget, baselines, method, rows)
        finally:
            whatif.close()


def _shapes(query: WorkloadQuery, catalog: Catalog) -> list[SelectShape]:
    stmt = pgparse.parse_sql(query.sql)[0].stmt
    assert stmt is not None
    return query_shapes(stmt, catalog)


def _prepare_hypopg(scratch: Scratch) -> bool:
    with connect(scratch.admin_dsn, autocommit=True) as admin:
        if not has_hypopg(admin):
            return False
        admin.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
    return True


def _fill_advice(report: WorkloadReport, result: AdviceResult) -> None:
    report.index_advice = result.advice
    report.baselines = result.baselines
    report.budget_bytes = result.budget_bytes
    report.workload_cost_before = result.workload_cost_before
    report.workload_cost_after = result.workload_cost_after
    report.method = result.method
    report.notes.extend(result.notes)

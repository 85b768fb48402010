"""Index gates, on synthetic data at the stated volumes (sampled down past the cap):

* `index_ddl_applies`: every recommended index builds;
* `patterns_indexed`: no access pattern sequentially scans a table the spec calls large;
* `indexes_pay_off`: every recommended index lowers some pattern's cost (checked by
  dropping it inside a rolled-back transaction and planning again).
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from agent.context import RunContext
from agent.gates import Verdict, fail
from agent.gates.volume_growth import parent_table, volume_growth
from agent.package import PatternPlan
from agent.pg_target import target_of
from agent.stages import IndexPlan
from agent.state import DesignState
from agent.volumes import large_tables, pattern_queries, stated_rows
from tools.errors import SqlSyntaxError
from tools.sql.datagen import TableLoad, refresh, sample_database
from tools.sql.index_ddl import index_name
from tools.sql.model import Schema
from tools.sql.parse import parse_schema
from tools.sql.pg_features import unsupported_in_sql
from tools.sql.query import (
    QueryPlan,
    WorkloadQuery,
    explain_queries,
    plan_cost,
    planning_connection,
)
from tools.sql.server import Conn, Scratch, connect

SEQ_SCANS = ("Seq Scan", "Parallel Seq Scan")


def check_indexes(state: DesignState, ctx: RunContext) -> list[Verdict]:
    assert state.spec is not None and state.schema_design is not None
    plan = state.indexes or IndexPlan()
    schema = parse_schema(state.schema_design.ddl, file="schema.sql")
    queries = pattern_queries(state.spec)
    large = large_tables(state.spec, state.request.rows)
    rows = {
        t: n for t, n in stated_rows(state.spec, state.request.rows).items() if t in schema.tables
    }
    with sample_database(ctx.pg(), schema, rows, ctx.settings.sample_row_cap) as (scratch, data):
        before = {p.name: p for p in explain_queries(scratch.dsn, queries)}
        built = _build(plan, scratch, target_of(state.spec))
        after = explain_queries(scratch.dsn, queries)
        payoff = _pay_off(plan, scratch, queries, after)
        empty = _empty_relations(scratch)
    plans = [_pattern_plan(p, before.get(p.name), schema, large, empty, data.tables) for p in after]
    indexed = _indexed_verdict(plans)
    indexed.notes += [n for n in (data.sampling_note,) if n] + data.notes
    indexed.update = {"plans": plans}
    return [built, indexed, payoff]


def _name_of(ddl: str) -> str | None:
    try:
        return index_name(ddl)
    except SqlSyntaxError:
        return None


def _build(plan: IndexPlan, scratch: Scratch, target: int) -> Verdict:
    """Each index applies here, and uses nothing the target PostgreSQL version lacks."""
    verdict = Verdict(gate="index_ddl_applies")
    with connect(scratch.dsn, autocommit=True) as conn:
        for rec in plan.indexes:
            for _, feature in unsupported_in_sql(rec.ddl, target):
                message = f"{rec.ddl.strip()}: {feature.what} needs PostgreSQL {feature.since}"
                verdict.findings.append(fail("index_ddl_applies", message, table=rec.table))
            if _name_of(rec.ddl) is None:
                verdict.findings.append(
                    fail("index_ddl_applies", f"name the index in: {rec.ddl}", table=rec.table)
                )
                continue
            try:
                conn.execute(rec.ddl)  # written by a brain; runs as the sandbox role
            except psycopg.Error as exc:
                verdict.findings.append(
                    fail("index_ddl_applies", f"{rec.ddl.strip()}: {exc}".strip(), table=rec.table)
                )
        refresh(conn)
    return verdict


def _pay_off(
    plan: IndexPlan, scratch: Scratch, queries: list[WorkloadQuery], with_all: list[QueryPlan]
) -> Verdict:
    """Drop each index in a transaction that is rolled back, and see whether any plan worsens."""
    verdict = Verdict(gate="indexes_pay_off")
    costs = {p.name: p.total_cost for p in with_all if p.total_cost is not None}
    with planning_connection(scratch.dsn, read_only=False) as conn:
        for rec in plan.indexes:
            name = _name_of(rec.ddl)
            if name is None:
                continue
            gained = _gains(conn, name, queries, costs)
            if gained:
                verdict.notes.append(f"{name} lowers " + ", ".join(gained))
            else:
                verdict.findings.append(
                    fail(
                        "indexes_pay_off",
                        f"index {name} lowers no access pattern's cost at the "
                        "stated volumes; drop it or name the pattern it serves",
                        table=rec.table,
                    )
                )
    return verdict


def _gains(
    conn: Conn, name: str, queries: list[WorkloadQuery], costs: dict[str, float]
) -> list[str]:
    gained: list[str] = []
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        for query in queries:
            with_it = costs.get(query.name)
            if with_it is None:
                continue
            without = plan_cost(conn, query)
            if without > with_it * 1.001:
                gained.append(f"{query.name} ({without:,.0f} -> {with_it:,.0f})")
    return gained


def _empty_relations(scratch: Scratch) -> set[str]:
    """Relations without sample rows, such as a default partition kept empty by design."""
    with connect(scratch.dsn) as conn:
        rows = conn.execute(
            "SELECT oid::regclass::text FROM pg_class WHERE relkind = 'r' AND reltuples <= 0 "
            "AND relnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return {str(r[0]) for r in rows}


def _pattern_plan(
    plan: QueryPlan,
    before: QueryPlan | None,
    schema: Schema,
    large: set[str],
    empty: set[str],
    loads: Sequence[TableLoad],
) -> PatternPlan:
    tables = {parent_table(schema, s.relation) for s in plan.scans if s.relation}
    growth = volume_growth(plan, schema, loads)
    seq = {
        parent_table(schema, s.relation)
        for s in plan.scans
        if s.relation and s.node in SEQ_SCANS and s.relation not in empty
    }
    return PatternPlan(
        pattern=plan.name,
        total_cost=plan.total_cost or 0.0,
        cost_without_indexes=before.total_cost if before else None,
        scans=[
            f"{s.node}"
            + (f" using {s.index}" if s.index else "")
            + (f" on {s.relation}" if s.relation else "")
            for s in plan.scans
        ],
        uses_index=any(s.index for s in plan.scans),
        large_tables=sorted(tables & large),
        seq_scanned_large=sorted(seq & large),
        stated_cost=round((plan.total_cost or 0.0) * growth.factor, 2),
        reads_whole=sorted(growth.whole),
    )


def _indexed_verdict(plans: list[PatternPlan]) -> Verdict:
    verdict = Verdict(gate="patterns_indexed")
    for plan in plans:
        for table in plan.seq_scanned_large:
            verdict.findings.append(
                fail(
                    "patterns_indexed",
                    f"access pattern '{plan.pattern}' scans the large table "
                    f"{table} sequentially; add an index that serves its predicate",
                    table=table,
                )
            )
    return verdict

"""The EXPLAIN tool on real PostgreSQL: plans, generic plans, findings, per-query errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import FIXTURES

from tools.sql.query import (
    QueryPlan,
    explain_queries,
    parse_workload,
    planning_connection,
    read_workload,
)
from tools.sql.query.explain import QueryPlanError, plan_json
from tools.sql.server import PgServer, Scratch, connect, scratch_database

WORKLOAD = FIXTURES / "workload"


@pytest.fixture(scope="module")
def shop(pg: PgServer) -> Iterator[Scratch]:
    with scratch_database(pg) as db:
        with connect(db.dsn, autocommit=True) as conn:
            conn.execute((WORKLOAD / "shop.sql").read_text())
            conn.execute((WORKLOAD / "shop_data.sql").read_text())
        yield db


def _by_name(plans: list[QueryPlan]) -> dict[str, QueryPlan]:
    return {p.name: p for p in plans}


def _rules(plan: QueryPlan) -> set[str]:
    return {f.rule for f in plan.findings}


def test_findings_fire_on_purpose_built_queries(shop: Scratch) -> None:
    plans = _by_name(explain_queries(shop.dsn, read_workload(WORKLOAD / "shop_findings.sql")))
    star = plans["star and offset"]
    assert star.generic and star.ok
    assert {"select-star", "offset-pagination", "seq-scan-on-large-table"} <= _rules(star)
    wrapped = plans["function on indexed column"]
    finding = next(f for f in wrapped.findings if f.rule == "function-on-indexed-column")
    assert (finding.relation, finding.column) == ("orders", "created_at")
    join = plans["unindexed join"]
    finding = next(f for f in join.findings if f.rule == "missing-join-index")
    assert (finding.relation, finding.column) == ("orders", "customer_id")
    by_pk = plans["by primary key"]
    assert by_pk.findings == []
    assert [(s.node, s.relation, s.index) for s in by_pk.scans] == [
        ("Index Scan", "orders", "orders_pkey")
    ]


def test_plan_json_cost_and_scans(shop: Scratch) -> None:
    [plan] = explain_queries(shop.dsn, parse_workload("SELECT count(*) FROM order_items"))
    assert plan.plan is not None and plan.plan["Node Type"] in {"Aggregate", "Finalize Aggregate"}
    assert plan.total_cost is not None and plan.total_cost > 100
    assert any(s.relation == "order_items" for s in plan.scans)


def test_generic_plan_matches_postgres_generic_plan_option(shop: Scratch) -> None:
    sql = "SELECT id FROM orders WHERE customer_id = $1 AND created_at > $2"
    [plan] = explain_queries(shop.dsn, parse_workload(sql), read_only=True)
    with connect(shop.dsn, autocommit=True) as conn:
        row = conn.execute(f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {sql}").fetchone()
    assert row is not None
    assert plan.total_cost == pytest.approx(row[0][0]["Plan"]["Total Cost"])


def test_bad_query_is_named_and_does_not_hide_the_others(shop: Scratch) -> None:
    text = "-- name: good\nSELECT 1;\n-- name: broken\nSELECT nope FROM orders WHERE id = $1;\n"
    text += "SELECT 2"
    plans = explain_queries(shop.dsn, parse_workload(text, file="w.sql"))
    assert [p.ok for p in plans] == [True, False, True]
    assert plans[1].error is not None
    assert "query 'broken' (w.sql:4)" in plans[1].error
    assert 'column "nope" does not exist' in plans[1].error


def test_generic_planning_leaves_no_prepared_statement(shop: Scratch) -> None:
    good, bad = parse_workload(
        "SELECT id FROM orders WHERE id = $1; SELECT x FROM orders WHERE id = $1"
    )
    with planning_connection(shop.dsn, read_only=True) as conn:
        assert plan_json(conn, good)["Node Type"] == "Index Only Scan"
        with pytest.raises(QueryPlanError, match="query 'q2'"):
            plan_json(conn, bad)
        left = conn.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'dbarch%'"
        ).fetchone()
    assert left == (0,)


def test_read_only_mode_runs_the_guard_per_query(shop: Scratch) -> None:
    text = "-- name: sneaky\nSELECT * FROM pg_read_file('/etc/passwd');\n-- name: fine\nSELECT 1"
    plans = explain_queries(shop.dsn, parse_workload(text), read_only=True)
    assert plans[0].error is not None and "pg_read_file" in plans[0].error
    assert plans[1].ok


def test_read_only_mode_never_writes(shop: Scratch) -> None:
    text = "-- name: delete\nDELETE FROM order_items"
    plans = explain_queries(shop.dsn, parse_workload(text), read_only=True)
    assert not plans[0].ok
    scratch_plans = explain_queries(shop.dsn, parse_workload(text))  # EXPLAIN only, no ANALYZE
    assert scratch_plans[0].ok
    with connect(shop.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM order_items").fetchone() == (60000,)

"""The index advisor on real sample data: every index earns its place, none is redundant."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pglast
import pytest
from conftest import CORPUS, FIXTURES
from pglast import ast

from tools.sql.advise import AdviceResult, advise_on, analyze_workload, parse_size
from tools.sql.advise.candidates import Candidate, Element
from tools.sql.advise.whatif import BuiltIndexes
from tools.sql.datagen import generate_data
from tools.sql.parse import parse_schema
from tools.sql.query import (
    WorkloadQuery,
    parse_workload,
    plan_cost,
    planning_connection,
    read_workload,
)
from tools.sql.server import SCRATCH_PREFIX, PgServer, Scratch, connect, scratch_database
from tools.sql.validate import apply_statements

WORKLOAD = FIXTURES / "workload"
ROWS = {"customers": 3000, "products": 5000, "orders": 40_000, "order_items": 80_000}


@pytest.fixture(scope="module")
def shop(pg: PgServer) -> Iterator[Scratch]:
    schema = parse_schema(WORKLOAD / "shop.sql")
    with scratch_database(pg) as db:
        assert apply_statements(schema, db).valid
        assert generate_data(schema, db, ROWS).failures == []
        yield db


@pytest.fixture(scope="module")
def queries() -> list[WorkloadQuery]:
    return read_workload(WORKLOAD / "shop_workload.sql")


@pytest.fixture(scope="module")
def advice(shop: Scratch, queries: list[WorkloadQuery]) -> AdviceResult:
    return advise_on(shop, queries)


def test_each_index_lowers_a_query_it_names_when_really_built(
    shop: Scratch, queries: list[WorkloadQuery], advice: AdviceResult
) -> None:
    by_name = {q.name: q for q in queries}
    assert len(advice.advice) >= 4
    with planning_connection(shop.dsn, read_only=False) as conn:
        for item in advice.advice:
            named = [by_name[n] for n in item.queries]
            assert named, f"{item.ddl} names no query"
            before = [plan_cost(conn, q) for q in named]
            with conn.transaction(force_rollback=True):
                conn.execute(item.ddl)
                after = [plan_cost(conn, q) for q in named]
            assert any(a < b * 0.99 for a, b in zip(after, before, strict=True)), item.ddl
            assert item.cost_after < item.cost_before and item.size_bytes > 0


def test_no_advised_index_is_a_prefix_of_another(advice: AdviceResult) -> None:
    keys = [_keys(item.ddl) for item in advice.advice]
    for i, (table, method, where, cols) in enumerate(keys):
        for j, (table2, method2, where2, cols2) in enumerate(keys):
            same = (table, method, where) == (table2, method2, where2) and i != j
            assert not (same and cols2[: len(cols)] == cols), (
                advice.advice[i].ddl,
                advice.advice[j].ddl,
            )


def test_advice_beats_both_naive_baselines_within_the_budget(advice: AdviceResult) -> None:
    assert advice.method == "built"
    assert advice.used_bytes <= advice.budget_bytes
    assert {b.name for b in advice.baselines} == {"fk_indexes", "single_column"}
    for baseline in advice.baselines:
        assert baseline.size_bytes <= advice.budget_bytes
        assert advice.workload_cost_after < baseline.workload_cost, baseline.name
    assert advice.workload_cost_after < 0.5 * advice.workload_cost_before


def test_kinds_cover_partial_expression_and_gin(advice: AdviceResult) -> None:
    kinds = {item.kind for item in advice.advice}
    assert {"partial", "expression", "gin"} <= kinds
    login = next(item for item in advice.advice if item.queries == ["login by email"])
    assert "lower(email)" in login.ddl


def test_a_tight_budget_is_respected(shop: Scratch, queries: list[WorkloadQuery]) -> None:
    small = advise_on(shop, queries, budget_bytes=parse_size("600kB"))
    assert small.used_bytes <= 600 * 1024
    assert 0 < len(small.advice) < 6


def test_what_if_indexes_are_gone_afterwards(shop: Scratch, advice: AdviceResult) -> None:
    with connect(shop.dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'dbarch%'"
        ).fetchone()
    assert row == (0,)


def test_bad_query_is_named_and_no_scratch_database_is_left(pg: PgServer) -> None:
    schema = parse_schema(WORKLOAD / "shop.sql")
    text = "-- name: fine\nSELECT id FROM orders WHERE customer_id = $1;\n"
    text += "-- name: typo\nSELECT id FROM orderz WHERE id = 1;\n"
    before = _scratch_count(pg)
    report = analyze_workload(schema, parse_workload(text, "w.sql"), pg, rows={"orders": 5000})
    assert report.errors == [
        "query 'typo' (w.sql:4) failed to plan: relation \"orderz\" does not exist"
    ]
    assert report.plans[0].ok and report.index_advice
    assert report.index_advice[0].queries == ["fine"]
    assert _scratch_count(pg) == before


def test_sizes_parse_in_binary_units() -> None:
    assert parse_size("64MB") == 64 * 1024**2
    assert parse_size("1.5GiB") == int(1.5 * 1024**3)
    assert parse_size("4096") == 4096
    with pytest.raises(Exception, match="cannot read size"):
        parse_size("lots")


def _scratch_count(pg: PgServer) -> int:
    with connect(pg.dsn(), autocommit=True) as conn:
        pattern = f"{SCRATCH_PREFIX}{os.getpid()}_%"
        row = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", (pattern,))
        found = row.fetchone()
    assert found is not None
    return int(found[0])


def _keys(ddl: str) -> tuple[str, str, str | None, list[str]]:
    stmt = pglast.parse_sql(ddl)[0].stmt
    assert isinstance(stmt, ast.IndexStmt) and stmt.relation is not None
    cols = [
        p.name or pglast.stream.RawStream()(p.expr)
        for p in stmt.indexParams or ()
        if isinstance(p, ast.IndexElem)
    ]
    where = pglast.stream.RawStream()(stmt.whereClause) if stmt.whereClause else None
    return stmt.relation.relname or "", stmt.accessMethod or "btree", where, cols


def test_unseen_corpus_schema_gets_proven_non_redundant_advice(pg: PgServer) -> None:
    """Chinook (a real corpus file) with a workload written after the advisor was tuned."""
    schema = parse_schema(CORPUS / "chinook-postgresql.sql")
    queries = read_workload(WORKLOAD / "chinook_queries.sql")
    rows = {"customer": 5000, "invoice": 40_000, "invoice_line": 120_000, "track": 30_000}
    rows |= {"genre": 25, "media_type": 5, "playlist": 200, "playlist_track": 60_000}
    rows |= {"album": 3000, "artist": 1000, "employee": 50}
    with scratch_database(pg) as db:
        assert apply_statements(schema, db).valid
        data = generate_data(schema, db, rows)
        assert data.failures == []
        result = advise_on(db, queries)
        with planning_connection(db.dsn, read_only=False) as conn:
            by_name = {q.name: q for q in queries}
            for item in result.advice:
                named = [by_name[n] for n in item.queries]
                before = [plan_cost(conn, q) for q in named]
                with conn.transaction(force_rollback=True):
                    conn.execute(item.ddl)
                    after = [plan_cost(conn, q) for q in named]
                assert any(a < b * 0.99 for a, b in zip(after, before, strict=True)), item.ddl
    assert len(result.advice) >= 4
    assert all(result.workload_cost_after < b.workload_cost for b in result.baselines)
    keys = [_keys(item.ddl) for item in result.advice]
    for i, key in enumerate(keys):
        for j, other in enumerate(keys):
            if i != j and key[:3] == other[:3]:
                assert other[3][: len(key[3])] != key[3], (key, other)


def test_a_partition_candidate_and_its_parents_are_hidden_apart(pg: PgServer) -> None:
    """Built after the partition's, the parent's index would adopt it (ATTACH), and hiding
    the partition's alone would fail: 'cannot drop index ... because index ... requires it'."""
    ddl = (
        "CREATE TABLE readings (device_id bigint, at timestamptz) PARTITION BY RANGE (at);"
        "CREATE TABLE readings_2026 PARTITION OF readings"
        " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"
        "INSERT INTO readings SELECT g % 50, '2026-03-01'::timestamptz + g * interval '1 minute'"
        " FROM generate_series(1, 5000) g; ANALYZE readings;"
    )
    query = WorkloadQuery(name="of a device", sql="SELECT * FROM readings WHERE device_id = 7")
    on = (Element("device_id"),)
    candidates = [Candidate("readings_2026", on), Candidate("readings", on)]  # child first
    with scratch_database(pg) as db, connect(db.dsn, autocommit=True) as conn:
        conn.execute(ddl)
        whatif = BuiltIndexes(conn, [query], [{"readings", "readings_2026"}], candidates).build()
        try:
            assert whatif.failed == {}
            for config in (frozenset(), frozenset({0}), frozenset({1}), frozenset({0, 1})):
                assert whatif.cost(0, config) > 0
        finally:
            whatif.close()
        left = conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'dbarch_whatif%'")
        assert left.fetchone() == (0,)

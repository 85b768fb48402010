"""Sample statistics in a known state: refreshing them (ANALYZE, a vacuum) changes no advice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest
from conftest import FIXTURES

from agent.brains.rules.brain import RulesBrain
from agent.config import Settings
from agent.context import RunContext
from agent.engine import run_design
from agent.spec import load_spec
from agent.stages import IndexPlan
from agent.state import DesignRequest
from tools.sql.datagen import sample_database
from tools.sql.datagen.planner_stats import MAX_TARGET, ROWS_PER_TARGET, statistics_target
from tools.sql.datagen.samples import SAMPLE_PREFIX, sample_key
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer

MINI = FIXTURES / "design" / "mini.yaml"
DDL = """
CREATE TABLE owners (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE pets (
    id bigint GENERATED ALWAYS AS IDENTITY,
    owner_id bigint NOT NULL REFERENCES owners (id),
    weight numeric(6, 2),
    born date NOT NULL,
    PRIMARY KEY (id, born)
) PARTITION BY RANGE (born);
CREATE TABLE pets_early PARTITION OF pets FOR VALUES FROM ('2020-01-01') TO ('2025-01-01');
CREATE TABLE pets_late PARTITION OF pets FOR VALUES FROM ('2025-01-01') TO ('2030-01-01');
"""
_STATS = """
SELECT tablename, attname, null_frac, n_distinct,
       most_common_vals::text, most_common_freqs::text, histogram_bounds::text, correlation
FROM pg_stats WHERE schemaname = 'public' ORDER BY tablename, attname, inherited
"""


def _refresh(pg: PgServer, database: str) -> None:
    """What autovacuum, or an operator, may do to a cached sample at any time."""
    with psycopg.connect(pg.dsn(database), autocommit=True) as conn:
        conn.execute("ANALYZE")
        conn.execute("VACUUM ANALYZE")


def _design_indexes(tmp_path: Path, pg: PgServer) -> IndexPlan:
    settings = Settings(home=tmp_path / "home", sample_row_cap=50_000)
    ctx = RunContext(brain=RulesBrain(settings), settings=settings, _pg=pg)
    outcome = asyncio.run(run_design(DesignRequest(spec=load_spec(MINI)), ctx))
    assert outcome.status == "done" and outcome.package is not None, outcome.message
    assert outcome.package.indexes is not None
    return outcome.package.indexes


def _samples(pg: PgServer) -> list[str]:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (SAMPLE_PREFIX + "%",)
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_the_same_spec_designed_twice_around_a_refresh_gives_identical_indexes(
    tmp_path: Path, pg: PgServer
) -> None:
    first = _design_indexes(tmp_path / "one", pg)
    assert first.indexes, "the mini spec needs indexes, or this test shows nothing"
    for database in _samples(pg):
        _refresh(pg, database)
    second = _design_indexes(tmp_path / "two", pg)
    assert [i.ddl for i in second.indexes] == [i.ddl for i in first.indexes]
    # Not only the picks: the planner costs behind them are the same numbers.
    assert second.model_dump() == first.model_dump()


def test_a_sample_is_vacuumed_analysed_in_full_and_left_alone_by_autovacuum(
    pg: PgServer,
) -> None:
    schema = parse_schema(DDL + "-- settled\n")
    rows = {"owners": 2_000, "pets": 60_000}  # pets > 300 x the default target of 100
    with (
        sample_database(pg, schema, rows, cap=100_000) as (scratch, _),
        psycopg.connect(scratch.admin_dsn, autocommit=True) as conn,
    ):
        before = conn.execute(_STATS).fetchall()
        leaves = conn.execute(
            "SELECT relname, reloptions::text, relpages, relallvisible FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        ).fetchall()
        targets = conn.execute(
            "SELECT DISTINCT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'pets'::regclass AND attnum > 0"
        ).fetchall()
        conn.execute("ANALYZE")  # a fresh random sample, were ANALYZE still sampling
        after = conn.execute(_STATS).fetchall()
    assert before and after == before
    assert {name for name, *_ in leaves} >= {"owners"} and len(leaves) >= 2  # pets' partitions
    for name, options, pages, visible in leaves:
        assert "autovacuum_enabled=off" in options, name
        assert visible == pages, f"{name}: {visible} of {pages} pages all-visible"
    assert targets == [(statistics_target(60_000, partitioned=True),)]
    template = SAMPLE_PREFIX + sample_key(schema, rows, 100_000, 1)
    with psycopg.connect(pg.dsn(template), autocommit=True) as conn:
        options = conn.execute("SELECT reloptions::text FROM pg_class WHERE relname = 'owners'")
        assert "autovacuum_enabled=off" in str(options.fetchone())


@pytest.mark.parametrize(
    ("rows", "partitioned", "target"),
    [(0, False, 100), (30_000, False, 101), (200_000, False, 668), (200_000, True, 1335)],
)
def test_the_target_makes_analyze_read_every_row(rows: int, partitioned: bool, target: int) -> None:
    assert statistics_target(rows, partitioned) == target
    assert target * ROWS_PER_TARGET >= rows
    assert statistics_target(10**9) == MAX_TARGET

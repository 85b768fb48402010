"""Cached sample databases: built once per (DDL, volumes), cloned afterwards, pruned."""

from __future__ import annotations

import psycopg
import pytest

from tools.sql.datagen import sample_database
from tools.sql.datagen.samples import (
    KEEP_SAMPLES,
    SAMPLE_PREFIX,
    _ensure,
    ensure_sample,
    sample_key,
)
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer

DDL = """
CREATE TABLE owners (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE pets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id bigint NOT NULL REFERENCES owners (id),
    born date NOT NULL
);
"""


def _templates(pg: PgServer) -> list[str]:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (SAMPLE_PREFIX + "%",)
        ).fetchall()
    return [r[0] for r in rows]


def test_a_sample_is_loaded_once_then_cloned(pg: PgServer) -> None:
    schema = parse_schema(DDL + "-- first\n")
    rows = {"owners": 300, "pets": 2_000}
    with sample_database(pg, schema, rows, cap=10_000) as (scratch, report):
        with psycopg.connect(scratch.dsn) as conn:
            assert conn.execute("SELECT count(*) FROM pets").fetchone() == (2_000,)
            conn.execute("DELETE FROM pets")  # a clone is the caller's to change
            conn.commit()
        first = report
    name = SAMPLE_PREFIX + sample_key(schema, rows, 10_000, 1)
    assert name in _templates(pg)
    with sample_database(pg, schema, rows, cap=10_000) as (scratch, report):
        with psycopg.connect(scratch.dsn) as conn:
            assert conn.execute("SELECT count(*) FROM pets").fetchone() == (2_000,)
        assert report == first  # read back from the template, not loaded again


def test_the_key_follows_ddl_volumes_and_cap() -> None:
    schema = parse_schema(DDL)
    base = sample_key(schema, {"pets": 10}, 100, 1)
    assert base != sample_key(schema, {"pets": 11}, 100, 1)
    assert base != sample_key(schema, {"pets": 10}, 101, 1)
    assert base != sample_key(
        parse_schema(DDL + "CREATE INDEX ON pets (born);"), {"pets": 10}, 100, 1
    )
    assert base == sample_key(parse_schema(DDL), {"pets": 10}, 100, 1)


def test_an_interrupted_load_leaves_no_template(
    pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = parse_schema(DDL + "-- interrupted\n")

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("tools.sql.datagen.samples.generate_data", ctrl_c)
    before = set(_templates(pg))
    with pytest.raises(KeyboardInterrupt):
        ensure_sample(pg, schema, {"owners": 5}, cap=1_000)
    assert set(_templates(pg)) == before - {
        SAMPLE_PREFIX + sample_key(schema, {"owners": 5}, 1_000, 1)
    }
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        assert not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname LIKE 'dbarch_scratch_%%' AND datname LIKE %s",
            (f"%_{__import__('os').getpid()}_%",),
        ).fetchall()


def test_old_templates_are_pruned(pg: PgServer) -> None:
    schema = parse_schema(DDL)
    names = {sample_key(schema, {"owners": 5 + n}, 100, 1) for n in range(KEEP_SAMPLES + 2)}
    assert len(names) == KEEP_SAMPLES + 2  # a comment alone would not make a new template
    for n in range(KEEP_SAMPLES + 2):
        ensure_sample(pg, schema, {"owners": 5 + n}, cap=100)
    assert len(_templates(pg)) == KEEP_SAMPLES


def test_a_template_in_use_elsewhere_is_not_pruned(
    pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process between finding a template and cloning it keeps it (the eval race:
    `database "dbarch_sample_..." does not exist` when a parallel case pruned it)."""
    schema = parse_schema(DDL)
    monkeypatch.setattr("tools.sql.datagen.samples.KEEP_SAMPLES", 0)
    held = SAMPLE_PREFIX + sample_key(schema, {"owners": 7}, 100, 1)
    with psycopg.connect(pg.dsn(), autocommit=True) as other_run:
        _ensure(pg, other_run, schema, {"owners": 7}, 100, 1)  # held until its clone exists
        ensure_sample(pg, schema, {"owners": 8}, cap=100)  # a later run prunes
        assert held in _templates(pg)
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:  # still clonable
            conn.execute(f'CREATE DATABASE held_clone TEMPLATE "{held}"')
            conn.execute("DROP DATABASE held_clone")
    ensure_sample(pg, schema, {"owners": 9}, cap=100)
    assert held not in _templates(pg)  # released: an ordinary cache entry again

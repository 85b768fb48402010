"""Validation against the real embedded PostgreSQL: every failure, its cause, nothing unsafe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from conftest import CORPUS, FIXTURES
from process_support import default_sigint

from tools.sql.parse import parse_schema
from tools.sql.server import SCRATCH_PREFIX, PgServer, Scratch
from tools.sql.validate import ValidationResult, apply_statements, validate_schema

SQL = FIXTURES / "sql"


def _tables(scratch: Scratch) -> set[str]:
    with psycopg.connect(scratch.dsn) as conn:
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return {name if schema == "public" else f"{schema}.{name}" for schema, name in rows}


def _extensions(scratch: Scratch) -> set[str]:
    with psycopg.connect(scratch.dsn) as conn:
        return {str(r[0]) for r in conn.execute("SELECT extname FROM pg_extension").fetchall()}


def test_pagila_applies_cleanly(scratch: Scratch) -> None:
    schema = parse_schema(CORPUS / "pagila-schema.sql")
    result = apply_statements(schema, scratch)
    assert result.errors == []
    assert result.valid
    assert len(_tables(scratch) & set(schema.tables)) == 71
    assert "vector" in _extensions(scratch)  # not trusted: installed through the admin path
    reasons = {s.reason for s in result.skipped}
    assert "ownership names roles of the original server" in reasons
    assert result.applied + len(result.skipped) == len(schema.statements)


def test_chinook_database_lines_are_skipped_and_reported(pg: PgServer) -> None:
    schema = parse_schema(CORPUS / "chinook-postgresql.sql")
    result = validate_schema(schema, pg)
    assert result.valid and result.errors == []
    assert [(s.line, s.text) for s in result.skipped] == [
        (19, "DROP DATABASE IF EXISTS chinook"),
        (25, "CREATE DATABASE chinook"),
    ]
    assert [(s.line, s.text) for s in schema.skipped] == [(28, "\\c chinook;")]
    assert result.server_version is not None and result.server_version >= 180000


def test_openstreetmap_without_postgis(scratch: Scratch) -> None:
    schema = parse_schema(CORPUS / "openstreetmap-structure.sql")
    result = apply_statements(schema, scratch)
    assert not result.valid
    root = result.root_errors
    assert [(e.line, e.kind, e.missing_extension) for e in root] == [
        (37, "CreateExtensionStmt", "postgis")
    ]
    assert root[0].message == 'extension "postgis" is not available'
    dependents = [e for e in result.errors if e.caused_by is not None]
    assert len(dependents) == len(result.errors) - 1
    assert all(e.caused_by == 37 and e.missing_extension == "postgis" for e in dependents)
    table = next(e for e in dependents if e.kind == "CreateStmt")
    assert table.message == 'type "public.geometry" does not exist'
    assert (table.line, table.column) == (1029, 10)  # the column's type, not the statement
    created = _tables(scratch)
    assert {"users", "changesets", "nodes", "ways", "relations", "notes"} <= created
    assert "moderation_zones" not in created
    assert "btree_gist" in _extensions(scratch)


def test_every_failure_is_reported_with_the_missing_table_named(pg: PgServer) -> None:
    result = validate_schema(parse_schema(SQL / "missing_fk.sql"), pg)
    assert not result.valid
    summary = [(e.line, e.kind, e.message, e.caused_by) for e in result.errors]
    assert summary == [
        (6, "CreateStmt", 'relation "accounts" does not exist', None),
        (12, "IndexStmt", 'relation "invoices" does not exist', 6),
        (22, "InsertStmt", 'relation "missing_table" does not exist', None),
    ]
    assert result.errors[0].sqlstate == "42P01"
    assert result.applied == 3  # users, payments and the ALTER on payments


def test_superuser_powers_are_refused_by_postgresql(scratch: Scratch, tmp_path: Path) -> None:
    marker = Path("/tmp/dbarch_pwned_by_copy")
    marker.unlink(missing_ok=True)
    result = apply_statements(parse_schema(SQL / "unsafe.sql"), scratch)
    messages = {e.line: e.message for e in result.errors}
    assert messages[3] == "permission denied to COPY to or from an external program"
    assert messages[5] == "permission denied for function pg_read_file"
    assert 7 in messages  # plpython3u: not available here, and never for the sandbox
    assert not marker.exists()
    assert [(s.line, s.reason) for s in result.skipped] == [
        (9, "ALTER SYSTEM changes the whole server's configuration")
    ]
    assert {"notes", "after_the_attempts"} <= _tables(scratch)


def test_migrations_with_concurrent_index_and_new_enum_value(scratch: Scratch) -> None:
    result = apply_statements(parse_schema(SQL / "migrations_ok"), scratch)
    assert result.errors == []
    with psycopg.connect(scratch.dsn) as conn:
        index = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'orders' AND indexname LIKE %s",
            ("%account_id%",),
        ).fetchall()
        labels = conn.execute("SELECT unnest(enum_range(NULL::order_status))::text").fetchall()
    assert index == [("orders_account_id_idx",)]
    assert [r[0] for r in labels] == ["new", "paid", "shipped"]


def test_search_path_from_a_dump_survives_a_failed_batch(pg: PgServer) -> None:
    schema = parse_schema(
        "SELECT pg_catalog.set_config('search_path', '', false);\n"
        "CREATE TABLE public.a (id int);\n"
        "CREATE TABLE public.b (a_id int REFERENCES public.nope);\n"
        "CREATE TABLE c (id int);\n"
    )
    result = validate_schema(schema, pg)
    assert [(e.line, e.message) for e in result.errors] == [
        (3, 'relation "public.nope" does not exist'),
        (4, "no schema has been selected to create in"),
    ]


def test_interrupt_during_apply_still_drops_the_scratch_database(pg: PgServer) -> None:
    schema = parse_schema(CORPUS / "pagila-schema.sql")
    seen: list[set[str]] = []

    def interrupt(done: int, total: int) -> None:
        seen.append(_scratch_databases(pg))
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        validate_schema(schema, pg, progress=interrupt)
    assert len(seen[-1]) == 1  # the database existed while statements were applied
    assert _scratch_databases(pg) == set()


def _scratch_databases(pg: PgServer) -> set[str]:
    """This process's scratch databases (other processes may share the server)."""
    return _databases_like(pg, f"{SCRATCH_PREFIX}{os.getpid()}_%")


def test_result_serialises_for_the_review_report(pg: PgServer) -> None:
    result = validate_schema(parse_schema("CREATE TABLE t (a int REFERENCES u);", "x.sql"), pg)
    data = ValidationResult.model_validate_json(result.model_dump_json()).model_dump()
    assert data["valid"] is False
    assert data["errors"][0] | {"detail": None} == {
        "message": 'relation "u" does not exist',
        "detail": None,
        "hint": None,
        "sqlstate": "42P01",
        "file": "x.sql",
        "line": 1,
        "column": 1,
        "kind": "CreateStmt",
        "statement": "CREATE TABLE t (a int REFERENCES u)",
        "caused_by": None,
        "caused_by_file": None,
        "missing_extension": None,
    }


_SIGINT_CHILD = """
import sys, time
from pathlib import Path
from tools.sql.parse import parse_schema
from tools.sql.server import resolve_server
from tools.sql.validate import validate_schema

def slow(done, total):
    print("applying", flush=True)
    time.sleep(0.2)

try:
    validate_schema(parse_schema(Path(sys.argv[1])), resolve_server(), progress=slow)
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_sigint_to_a_validating_process_drops_its_database(pg: PgServer, tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _SIGINT_CHILD, str(CORPUS / "pagila-schema.sql")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        preexec_fn=default_sigint,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "applying"
    pattern = f"{SCRATCH_PREFIX}{child.pid}_%"
    assert _databases_like(pg, pattern)  # mid-apply: the scratch database exists
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=30) == 130
    assert _databases_like(pg, pattern) == set()


def _databases_like(pg: PgServer, pattern: str) -> set[str]:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,))
        return {str(r[0]) for r in rows.fetchall()}


def test_missing_extension_is_named_without_a_create_extension(pg: PgServer) -> None:
    schema = parse_schema(
        "CREATE TABLE shapes (\n"
        "    id int PRIMARY KEY,\n"
        "    area geometry(Polygon, 4326)\n"
        ");\n"
        "CREATE INDEX shapes_area ON shapes USING gist (area);\n"
        "CREATE TABLE rooms (id int, EXCLUDE USING gist (id WITH =));\n",
        "shapes.sql",
    )
    result = validate_schema(schema, pg)
    assert [(e.line, e.column, e.caused_by, e.missing_extension) for e in result.errors] == [
        (3, 10, None, "postgis"),  # PostgreSQL's cursor on the type, mapped to the file
        (5, 1, 3, "postgis"),
        (6, 1, None, "btree_gist"),
    ]
    assert result.errors[0].message == 'type "geometry" does not exist'
    assert result.errors[1].caused_by_file == "shapes.sql"


def test_comments_on_extensions_the_sandbox_cannot_own_are_skipped(pg: PgServer) -> None:
    schema = parse_schema(
        "CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;\n"
        "COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';\n"
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
        "COMMENT ON EXTENSION pg_trgm IS 'trigrams';\n"
    )
    result = validate_schema(schema, pg)
    assert result.errors == []
    assert [(s.line, s.reason) for s in result.skipped] == [
        (2, "comment on extension plpgsql, which the sandbox role does not own")
    ]


def test_a_statement_that_lifts_its_own_timeout_is_still_cancelled(
    pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tools.sql.validate.applier as applier

    monkeypatch.setattr(applier, "WATCHDOG_SECONDS", 1.0)
    sql = (
        "SELECT set_config('statement_timeout', '0', false);\n"
        "CREATE TABLE t (id int PRIMARY KEY);\n"
        "SELECT pg_sleep(60);\n"
    )
    started = time.perf_counter()
    result = validate_schema(parse_schema(sql), pg)
    assert time.perf_counter() - started < 20
    assert not result.valid
    assert [e.line for e in result.errors] == [3]
    assert "cancel" in result.errors[0].message

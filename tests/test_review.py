"""The review engine on the real embedded PostgreSQL: planted, sound, broken and corpus schemas."""

from __future__ import annotations

import os

import psycopg
import pytest
from conftest import CORPUS, FIXTURES
from pydantic import ValidationError

from tools.errors import InputError, SqlSyntaxError
from tools.sql.model import Schema
from tools.sql.review import ReviewReport, ReviewRequest, review
from tools.sql.server import SCRATCH_PREFIX, PgServer, Scratch, connect

REVIEW = FIXTURES / "review"


def run(pg: PgServer, path: object, **options: object) -> ReviewReport:
    return review(ReviewRequest(path=str(path), **options), pg)  # type: ignore[arg-type]


def test_planted_defects(pg: PgServer) -> None:
    report = run(pg, REVIEW / "planted.sql")
    assert report.valid and report.errors == [] and report.failed
    ours = {(f.rule, f.table) for f in report.findings if not f.rule.startswith("squawk:")}
    assert len(ours) == 10
    assert ("eav-table", "customer_attributes") in ours
    errors = sorted(f.table or "" for f in report.findings if f.severity == "error")
    assert errors == ["audit_log", "customer_attributes", "payments"]
    assert report.counts.error == 3 and report.counts.tables == 11
    assert report.tables[0] == "customers" and "OrderNotes" in report.tables
    assert report.erd.startswith("erDiagram\n")
    assert set(report.timings) >= {"parse", "validate", "lint", "squawk", "erd", "total"}


def test_sound_schema_passes(pg: PgServer) -> None:
    report = run(pg, REVIEW / "sound.sql")
    assert report.valid and not report.failed
    assert report.findings == []
    assert report.counts.model_dump() == {
        "tables": 11,
        "statements": 20,
        "errors": 0,
        "findings": 0,
        "error": 0,
        "warning": 0,
        "info": 0,
        "skipped": 0,
    }
    assert report.server_version is not None and report.server_version >= 160000


def test_syntax_error_names_file_line_and_column(pg: PgServer) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        run(pg, REVIEW / "syntax_error.sql")
    location = caught.value.location
    assert (location.line, location.column) == (8, 22)
    assert location.file is not None and location.file.endswith("syntax_error.sql")


def test_fk_to_missing_table_is_invalid_and_names_it(pg: PgServer) -> None:
    report = run(pg, REVIEW / "fk_missing.sql")
    assert not report.valid and report.failed
    first = report.errors[0]
    assert '"accounts"' in first.message and first.line == 7 and first.caused_by is None
    assert [e.caused_by for e in report.errors[1:]] == [7, 7]  # indexes on the missing table
    assert report.counts.errors == 3 and report.counts.error == 0


def test_inline_sql_and_request_validation(pg: PgServer) -> None:
    sql = "CREATE TABLE t (id bigint PRIMARY KEY, price real);"
    report = review(ReviewRequest(sql=sql, name="inline.sql", squawk=False), pg)
    assert report.source == "inline.sql" and report.valid
    assert [(f.rule, f.file, f.line) for f in report.findings] == [
        ("float-for-money", "inline.sql", 1)
    ]
    with pytest.raises(ValidationError):
        ReviewRequest()
    with pytest.raises(ValidationError):
        ReviewRequest(path="a.sql", sql="SELECT 1")
    with pytest.raises(ValidationError):
        ReviewRequest.model_validate({"path": "a.sql", "colour": True})


def test_unreadable_input_is_an_input_error(pg: PgServer) -> None:
    with pytest.raises(InputError, match="no such file"):
        run(pg, REVIEW / "does-not-exist.sql")


def test_steps_run_on_the_applied_database_which_is_then_dropped(pg: PgServer) -> None:
    seen: list[str] = []

    def step(
        request: ReviewRequest, schema: Schema, scratch: Scratch, report: ReviewReport
    ) -> None:
        with connect(scratch.dsn, autocommit=True) as conn:
            rows = conn.execute("SELECT relname FROM pg_class WHERE relname = 'tasks'").fetchall()
        seen.append(scratch.name)
        assert rows == [("tasks",)] and report.valid and "tasks" in schema.tables

    review(ReviewRequest(path=str(REVIEW / "sound.sql")), pg, steps=[step])
    assert len(seen) == 1
    with connect(pg.dsn(), autocommit=True) as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (f"{SCRATCH_PREFIX}{os.getpid()}_%",),
        ).fetchall()
    assert left == []


def test_pagila_reviews_valid_without_errors(pg: PgServer) -> None:
    report = run(pg, CORPUS / "pagila-schema.sql")
    assert report.valid and not report.failed
    assert "payment" in report.tables and "film" in report.tables
    assert any(f.rule.startswith("squawk:") for f in report.findings)


def test_chinook_skips_database_level_lines(pg: PgServer) -> None:
    report = run(pg, CORPUS / "chinook-postgresql.sql")
    assert report.valid and not report.failed
    skipped = " ".join(s.text for s in report.skipped)
    assert "CREATE DATABASE" in skipped and "\\c" in skipped
    assert report.counts.skipped == len(report.skipped) >= 3


def test_openstreetmap_without_postgis_still_checks_the_other_tables(pg: PgServer) -> None:
    report = run(pg, CORPUS / "openstreetmap-structure.sql")
    assert not report.valid and report.failed
    roots = [e for e in report.errors if e.caused_by is None]
    assert roots and roots[0].missing_extension == "postgis"
    assert all(e.missing_extension == "postgis" for e in report.errors)
    # tables that do not need PostGIS were created and linted
    with_findings = {f.table for f in report.findings}
    assert {"changesets", "users", "notes"} <= set(report.tables)
    assert {"current_nodes", "issues", "gps_points"} <= with_findings


def test_json_round_trip_keeps_the_contract(pg: PgServer) -> None:
    report = run(pg, REVIEW / "planted.sql")
    data = report.model_dump(mode="json")
    assert {"valid", "errors", "tables", "findings", "skipped", "erd", "counts"} <= set(data)
    finding = data["findings"][0]
    assert set(finding) == {"rule", "severity", "table", "column", "message", "fix", "file", "line"}
    assert ReviewReport.model_validate(data) == report


def test_scratch_database_gone_even_when_a_step_fails(pg: PgServer) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError):
        review(ReviewRequest(path=str(REVIEW / "sound.sql"), squawk=False), pg, steps=[boom])
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s",
            (f"{SCRATCH_PREFIX}{os.getpid()}_%",),
        ).fetchone()
    assert left == (0,)

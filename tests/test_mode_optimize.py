"""Mode optimize end to end: Chinook from the corpus with a workload of the usual mistakes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES
from mode_support import mode_context

from agent.engine import RunOutcome, run_design
from agent.events import Event
from agent.gates.optimize import rewrites_verdict
from agent.package import DesignPackage
from agent.report import package_files, render_report
from agent.stages import OptimizationReport, QueryRewrite
from agent.state import DesignRequest, NamedQuery
from tools.sql.query import parse_workload, read_workload
from tools.sql.server import PgServer

CHINOOK = CORPUS / "chinook-postgresql.sql"
WORKLOAD = FIXTURES / "modes" / "chinook-workload.sql"
# Past the plan tools' 10,000-row "large" mark where it matters, small enough to load fast.
ROWS = {"customer": 10_000, "track": 10_000, "invoice": 10_000, "invoice_line": 20_000}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, pg: PgServer) -> tuple[RunOutcome, list[Event]]:
    ctx, events = mode_context(tmp_path_factory.mktemp("home"), pg)
    workload = [NamedQuery(name=q.name, sql=q.sql) for q in read_workload(WORKLOAD)]
    request = DesignRequest(
        mode="optimize",
        current_schema=CHINOOK.read_text(),
        schema_name=str(CHINOOK),
        workload=workload,
        rows=ROWS,
    )
    return asyncio.run(run_design(request, ctx)), events


@pytest.fixture(scope="module")
def pkg(run: tuple[RunOutcome, list[Event]]) -> DesignPackage:
    outcome = run[0]
    assert outcome.status == "done", outcome.message
    assert outcome.package is not None
    return outcome.package


def _rewrites(pkg: DesignPackage, query: str) -> list[QueryRewrite]:
    assert pkg.optimization is not None
    return [r for r in pkg.optimization.rewrites if r.query == query]


def test_runs_the_optimize_stages_on_a_spec_derived_from_the_schema(
    run: tuple[RunOutcome, list[Event]], pkg: DesignPackage
) -> None:
    stages = [e.stage for e in run[1] if e.kind == "stage_start"]
    assert stages == ["requirements", "current", "optimize", "adr"]
    assert pkg.name == "chinook-postgresql" and pkg.mode == "optimize"
    assert pkg.spec is not None and len(pkg.spec.entities) == 11
    assert [p.name for p in pkg.spec.access_patterns] == [
        "customer by email",
        "tracks page",
        "invoices of a day",
        "lines of an invoice",
    ]
    assert pkg.current is not None
    rows = {t.name: t.estimated_rows for t in pkg.current.tables}
    assert rows["track"] == 10_000 and rows["album"] is None
    assert {t.name for t in pkg.current.tables if t.kind == "join"} == {"playlist_track"}


def test_every_gate_passed(pkg: DesignPackage) -> None:
    gates = {c.gate: c.passed for c in pkg.checks}
    assert gates == {
        "spec_consistent": True,
        "current_applies": True,
        "index_ddl_applies": True,
        "patterns_indexed": True,
        "indexes_pay_off": True,
        "rewrites_equivalent": True,
        "adrs_complete": True,
    }


def test_plan_findings_per_query(pkg: DesignPackage) -> None:
    assert pkg.optimization is not None
    found = {q.query: {f.rule for f in q.findings} for q in pkg.optimization.queries}
    assert found["tracks page"] >= {"select-star", "offset-pagination", "seq-scan-on-large-table"}
    assert "seq-scan-on-large-table" in found["customer by email"]
    assert "seq-scan-on-large-table" in found["invoices of a day"]
    assert found["lines of an invoice"] == set()  # Chinook indexes its foreign keys
    lint = {(f.rule, f.table) for f in pkg.optimization.lint}
    assert ("redundant-index", "playlist_track") in lint
    assert ("timestamp-without-time-zone", "invoice") in lint


def test_select_star_then_keyset_pagination(pkg: DesignPackage) -> None:
    star, keyset = _rewrites(pkg, "tracks page")
    columns = (
        "track_id, name, album_id, media_type_id, genre_id, composer, milliseconds, bytes, "
        "unit_price"
    )
    assert star.problem == "select-star"
    assert star.original == "SELECT * FROM track ORDER BY name LIMIT 20 OFFSET 1000"
    assert star.rewritten == f"SELECT {columns} FROM track ORDER BY name LIMIT 20 OFFSET 1000"
    assert keyset.problem == "offset-pagination" and keyset.original == star.rewritten
    assert keyset.rewritten == (
        f"SELECT {columns} FROM track WHERE (name, track_id) > ($1, $2) "
        "ORDER BY name, track_id LIMIT 20"
    )
    assert "$1, $2" in keyset.why
    assert keyset.cost_before is not None and keyset.cost_after is not None
    assert keyset.cost_after < keyset.cost_before / 10


def test_date_cast_becomes_a_range_and_lower_gets_an_expression_index(
    pkg: DesignPackage,
) -> None:
    (day,) = _rewrites(pkg, "invoices of a day")
    assert day.problem == "function-on-indexed-column"
    assert day.rewritten == (
        "SELECT invoice_id, total FROM invoice "
        "WHERE invoice_date >= CAST($1 AS date) AND invoice_date < CAST($1 AS date) + 1"
    )
    (email,) = _rewrites(pkg, "customer by email")
    assert email.rewritten == email.original and email.index_ddl is not None
    assert "lower(email)" in email.index_ddl and '"customer"' in email.index_ddl
    assert email.cost_before is not None and email.cost_after is not None
    assert email.cost_after < email.cost_before / 10


def test_indexes_serve_the_queries_as_shipped(pkg: DesignPackage) -> None:
    assert pkg.optimization is not None and pkg.indexes == pkg.optimization.indexes
    by_table = {i.table: i for i in pkg.indexes.indexes}
    # invoice_line: a covering index lets the join read it index-only (its sample is
    # vacuumed, all-visible, as a production table mostly is).
    assert set(by_table) == {"customer", "track", "invoice", "invoice_line"}
    assert by_table["invoice_line"].serves == ["lines of an invoice"]
    assert by_table["customer"].columns == ["lower(email)"]
    assert by_table["customer"].kind == "expression"
    assert by_table["track"].columns[:1] == ["name"]
    assert by_table["invoice"].columns == ["invoice_date"]  # the range, not the cast
    assert "invoices of a day (rewritten)" in by_table["invoice"].serves
    shipped = {q.query: q for q in pkg.optimization.queries}
    for query in ("customer by email", "tracks page", "invoices of a day"):
        before, after = shipped[query].cost, shipped[query].cost_after
        assert before is not None and after is not None and after < before


def test_package_files_and_report_read_as_an_optimization_review(pkg: DesignPackage) -> None:
    report = render_report(pkg)
    files = package_files(pkg, report)
    assert {"design.json", "report.md", "indexes.sql", "rewrites.sql", "schema.sql"} <= set(files)
    assert "customer_lower_email_idx" in files["indexes.sql"]
    rewrites = read_workload_text(files["rewrites.sql"])
    assert [name for name, _ in rewrites] == [
        "customer by email",
        "tracks page",
        "invoices of a day",
    ]
    assert "(name, track_id) > ($1, $2)" in dict(rewrites)["tracks page"]
    titles = [line for line in report.splitlines() if line.startswith("## ")]
    assert titles == [
        "## Summary",
        "## Current schema",
        "## Findings",
        "## Query rewrites",
        "## Index strategy",
        "## Query patterns",
        "## Checks",
        "## Architecture decision records",
        "## Next steps",
    ]
    assert report.startswith("# chinook-postgresql: optimization review")
    assert "### tracks page: offset-pagination" in report
    assert pkg.adrs[0].title.startswith("Rewrite the costly queries")


def read_workload_text(text: str) -> list[tuple[str, str]]:
    """rewrites.sql reads back as a workload file (`-- name:` comments)."""
    return [(q.name, q.sql) for q in parse_workload(text)]


def test_rewrite_gate_refuses_changed_columns_and_sql_that_does_not_plan(
    pkg: DesignPackage, tmp_path: Path, pg: PgServer
) -> None:
    ctx, _ = mode_context(tmp_path, pg)
    assert pkg.current is not None
    bad = OptimizationReport(
        rewrites=[
            QueryRewrite(
                query="tracks page",
                problem="select-star",
                original="SELECT * FROM track LIMIT 20",
                rewritten="SELECT track_id, name FROM track LIMIT 20",
                why="drops columns the caller reads",
            ),
            QueryRewrite(
                query="customer by email",
                problem="function-on-indexed-column",
                original="SELECT customer_id FROM customer WHERE lower(email) = $1",
                rewritten="SELECT customer_id FROM customer WHERE lower(mail) = $1",
                why="a typo",
            ),
        ]
    )
    verdict = rewrites_verdict(pkg.current.ddl, bad, ctx)
    messages = [f.message for f in verdict.findings]
    assert not verdict.passed and len(messages) == 2
    assert messages[0].startswith("rewrite of query 'tracks page' (select-star) returns (")
    assert "album_id" in messages[0]
    assert "'customer by email'" in messages[1] and "does not plan" in messages[1]
    assert 'column "mail" does not exist' in messages[1]

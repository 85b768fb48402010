"""Mode compare: a technology comparison for a spec, with its matrix, runner-up and one ADR."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mode_support import mode_context

from agent.engine import run_design
from agent.package import DesignPackage
from agent.report import package_files, render_report
from agent.spec import load_spec
from agent.state import DesignRequest
from tools.sql.server import PgServer

SOCIAL = Path(__file__).resolve().parents[1] / "examples" / "social-feed.yaml"


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory, pg: PgServer) -> DesignPackage:
    ctx, events = mode_context(tmp_path_factory.mktemp("home"), pg)
    outcome = asyncio.run(run_design(DesignRequest(mode="compare", spec=load_spec(SOCIAL)), ctx))
    assert outcome.status == "done", outcome.message
    assert [e.stage for e in events if e.kind == "stage_start"] == [
        "requirements",
        "technology",
        "adr",
    ]
    assert outcome.package is not None
    return outcome.package


def test_matrix_alternatives_and_why_not(compared: DesignPackage) -> None:
    tech = compared.technology
    assert tech is not None and tech.primary.engine == "postgresql"
    assert len(tech.matrix) == len(tech.alternatives) + 1 >= 4
    assert sorted(r.rank for r in tech.matrix) == list(range(1, len(tech.matrix) + 1))
    assert {s.criterion for s in tech.matrix[0].scores} == {c.id for c in tech.criteria}
    assert all(a.why_not.strip() for a in tech.alternatives)
    assert {a.category for a in tech.alternatives} >= {"graph", "document"}
    assert compared.schema_design is None and compared.indexes is None
    assert compared.migrations == [] and compared.scaling is None


def test_one_adr_records_the_store_decision(compared: DesignPackage) -> None:
    tech = compared.technology
    assert tech is not None
    (adr,) = compared.adrs
    assert adr.number == 1 and adr.title == f"Use {tech.primary.product} as the primary store"
    assert len(adr.options) >= 3 and adr.consequences


def test_report_reads_as_a_technology_comparison(compared: DesignPackage) -> None:
    report = render_report(compared)
    assert report.startswith("# social-feed: technology comparison")
    sections = [line for line in report.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Summary",
        "## Requirements and assumptions",
        "## Technology recommendation",
        "## Verdict",
        "## Checks",
        "## Architecture decision records",
        "## Next steps",
    ]
    tech = compared.technology
    assert tech is not None
    runner_up = min(tech.alternatives, key=lambda a: -a.total)
    assert f"Runner-up **{runner_up.product}**" in report
    assert "would win if these mattered more: connectedness" in report
    assert "Decision matrix (scores 1-5, total weighted to 100):" in report
    files = package_files(compared, report)
    assert set(files) == {"design.json", "report.md", f"adr/{compared.adrs[0].filename}"}

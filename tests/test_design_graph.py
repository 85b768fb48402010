"""The design graph end to end with the rules brain on the real embedded PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES
from tampering_brain import TamperingBrain

from agent.brains.rules.brain import RulesBrain
from agent.config import Settings
from agent.context import RunContext
from agent.engine import RunOutcome, run_design
from agent.events import Event
from agent.package_folder import write_package
from agent.report import package_files, render_report
from agent.spec import Requirements, load_spec, parse_spec
from agent.stages import SchemaDesign
from agent.state import DesignRequest
from tools.sql.server import PgServer

MINI = FIXTURES / "design" / "mini.yaml"


def _ctx(tmp_path: Path, pg: PgServer, brain: Any = None) -> tuple[RunContext, list[Event]]:
    settings = Settings(home=tmp_path / "home", sample_row_cap=50_000)
    events: list[Event] = []
    ctx = RunContext(brain=brain or RulesBrain(settings), settings=settings, sink=events.append)
    ctx._pg = pg
    return ctx, events


def _run(request: DesignRequest | None, ctx: RunContext, **kw: Any) -> RunOutcome:
    return asyncio.run(run_design(request, ctx, **kw))


def test_mini_design_passes_every_gate_and_writes_a_package(tmp_path: Path, pg: PgServer) -> None:
    ctx, events = _ctx(tmp_path, pg)
    outcome = _run(DesignRequest(spec=load_spec(MINI)), ctx)
    assert outcome.status == "done", outcome.message
    pkg = outcome.package
    assert pkg is not None and pkg.schema_design is not None and pkg.indexes is not None
    assert {t.name for t in pkg.schema_design.tables} >= {"stores", "customers", "orders"}
    assert all(c.passed for c in pkg.checks)
    gates = {c.gate for c in pkg.checks}
    assert {"ddl_applies", "lint_clean", "patterns_indexed", "indexes_pay_off"} <= gates
    by_name = {p.pattern: p for p in pkg.plans}
    assert set(by_name) == {p.name for p in load_spec(MINI).access_patterns}
    assert by_name["open orders of a customer"].uses_index
    assert not any(p.seq_scanned_large for p in pkg.plans)
    assert len(pkg.adrs) >= 4 and pkg.erd and "orders" in pkg.erd
    stages = [e.stage for e in events if e.kind == "stage_start"]
    assert stages == ["requirements", "technology", "schema", "indexes", "scaling", "adr"]
    out = write_package(package_files(pkg, render_report(pkg)), tmp_path / "pkg")
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"design.json", "schema.sql", "indexes.sql", "erd.md", "report.md"} <= names
    assert any(n.startswith("adr/0001-") for n in names)
    assert any(n.startswith("migrations/") and n.endswith(".down.sql") for n in names)


def _float_money(design: SchemaDesign) -> SchemaDesign:
    """A model that forgets the money type: the lint gate must catch it."""
    broken = design.ddl.replace("total numeric(19,4)", "total double precision")
    assert broken != design.ddl
    return design.model_copy(update={"ddl": broken})


def flaky_brain(settings: Settings, failures: int) -> TamperingBrain:
    return TamperingBrain(settings, failures, _float_money)


def test_a_failed_gate_sends_the_stage_back_with_its_findings(tmp_path: Path, pg: PgServer) -> None:
    ctx, events = _ctx(tmp_path, pg)
    brain = flaky_brain(ctx.settings, failures=1)
    ctx.brain = brain
    outcome = _run(DesignRequest(spec=load_spec(MINI), mode="compare"), ctx)
    assert outcome.status == "done"  # compare mode never reaches the schema stage
    outcome = _run(DesignRequest(spec=load_spec(MINI)), ctx)
    assert outcome.status == "done", outcome.message
    assert list(brain.seen[0]) == [] and any(f.rule == "float-for-money" for f in brain.seen[1])
    lint = [c for c in outcome.package.checks if c.gate == "lint_clean"]  # type: ignore[union-attr]
    assert [(c.attempt, c.passed) for c in lint] == [(1, False), (2, True)]
    assert any(e.kind == "retry" and e.stage == "schema" for e in events)


def test_a_gate_that_keeps_failing_ends_the_run_naming_it(tmp_path: Path, pg: PgServer) -> None:
    ctx, events = _ctx(tmp_path, pg)
    ctx.brain = flaky_brain(ctx.settings, failures=10)
    outcome = _run(DesignRequest(spec=load_spec(MINI)), ctx)
    assert outcome.status == "failed" and outcome.package is None
    assert outcome.message and "gate 'lint_clean'" in outcome.message
    assert "3 attempt(s)" in outcome.message and "float-for-money" in outcome.message
    assert events[-1].kind == "run_failed"


def _open_spec() -> Requirements:
    data = yaml.safe_load(MINI.read_text())
    del data["access_patterns"], data["consistency"], data["entities"][2]["rows"]
    return parse_spec(data)


def test_missing_requirements_interrupt_then_resume_with_answers(
    tmp_path: Path, pg: PgServer
) -> None:
    ctx, _ = _ctx(tmp_path, pg)
    outcome = _run(DesignRequest(spec=_open_spec(), interactive=True), ctx)
    assert outcome.status == "interrupted"
    asked = {q["path"] for q in outcome.questions}
    assert {"access_patterns", "consistency", "entities[2].rows"} <= asked
    answers = {
        "consistency": "strong",
        "entities[2].rows": "150000",
        "access_patterns": yaml.safe_dump(
            [
                {
                    "name": "orders of a customer",
                    "per_second": 10,
                    "sql": "SELECT id, total FROM orders WHERE customer_id = $1 "
                    "ORDER BY placed_at DESC LIMIT 20",
                }
            ]
        ),
    }
    done = _run(None, ctx, thread_id=outcome.thread_id, answers=answers)
    assert done.status == "done", done.message
    assert done.package is not None and done.package.spec is not None
    assert done.package.spec.consistency == "strong"
    assert [p.pattern for p in done.package.plans] == ["orders of a customer"]
    assert not any("Consistency not stated" in a for a in done.package.assumptions)


def test_non_interactive_runs_state_assumptions_instead(tmp_path: Path, pg: PgServer) -> None:
    ctx, _ = _ctx(tmp_path, pg)
    outcome = _run(DesignRequest(spec=_open_spec(), mode="compare"), ctx)
    assert outcome.status == "done" and outcome.package is not None
    text = " ".join(outcome.package.assumptions)
    assert "No access patterns" in text and "Assumed: strong" in text


@pytest.mark.parametrize("thread", ["../etc", "a b", "x" * 200])
def test_thread_ids_are_checked(tmp_path: Path, pg: PgServer, thread: str) -> None:
    from tools.errors import InputError

    ctx, _ = _ctx(tmp_path, pg)
    with pytest.raises(InputError):
        _run(DesignRequest(spec=load_spec(MINI), mode="compare"), ctx, thread_id=thread)


def test_with_a_state_url_another_machine_resumes_the_run(tmp_path: Path, pg: PgServer) -> None:
    """Runs and checkpoints in PostgreSQL: a second home (another machine) answers the run."""
    from service_support import state_database

    with state_database(pg) as url:
        one, _ = _ctx(tmp_path / "one", pg)
        one.settings = one.settings.model_copy(update={"state_url": url})
        asked = _run(DesignRequest(spec=_open_spec(), interactive=True, mode="compare"), one)
        assert asked.status == "interrupted"
        two, _ = _ctx(tmp_path / "two", pg)
        two.settings = two.settings.model_copy(update={"state_url": url})
        done = _run(None, two, thread_id=asked.thread_id, answers={"consistency": "eventual"})
        assert done.status == "done" and done.package is not None
        assert done.package.spec is not None and done.package.spec.consistency == "eventual"
        assert not (tmp_path / "two" / "home" / "checkpoints.sqlite").exists()

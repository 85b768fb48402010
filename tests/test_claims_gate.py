"""The claims gate in the design graph: a false claim goes back to its stage with what the
catalog says, like DDL that does not apply, and a brain that keeps it ends the run."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import FIXTURES
from tampering_brain import TamperingBrain

from agent.claims.model import RowSecurity
from agent.config import Settings
from agent.context import RunContext
from agent.engine import RunOutcome, run_design
from agent.spec import load_spec
from agent.stages import SchemaDesign
from agent.state import DesignRequest
from tools.sql.server import PgServer

MINI = FIXTURES / "design" / "mini.yaml"
FALSE = RowSecurity(tables=["customers"], forced=False, reason="a claim the DDL belies")


def _overclaim(design: SchemaDesign) -> SchemaDesign:
    return design.model_copy(update={"claims": [*design.claims, FALSE]})


def _run(tmp_path: Path, pg: PgServer, lies: int) -> tuple[TamperingBrain, RunOutcome]:
    settings = Settings(home=tmp_path / "home", sample_row_cap=50_000)
    brain = TamperingBrain(settings, lies, _overclaim)
    ctx = RunContext(brain=brain, settings=settings, sink=lambda _: None)
    ctx._pg = pg
    return brain, asyncio.run(run_design(DesignRequest(spec=load_spec(MINI)), ctx))


def test_a_false_claim_is_sent_back_with_the_catalogs_answer(tmp_path: Path, pg: PgServer) -> None:
    brain, outcome = _run(tmp_path, pg, lies=1)
    assert outcome.status == "done", outcome.message
    [finding] = brain.seen[1]
    assert finding.gate == "claims_hold"
    assert finding.message == (
        f'false row_security claim "{FALSE.sentence()}": the catalog says '
        "customers: relforcerowsecurity = true"
    )
    assert outcome.package is not None
    checks = [(c.attempt, c.passed) for c in outcome.package.checks if c.gate == "claims_hold"]
    assert checks[:2] == [(1, False), (2, True)]


def test_a_claim_that_stays_false_ends_the_run_naming_the_gate(
    tmp_path: Path, pg: PgServer
) -> None:
    _, outcome = _run(tmp_path, pg, lies=10)
    assert outcome.status == "failed"
    message = outcome.message or ""
    assert "gate 'claims_hold' failed after 3 attempt(s) of stage 'schema'" in message
    assert "relforcerowsecurity = true" in message

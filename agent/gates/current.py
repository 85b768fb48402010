"""Gate on the existing schema: it must apply to a scratch PostgreSQL as given.

Its lint findings are not the run's to fix (the schema is the user's); they are kept as
notes, and the optimize stage reports them.
"""

from __future__ import annotations

from agent.context import RunContext
from agent.gates import Verdict
from agent.gates.schema import ddl_verdict
from agent.state import DesignState
from tools.sql.parse import parse_schema
from tools.sql.server import scratch_database
from tools.sql.validate import apply_statements

GATE = "current_applies"


def check_current(state: DesignState, ctx: RunContext) -> list[Verdict]:
    assert state.current is not None
    return [applies_verdict(state.current.ddl, GATE, state.request.schema_name, ctx)]


def applies_verdict(ddl: str, gate: str, file: str | None, ctx: RunContext) -> Verdict:
    """`ddl` applied to a scratch database as the sandbox role; each refused statement a finding."""
    schema = parse_schema(ddl, file=file)
    with scratch_database(ctx.pg()) as scratch:
        result = apply_statements(schema, scratch)
    verdict = ddl_verdict(result)
    findings = [f.model_copy(update={"gate": gate}) for f in verdict.findings]
    notes = [f"statement not applied (line {s.line}): {s.reason}" for s in result.skipped]
    return Verdict(gate=gate, findings=findings, notes=notes)

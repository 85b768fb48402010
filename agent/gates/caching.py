"""Gate `caching_ddl_applies`: the SQL a caching plan proposes (a materialized view and its
unique index, a summary table) applies on top of the schema, as the sandbox role.

A plan that only names a cache in prose is not checked here; one that hands the reader DDL
must hand over DDL that runs. Nothing is started when no plan carries DDL.
"""

from __future__ import annotations

from agent.context import RunContext
from agent.gates import Verdict
from agent.gates.current import applies_verdict
from agent.state import DesignState

GATE = "caching_ddl_applies"


def check_caching_ddl(state: DesignState, ctx: RunContext) -> list[Verdict]:
    plan = state.scaling
    schema = state.schema_design or state.current
    assert plan is not None and schema is not None
    proposed = [c for c in plan.caching if c.ddl]
    if not proposed:
        return []
    ddl = "\n\n".join([schema.ddl, *(c.ddl or "" for c in proposed)])
    verdict = applies_verdict(ddl, GATE, "caching.sql", ctx)
    verdict.notes.append(f"{len(proposed)} caching DDL block(s) applied on the schema")
    return [verdict]

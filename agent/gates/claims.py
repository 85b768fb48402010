"""The `claims_hold` gate: every claim a stage states holds in the catalog of the applied package.

The package's DDL (the schema, plus the recommended indexes once they exist) is applied to
a scratch database and its catalog read once per distinct DDL; each claim of the stage is
checked against it. A false claim is an error finding like DDL that does not apply: the
stage goes back to its brain with the claim and what the catalog says, then the run fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from agent.claims.catalog import Catalog, read_catalog
from agent.claims.check import check_claims
from agent.claims.model import Claim
from agent.context import RunContext
from agent.gates import Gate, Verdict, fail
from agent.state import DesignState
from tools.errors import SqlSyntaxError
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer, scratch_database
from tools.sql.validate import apply_statements

GATE = "claims_hold"

STAGE_CLAIMS: dict[str, Callable[[DesignState], Sequence[Claim]]] = {
    "schema": lambda s: s.schema_design.claims if s.schema_design else [],
    "indexes": lambda s: s.indexes.claims if s.indexes else [],
    "scaling": lambda s: s.scaling.claims if s.scaling else [],
    "adr": lambda s: [c for adr in s.adrs for c in adr.claims],
}


def package_ddl(state: DesignState, with_indexes: bool) -> str:
    """The DDL a reader of the package would apply: schema.sql, then indexes.sql."""
    ddl = state.schema_design.ddl if state.schema_design else ""
    if with_indexes and state.indexes is not None and state.indexes.indexes:
        ddl += "\n" + state.indexes.ddl
    return ddl


@lru_cache(maxsize=8)
def applied_catalog(server: PgServer, ddl: str) -> Catalog | str:
    """The catalog of `ddl` applied to a scratch database, or why it could not be applied.

    Cached by DDL text: the scaling and ADR gates read the same package as the index gate.
    """
    try:
        schema = parse_schema(ddl, file="schema.sql")
    except SqlSyntaxError as exc:
        return f"the DDL does not parse: {exc.detail}"
    with scratch_database(server) as scratch:
        applied = apply_statements(schema, scratch)
        if applied.errors:
            first = applied.errors[0]
            return f"the DDL does not apply (line {first.line}: {first.message})"
        return read_catalog(scratch.dsn)


def claims_gate(stage: str) -> Gate:
    """The gate for one stage's claims (the schema's are checked without the indexes)."""

    def check_claims_hold(state: DesignState, ctx: RunContext) -> list[Verdict]:
        claims = STAGE_CLAIMS[stage](state)
        if not claims:
            return []  # nothing stated, nothing to check (the modes' records state no facts)
        verdict = Verdict(gate=GATE)
        catalog = applied_catalog(ctx.pg(), package_ddl(state, with_indexes=stage != "schema"))
        if isinstance(catalog, str):
            verdict.findings.append(fail(GATE, f"{len(claims)} claim(s) not checked: {catalog}"))
            return [verdict]
        for failure in check_claims(claims, catalog):
            verdict.findings.append(fail(GATE, failure.message))
        if verdict.passed:
            verdict.notes.append(f"{len(claims)} claim(s) hold in the catalog")
        return [verdict]

    check_claims_hold.__name__ = f"check_{stage}_claims"
    return check_claims_hold

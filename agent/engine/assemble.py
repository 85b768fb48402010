"""Turn the graph's final state into a `DesignPackage` (deterministic, whichever brain ran)."""

from __future__ import annotations

from agent.brains.rules.migrations import migration_files, plan_migrations
from agent.engine.completeness import require_complete
from agent.package import DesignPackage, Migration, Usage
from agent.stages import IndexPlan
from agent.state import DesignState
from tools.erd import render_erd
from tools.sql.parse import parse_schema
from tools.sql.review import lint_schema


def build_package(state: DesignState, brain: str, usage: Usage | None = None) -> DesignPackage:
    """The package of a finished run; `RunIncomplete` if any stage or gate is missing."""
    require_complete(state)
    spec = state.spec
    pkg = DesignPackage(
        name=spec.name if spec else "design",
        mode=state.request.mode,
        brain=brain,
        spec=spec,
        assumptions=state.assumptions,
        technology=state.technology,
        schema_design=state.schema_design,
        current=state.current,
        optimization=state.optimization,
        migration=state.migration,
        indexes=state.indexes,
        scaling=state.scaling,
        adrs=state.adrs,
        migrations=state.migrations or _migrations(state),
        plans=state.plans,
        checks=state.checks,
        findings=state.notes,
        usage=usage or Usage(),
    )
    if state.schema_design is not None and state.schema_design.ddl.strip():
        ddl = state.schema_design.ddl
        if state.indexes is not None and state.indexes.indexes:
            ddl += "\n" + state.indexes.ddl
        schema = parse_schema(ddl, file="schema.sql")
        pkg.erd = render_erd(schema)
        pkg.lint = [f.as_json() for f in lint_schema(schema)]
    return pkg


def _migrations(state: DesignState) -> list[Migration]:
    """A new design ships as ordered up/down files; a migrate run ships its plan's steps."""
    if state.migration is not None:
        return migration_files(state.migration)
    if state.request.mode != "design" or state.schema_design is None:
        return []
    return plan_migrations(state.schema_design, state.indexes or IndexPlan())

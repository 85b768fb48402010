"""ADRs per mode: a design's records come from the brain; the other modes record their own output.

An optimize, migrate or scale run decides about a schema someone already runs, and a
comparison decides only the store, so their records are about that decision (the rewrites
and indexes, the migration path, the growth plan, the store), written from the stage output
whichever brain produced it. A design's records on keys or tenancy would describe decisions
the run never made.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from agent.brains.rules.adr import backup_adr, partitioning_adr, scaling_adr, store_adr
from agent.brains.rules.migrate import migration_adr
from agent.brains.rules.optimize import optimization_adr
from agent.context import RunContext
from agent.nodes import adr
from agent.stages import Adr, SchemaDesign
from agent.state import DesignState


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    drafts = mode_adrs(state)
    if drafts is None:
        return await adr.run(state, ctx)
    day = date.today().isoformat()
    numbered = [
        draft.model_copy(update={"number": n, "date": draft.date or day})
        for n, draft in enumerate(drafts, start=1)
    ]
    return {"adrs": numbered, "findings": []}


def mode_adrs(state: DesignState) -> list[Adr] | None:
    """The mode's own records, or None when the brain writes them (a design)."""
    mode, spec = state.request.mode, state.spec
    if mode == "optimize" and state.optimization is not None:
        return [optimization_adr(state.optimization)]
    if mode == "migrate" and state.migration is not None:
        return [migration_adr(state.migration, state.current, state.schema_design)]
    if mode == "scale" and state.scaling is not None and spec is not None:
        schema = state.schema_design or SchemaDesign(ddl="")
        found = [
            scaling_adr(spec, state.scaling, schema),
            partitioning_adr(spec, schema, state.scaling),
            backup_adr(spec, state.scaling),
        ]
        return [a for a in found if a is not None]
    if mode == "compare" and state.technology is not None and spec is not None:
        return [store_adr(spec, state.technology)]
    return None

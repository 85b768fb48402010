"""The rules brain's ADR stage: one MADR record per major decision the design made.

Always recorded: the primary store, the key strategy, the indexing strategy, scaling, and
backup/recovery. Recorded when they apply: tenancy and row-level security, compliance and
audit, periods rows may not share (exclusion constraints), time partitioning and retention,
flexible attributes in jsonb. Every record has its context, the options weighed with pros
and cons, the decision and its consequences, so a reader can disagree with it on the facts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date as Date

from agent.brains.rules.adr.data import (
    audit_adr,
    flexible_adr,
    overlap_adr,
    partitioning_adr,
    tenancy_adr,
)
from agent.brains.rules.adr.operations import backup_adr, scaling_adr
from agent.brains.rules.adr.platform import indexing_adr, keys_adr, store_adr
from agent.spec.model import Requirements
from agent.stages import Adr, IndexPlan, ScalingPlan, SchemaDesign, TechnologyDecision


def write_adrs(
    spec: Requirements,
    tech: TechnologyDecision,
    schema: SchemaDesign,
    indexes: IndexPlan,
    scaling: ScalingPlan,
    date: str | None = None,
) -> list[Adr]:
    """The records in decision order, numbered from 1, all `accepted` on `date` (default today)."""
    day = date or Date.today().isoformat()
    builders: list[Callable[[], Adr | None]] = [
        lambda: store_adr(spec, tech),
        lambda: keys_adr(spec, schema, scaling),
        lambda: tenancy_adr(spec, schema),
        lambda: audit_adr(spec, schema, scaling),
        lambda: overlap_adr(spec, schema),
        lambda: partitioning_adr(spec, schema, scaling),
        lambda: flexible_adr(spec, schema, indexes),
        lambda: indexing_adr(spec, schema, indexes),
        lambda: scaling_adr(spec, scaling, schema),
        lambda: backup_adr(spec, scaling),
    ]
    drafts = [draft for build in builders if (draft := build()) is not None]
    return [
        draft.model_copy(update={"number": number, "status": "accepted", "date": day})
        for number, draft in enumerate(drafts, start=1)
    ]

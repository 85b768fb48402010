"""The one typed state object the design graph passes between its nodes.

Nodes read it and return only the fields they change. `checks` accumulates every gate
verdict (all attempts, for the report); `findings` holds what the last failed gate said,
which the stage's brain must address on its next attempt.
"""

from __future__ import annotations

import operator
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from agent.package import GateResult, Migration, Mode, PatternPlan
from agent.spec import Requirements
from agent.stages import (
    Adr,
    GateFinding,
    IndexPlan,
    MigrationPlan,
    OptimizationReport,
    ScalingPlan,
    SchemaDesign,
    TechnologyDecision,
)
from tools.counts import RowCounts


class NamedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    sql: str


class DesignRequest(BaseModel):
    """What the caller asked for; never changed by the graph."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "design"
    spec: Requirements | None = None
    text: str | None = None  # free-text requirements (the model turns them into a spec)
    current_schema: str | None = None  # SQL of an existing schema (optimize, migrate, scale)
    target_schema: str | None = None  # SQL of the target schema (migrate, instead of a spec)
    schema_name: str | None = None  # names a package derived from a schema file (no spec)
    workload: list[NamedQuery] = Field(default_factory=list)  # queries beyond the spec's
    rows: RowCounts = Field(default_factory=dict)  # table -> rows, overriding the spec
    interactive: bool = False  # ask questions (interrupt) instead of assuming
    pg_version: int | None = None  # target PostgreSQL major, overriding the spec's


class DesignState(BaseModel):
    request: DesignRequest
    spec: Requirements | None = None
    assumptions: list[str] = Field(default_factory=list)
    technology: TechnologyDecision | None = None
    schema_design: SchemaDesign | None = None
    current: SchemaDesign | None = None  # the existing schema (optimize, migrate, scale)
    optimization: OptimizationReport | None = None
    migration: MigrationPlan | None = None
    indexes: IndexPlan | None = None
    scaling: ScalingPlan | None = None
    adrs: list[Adr] = Field(default_factory=list)
    migrations: list[Migration] = Field(default_factory=list)
    plans: list[PatternPlan] = Field(default_factory=list)
    lint: list[dict[str, object]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    findings: list[GateFinding] = Field(default_factory=list)
    attempts: dict[str, int] = Field(default_factory=dict)
    checks: Annotated[list[GateResult], operator.add] = Field(default_factory=list)
    failed: str | None = None

    def attempt(self, stage: str) -> int:
        return self.attempts.get(stage, 0)

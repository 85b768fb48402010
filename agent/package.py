"""The design package: the typed result of a run.

`design.json` is the whole package; the other files are views of it (schema.sql,
indexes.sql, erd.md, report.md, adr/*.md, migrations/*.sql) for people and tools, written
by `agent.report.files`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.spec import Requirements
from agent.stages import (
    Adr,
    IndexPlan,
    MigrationPlan,
    OptimizationReport,
    ScalingPlan,
    SchemaDesign,
    TechnologyDecision,
)

Mode = Literal["design", "optimize", "migrate", "scale", "compare"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GateResult(_Model):
    """One gate's verdict on one attempt of a stage (all attempts are kept for the report)."""

    gate: str
    stage: str
    attempt: int
    passed: bool
    findings: list[str] = Field(default_factory=list)


class PatternPlan(_Model):
    """How one access pattern plans on the final schema at the stated volumes."""

    pattern: str
    total_cost: float
    cost_without_indexes: float | None = None
    scans: list[str] = Field(default_factory=list)  # "Index Scan using idx_x on tasks"
    uses_index: bool = False
    large_tables: list[str] = Field(default_factory=list)
    seq_scanned_large: list[str] = Field(default_factory=list)
    # The cost at the stated volume: the sample's cost times the sampling ratio of the
    # largest table the plan reads most of (`reads_whole`), since that work grows with it.
    stated_cost: float | None = None
    reads_whole: list[str] = Field(default_factory=list)


class Migration(_Model):
    """One ordered migration step with its rollback."""

    name: str  # "0001_create_types"
    up: str
    down: str


class Usage(_Model):
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class DesignPackage(_Model):
    name: str
    mode: Mode = "design"
    brain: str = "rules"
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    spec: Requirements | None = None
    assumptions: list[str] = Field(default_factory=list)
    technology: TechnologyDecision | None = None
    schema_design: SchemaDesign | None = None
    current: SchemaDesign | None = None  # the existing schema (optimize, migrate, scale)
    optimization: OptimizationReport | None = None  # mode optimize
    migration: MigrationPlan | None = None  # mode migrate: the steps behind `migrations`
    indexes: IndexPlan | None = None
    scaling: ScalingPlan | None = None
    adrs: list[Adr] = Field(default_factory=list)
    erd: str | None = None  # Mermaid erDiagram source
    migrations: list[Migration] = Field(default_factory=list)
    plans: list[PatternPlan] = Field(default_factory=list)
    lint: list[dict[str, object]] = Field(default_factory=list)  # remaining findings
    checks: list[GateResult] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)  # mode outputs: optimize/migrate notes
    usage: Usage = Field(default_factory=Usage)

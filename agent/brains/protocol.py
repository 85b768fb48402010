"""The `Brain` protocol: one async method per design stage; the graph never knows which brain.

`findings` carries what a gate reported when it sent the stage back (empty on the first
attempt); a brain must address them or explain them as justified findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from agent.package import PatternPlan
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


@runtime_checkable
class Brain(Protocol):
    """What every brain (rules, anthropic) implements; each call returns a typed stage output."""

    name: str

    async def requirements(self, request: str | Requirements) -> Requirements:
        """Free text or a spec -> a validated spec (the rules brain accepts only a spec)."""
        ...

    async def technology(
        self, spec: Requirements, findings: Sequence[GateFinding] = ()
    ) -> TechnologyDecision: ...

    async def schema(
        self,
        spec: Requirements,
        tech: TechnologyDecision,
        findings: Sequence[GateFinding] = (),
    ) -> SchemaDesign: ...

    async def indexes(
        self,
        spec: Requirements,
        schema: SchemaDesign,
        findings: Sequence[GateFinding] = (),
    ) -> IndexPlan: ...

    async def scaling(
        self,
        spec: Requirements,
        tech: TechnologyDecision,
        schema: SchemaDesign,
        indexes: IndexPlan,
        findings: Sequence[GateFinding] = (),
        plans: Sequence[PatternPlan] = (),
    ) -> ScalingPlan: ...

    async def adrs(
        self,
        spec: Requirements,
        tech: TechnologyDecision,
        schema: SchemaDesign,
        indexes: IndexPlan,
        scaling: ScalingPlan,
        findings: Sequence[GateFinding] = (),
    ) -> list[Adr]: ...

    async def optimize(
        self,
        spec: Requirements,
        current: SchemaDesign,
        findings: Sequence[GateFinding] = (),
    ) -> OptimizationReport:
        """Mode `optimize`: findings, query rewrites and indexes for an existing schema.

        `current` is the existing schema (its DDL as given, `tables[].estimated_rows` the
        stated volumes); the workload is `spec.access_patterns` (a `--workload` file is
        merged into them; without a spec, the spec is derived from the schema). Gates: the
        advised indexes must lower some query's cost on sample data, and every rewrite must
        plan and return the same columns as its original.
        """
        ...

    async def migrate(
        self,
        spec: Requirements,
        current: SchemaDesign,
        target: SchemaDesign,
        findings: Sequence[GateFinding] = (),
    ) -> MigrationPlan:
        """Mode `migrate`: zero-downtime steps from `current` to `target`, each with a rollback.

        Gates: applying the current schema and every step's `up` in order yields the target
        (compared in the catalog), every `down` newest first yields the current schema again,
        and squawk finds nothing in the up steps beyond each step's `accepted_lint`.
        """
        ...

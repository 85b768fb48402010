"""The `Brain` protocol: one async method per design stage; the graph never knows which brain.

`findings` carries what a gate reported when it sent the stage back (empty on the first
attempt); a brain must address them or explain them as justified findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from agent.spec_model import Requirements
from agent.stages import (
    Adr,
    GateFinding,
    IndexPlan,
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

"""A rules brain whose schema stage is tampered with for its first attempts: it stands in for
a model that gets something wrong, then reads the gate's findings and gets it right."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agent.brains.rules.brain import RulesBrain
from agent.config import Settings
from agent.spec import Requirements
from agent.stages import GateFinding, SchemaDesign, TechnologyDecision

Tamper = Callable[[SchemaDesign], SchemaDesign]


class TamperingBrain(RulesBrain):
    def __init__(self, settings: Settings, failures: int, tamper: Tamper) -> None:
        super().__init__(settings)
        self.failures = failures
        self.tamper = tamper
        self.seen: list[Sequence[GateFinding]] = []  # the findings each attempt was given

    async def schema(
        self, spec: Requirements, tech: TechnologyDecision, findings: Sequence[GateFinding] = ()
    ) -> SchemaDesign:
        self.seen.append(findings)
        design = await super().schema(spec, tech, findings)
        return self.tamper(design) if len(self.seen) <= self.failures else design

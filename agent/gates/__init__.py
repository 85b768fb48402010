"""Gates: deterministic checks every stage output must pass, whichever brain wrote it.

A gate returns verdicts; one with error findings sends the stage back to its brain with
those findings (bounded), then fails the run naming the gate and why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.context import RunContext
from agent.stages import GateFinding
from agent.state import DesignState


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gate: str
    findings: list[GateFinding] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # passed-with-remarks, for the report
    # State fields the gate computed on the way (pattern plans, remaining lint findings).
    update: dict[str, Any] = Field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


Gate = Callable[[DesignState, RunContext], list[Verdict]]


def fail(gate: str, message: str, **where: object) -> GateFinding:
    return GateFinding.model_validate({"gate": gate, "message": message, **where})

"""Pure routing decisions of the design graph, testable without running it."""

from __future__ import annotations

from typing import Literal

from agent.package import Mode
from agent.state import DesignState

Route = Literal["retry", "next", "fail"]

STAGES_BY_MODE: dict[Mode, tuple[str, ...]] = {
    "design": ("requirements", "technology", "schema", "indexes", "scaling", "adr"),
    "compare": ("requirements", "technology", "adr"),
    "optimize": ("requirements", "current", "optimize", "adr"),
    "scale": ("requirements", "current", "scale", "adr"),
    "migrate": ("requirements", "current", "target", "migrate", "adr"),
}


def after_gate(state: DesignState, stage: str, max_retries: int) -> Route:
    """Next stage when this attempt's checks all passed; retry while attempts remain."""
    attempt = state.attempt(stage)
    verdicts = [c for c in state.checks if c.stage == stage and c.attempt == attempt]
    if all(v.passed for v in verdicts):
        return "next"
    return "retry" if attempt <= max_retries else "fail"


def next_stage(mode: Mode, stage: str) -> str | None:
    stages = STAGES_BY_MODE[mode]
    position = stages.index(stage)
    return stages[position + 1] if position + 1 < len(stages) else None

"""Whether a run's final state may become a package: every stage of its mode produced its
output, and the gates passed that stage's last attempt.

The graph only reaches its end through passed gates, but a package must not depend on how
the state got here (a resume, a takeover of a crashed job, a future code path): the check
is made where the package is assembled, on the state itself.
"""

from __future__ import annotations

from agent.graph import STAGES_BY_MODE
from agent.state import DesignState
from tools.errors import RunIncomplete

# The state field each stage fills; a stage of the mode without it did not finish.
STAGE_OUTPUTS: dict[str, str] = {
    "requirements": "spec",
    "current": "current",
    "technology": "technology",
    "schema": "schema_design",
    "indexes": "indexes",
    "optimize": "optimization",
    "scaling": "scaling",
    "scale": "scaling",
    "target": "schema_design",
    "migrate": "migration",
    "adr": "adrs",
}


def stage_gaps(state: DesignState, stage: str) -> list[str]:
    """What the state lacks for `stage` to count as done (empty when nothing)."""
    gaps = []
    if not getattr(state, STAGE_OUTPUTS[stage]):
        gaps.append(f"stage '{stage}' has no output")
    attempt = state.attempt(stage)
    verdicts = [c for c in state.checks if c.stage == stage and c.attempt == attempt]
    if attempt == 0 or not verdicts:
        gaps.append(f"stage '{stage}' has no gate verdict")
    gaps += [
        f"gate '{v.gate}' failed attempt {attempt} of stage '{stage}'"
        for v in verdicts
        if not v.passed
    ]
    return gaps


def require_complete(state: DesignState) -> None:
    """Raise `RunIncomplete` naming every gap, unless every stage of the mode is done."""
    if state.failed:
        raise RunIncomplete([state.failed])
    gaps = [gap for stage in STAGES_BY_MODE[state.request.mode] for gap in stage_gaps(state, stage)]
    if gaps:
        raise RunIncomplete(gaps)

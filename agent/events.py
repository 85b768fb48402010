"""Progress events of a run: one per stage start/finish, gate verdict, retry and interrupt.

The CLI prints them as progress lines, the HTTP server streams them as SSE; the graph only
calls `emit`, so it never knows who listens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EventKind = Literal[
    "run_start",
    "stage_start",
    "stage_done",
    "gate_pass",
    "gate_fail",
    "retry",
    "interrupt",
    "run_done",
    "run_failed",
    "note",
]


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    stage: str | None = None
    message: str = ""
    attempt: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)


EventSink = Callable[[Event], None]


def discard(_: Event) -> None:
    """The sink used when nobody listens."""

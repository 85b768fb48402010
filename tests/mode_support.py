"""A run context for the mode tests: the rules brain on the session's PostgreSQL, events kept."""

from __future__ import annotations

from pathlib import Path

from agent.brains.rules.brain import RulesBrain
from agent.config import Settings
from agent.context import RunContext
from agent.events import Event
from tools.sql.server import PgServer


def mode_context(home: Path, pg: PgServer) -> tuple[RunContext, list[Event]]:
    settings = Settings(home=home, sample_row_cap=50_000)
    events: list[Event] = []
    ctx = RunContext(brain=RulesBrain(settings), settings=settings, sink=events.append)
    ctx._pg = pg
    return ctx, events

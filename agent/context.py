"""What every node may use at run time but never stores in state: brain, settings, server."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.brains.factory import make_brain
from agent.brains.protocol import Brain
from agent.config import Settings
from agent.events import Event, EventSink, discard
from agent.package import Usage
from tools.sql.server import PgServer, resolve_server


@dataclass
class RunContext:
    """The brain may be given by name (`{"brain": "rules"}`): that is the context a LangGraph
    server passes in a run request (see langgraph.json), which LangGraph makes into this."""

    brain: Brain = field(default_factory=lambda: make_brain("rules", Settings()))
    settings: Settings = field(default_factory=Settings)
    sink: EventSink = discard
    _pg: PgServer | None = None

    def __post_init__(self) -> None:
        named: object = self.brain
        if isinstance(named, str):
            self.brain = make_brain(named, self.settings)

    def pg(self) -> PgServer:
        """The PostgreSQL the gates check against, resolved on first use."""
        if self._pg is None:
            self._pg = resolve_server(self.settings.database_url, self.settings.pg_data_dir)
        return self._pg

    def usage(self) -> Usage:
        """What the brain spent on the model so far (a brain without a model spends nothing)."""
        spent = getattr(self.brain, "usage", None)
        return spent if isinstance(spent, Usage) else Usage()

    def emit(self, kind: str, stage: str | None = None, message: str = "", **data: object) -> None:
        self.sink(
            Event.model_validate({"kind": kind, "stage": stage, "message": message, "data": data})
        )

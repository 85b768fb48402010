"""What every node may use at run time but never stores in state: brain, settings, server."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.brains.protocol import Brain
from agent.config import Settings
from agent.events import Event, EventSink, discard
from tools.sql.server import PgServer, resolve_server


@dataclass
class RunContext:
    brain: Brain
    settings: Settings = field(default_factory=Settings)
    sink: EventSink = discard
    _pg: PgServer | None = None

    def pg(self) -> PgServer:
        """The PostgreSQL the gates check against, resolved on first use."""
        if self._pg is None:
            self._pg = resolve_server(self.settings.database_url, self.settings.pg_data_dir)
        return self._pg

    def emit(self, kind: str, stage: str | None = None, message: str = "", **data: object) -> None:
        self.sink(
            Event.model_validate({"kind": kind, "stage": stage, "message": message, "data": data})
        )

"""What every route and worker of one app instance shares: settings, stores, metrics, server.

Nothing here holds a job's or a session's state: the stores are views of the shared
database, and the PostgreSQL handle is only an address, resolved once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from agent.service.chat import ChatRuntime
from agent.service.config import ServiceSettings
from agent.service.errors import ServiceUnavailable
from agent.service.metrics import RequestMetrics
from agent.service.stores import JobStore, RateStore, SessionStore
from agent.store import Database, open_database
from tools.sql.server import PgServer, resolve_server


@dataclass
class ServiceState:
    settings: ServiceSettings
    db: Database
    jobs: JobStore
    sessions: SessionStore
    rates: RateStore
    metrics: RequestMetrics = field(default_factory=lambda: RequestMetrics())
    job_submitted: threading.Event = field(default_factory=threading.Event)
    chat: ChatRuntime | None = None  # set for the app's lifespan (it is built off the loop)
    _pg: PgServer | None = None
    _pg_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: ServiceSettings) -> ServiceState:
        db = open_database(settings.state_url, settings.state_path, settings.state_pool_size)
        return cls(settings, db, JobStore(db), SessionStore(db), RateStore(db))

    def chat_runtime(self) -> ChatRuntime:
        if self.chat is None:
            raise ServiceUnavailable("chat is not ready: the server is starting or stopping")
        return self.chat

    def pg(self) -> PgServer:
        """The PostgreSQL the SQL tools use (embedded unless DATABASE_URL), started once."""
        with self._pg_lock:
            if self._pg is None:
                self._pg = resolve_server(self.settings.database_url, self.settings.pg_data_dir)
            return self._pg

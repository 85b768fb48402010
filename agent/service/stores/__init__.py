"""The service's views of the shared state database, as every server process sees them: the
job table and each job's event log (`jobs`), chat-session accounting and the one-message
lock (`sessions`), and the rate-limit windows (`limits`).

May import `agent.store` and `agent.events`; nothing else of the service.
"""

from agent.service.stores.jobs import TERMINAL, JobRecord, JobStore
from agent.service.stores.limits import RateStore
from agent.service.stores.sessions import SessionRecord, SessionStore, TurnUsage

__all__ = [
    "TERMINAL",
    "JobRecord",
    "JobStore",
    "RateStore",
    "SessionRecord",
    "SessionStore",
    "TurnUsage",
]

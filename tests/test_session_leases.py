"""Chat-session leases on SQLite and on the real PostgreSQL: short, renewed, held by one turn."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from service_support import Opener, opener, settings_for

from agent.service.chat import RulesResponder
from agent.service.chat.turns import Turn
from agent.service.state import ServiceState
from agent.service.stores import SessionStore, TurnUsage
from agent.store import Database
from tools.sql.server import PgServer

__all__ = ["opener"]  # the fixture, imported so pytest finds it


def _session(opener: Opener) -> SessionStore:
    store = SessionStore(opener())
    store.create("s1", "architect", "local")
    return store


def test_a_lease_is_renewed_and_released_only_by_its_holder(opener: Opener) -> None:
    store = _session(opener)
    lease = store.claim("s1", 30)
    assert lease is not None
    assert SessionStore(opener()).claim("s1", 30) is None  # another process: still held
    renewed = store.renew("s1", lease, 30)
    assert renewed is not None and renewed >= lease
    if renewed != lease:
        assert store.renew("s1", lease, 30) is None  # the old value no longer names the lease
    store.finish("s1", renewed, TurnUsage(tokens=12, cost_usd=0.5, seconds=2.0), completed=True)
    record = store.owned("s1", "local")
    assert record is not None
    assert (record.turns, record.tokens, record.cost_usd, record.seconds) == (1, 12, 0.5, 2.0)
    assert store.claim("s1", 30) is not None  # released


def test_a_lapsed_lease_passes_on_and_its_old_holder_cannot_release_it(opener: Opener) -> None:
    store = _session(opener)
    stale = store.claim("s1", 0.05)
    assert stale is not None
    time.sleep(0.1)  # the holder stopped renewing (its process died, or stalled)
    other = SessionStore(opener())
    taken = other.claim("s1", 30)
    assert taken is not None
    assert store.renew("s1", stale, 30) is None
    store.finish("s1", stale, TurnUsage(tokens=7), completed=False)  # the stalled turn ends late
    assert other.claim("s1", 30) is None  # still the new holder's
    record = store.owned("s1", "local")
    assert record is not None and (record.turns, record.tokens) == (0, 7)
    other.finish("s1", taken, TurnUsage(), completed=True)
    assert store.claim("s1", 30) is not None


def test_a_failed_turn_is_not_counted(opener: Opener) -> None:
    store = _session(opener)
    lease = store.claim("s1", 30)
    assert lease is not None
    store.finish("s1", lease, TurnUsage(), completed=False)
    record = store.owned("s1", "local")
    assert record is not None and (record.turns, record.tokens, record.seconds) == (0, 0, 0.0)
    assert store.claim("s1", 30) is not None


class _SlowRenewals(SessionStore):
    """A store whose renewal stalls after writing, as a thread preempted at that point would."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.written = threading.Event()
        self.go_on = threading.Event()

    def renew(self, session_id: str, lease: float, lease_s: float) -> float | None:
        renewed = super().renew(session_id, lease, lease_s)
        self.written.set()
        self.go_on.wait(10)
        return renewed


def test_a_turn_ending_during_a_renewal_still_releases_its_session(
    pg: PgServer, tmp_path: Path
) -> None:
    state = ServiceState.open(settings_for(tmp_path, pg))
    store = _SlowRenewals(state.db)
    state.sessions = store
    store.create("s1", "architect", "local")
    lease = store.claim("s1", state.settings.session_lease_s)
    assert lease is not None
    turn = Turn(state, "s1", "hello", RulesResponder(state, "sql", "local"), lease)
    renewal = threading.Thread(target=turn.renew)
    renewal.start()
    assert store.written.wait(10)  # the lease moved in the database, not yet in the turn
    finishing = threading.Thread(target=turn.finish, args=(TurnUsage(), True))
    finishing.start()
    finishing.join(0.5)  # the turn ends meanwhile (it waits for the renewal to land)
    store.go_on.set()
    renewal.join(10)
    finishing.join(10)
    assert store.claim("s1", 30) is not None  # released, not locked until the renewal ran out

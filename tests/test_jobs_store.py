"""The shared job table on SQLite and on the real PostgreSQL: atomic claims, leases, event logs."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from service_support import Opener, opener, state_database

from agent.events import Event
from agent.service.stores import JobStore, RateStore, SessionStore
from agent.store import open_database
from agent.store.statedb import TABLES
from tools.errors import DatabaseError
from tools.sql.server import PgServer

__all__ = ["opener"]  # the fixture, imported so pytest finds it


def _submit(store: JobStore, count: int) -> list[str]:
    ids = [f"job{i:03d}" for i in range(count)]
    for job_id in ids:
        store.submit(job_id, "design", {"n": job_id}, "token:a")
    return ids


def test_claims_take_the_oldest_job_once(opener: Opener) -> None:
    store = JobStore(opener())
    _submit(store, 2)
    first = store.claim("worker-a", lease_s=60)
    second = store.claim("worker-b", lease_s=60)
    assert first is not None and second is not None
    assert (first.id, first.status, first.owner, first.attempts) == (
        "job000",
        "running",
        "worker-a",
        1,
    )
    assert second.id == "job001"
    assert store.claim("worker-c", lease_s=60) is None


def test_concurrent_claimers_never_share_a_job(opener: Opener) -> None:
    ids = _submit(JobStore(opener()), 40)
    claimed: list[str] = []
    lock = threading.Lock()

    def drain(name: str) -> None:
        store = JobStore(opener())  # its own connection, like another server process
        while (job := store.claim(name, lease_s=60)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=drain, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(claimed) == ids
    assert max(Counter(claimed).values()) == 1


def test_a_job_whose_worker_stopped_beating_is_claimed_again(opener: Opener) -> None:
    store = JobStore(opener())
    _submit(store, 1)
    assert store.claim("dead", lease_s=60) is not None
    assert store.claim("alive", lease_s=60) is None  # the lease still holds
    time.sleep(0.05)
    again = store.claim("alive", lease_s=0.01)
    assert again is not None and (again.owner, again.attempts) == ("alive", 2)
    assert not store.finish("job000", "dead", "done", {"late": True})  # a lost lease loses it
    assert not store.heartbeat("job000", "dead")
    assert store.heartbeat("job000", "alive")
    assert store.finish("job000", "alive", "done", {"ok": True}, usage=(120, 0.25))
    done = store.get("job000")
    assert done is not None and (done.status, done.result) == ("done", {"ok": True})
    assert store.model_usage() == (120, 0.25)


def test_only_an_interrupted_job_can_be_queued_again(opener: Opener) -> None:
    store = JobStore(opener())
    _submit(store, 1)
    assert not store.requeue("job000", {"answers": {}})  # queued, not interrupted
    store.claim("w", lease_s=60)
    store.finish("job000", "w", "interrupted", {"questions": [{"path": "consistency"}]})
    assert store.requeue("job000", {"answers": {"consistency": "strong"}})
    job = store.get("job000")
    assert job is not None and job.status == "queued" and job.payload["answers"]
    assert store.claim("w2", lease_s=60) is not None


def test_answers_start_a_jobs_attempts_again(opener: Opener) -> None:
    """An interrupted run that is answered is a new run, not another try of a crashing one."""
    store = JobStore(opener())
    _submit(store, 1)
    for attempt in (1, 2):
        claimed = store.claim("w", lease_s=0)
        assert claimed is not None and claimed.attempts == attempt
    assert store.finish("job000", "w", "interrupted", {"questions": []})
    assert store.requeue("job000", {"answers": {}})
    job = JobStore(opener()).get("job000")
    assert job is not None and (job.status, job.attempts) == ("queued", 0)


def test_events_are_numbered_per_job_and_set_the_stage(opener: Opener) -> None:
    store = JobStore(opener())
    _submit(store, 2)
    kinds = ["run_start", "stage_start", "gate_fail"]
    for kind in kinds:
        store.append_event("job000", Event(kind=kind, stage="schema", data={"gate": "ddl"}))  # type: ignore[arg-type]
    store.append_event("job001", Event(kind="run_start"))
    events = store.events_after("job000", 0)
    assert [(e.seq, e.event.kind) for e in events] == list(enumerate(kinds, start=1))
    assert [e.seq for e in store.events_after("job000", 2)] == [3]
    assert store.events_after("job001", 0)[0].seq == 1
    job = store.get("job000")
    assert job is not None and job.stage == "schema"
    assert store.gate_failures() == {"ddl": 1}
    assert store.counts() == {("design", "queued"): 2}


def test_rate_windows_are_shared_between_connections(opener: Opener) -> None:
    first, second = RateStore(opener()), RateStore(opener())
    assert first.hit("token:abc")[0] == 1
    assert second.hit("token:abc")[0] == 2
    hits, reset_s = first.hit("token:other")
    assert hits == 1 and 0 < reset_s <= 60


def test_state_url_must_be_postgresql(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="postgresql://"):
        open_database("mysql://somewhere/db", tmp_path / "x.sqlite")


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, pg: PgServer, tmp_path: Path) -> Iterator[str | None]:
    """One shared state database: None for the SQLite file under tmp_path, else its URL."""
    if request.param == "sqlite":
        yield None
        return
    with state_database(pg) as url:
        yield url


def _old_release(state: str | None, tmp_path: Path) -> None:
    """The state database as the first release left it: its tables, one job, one session."""
    rows = [
        "INSERT INTO jobs (id, kind, status, payload, created_at, updated_at) "
        "VALUES ('old', 'design', 'done', '{}', 1, 1)",
        "INSERT INTO chat_sessions (id, persona, created_at, updated_at) "
        "VALUES ('old', 'architect', 1, 1)",
    ]
    if state is None:
        with sqlite3.connect(tmp_path / "service.sqlite") as db:
            for statement in [*TABLES, *rows]:
                db.execute(statement)
        return
    with psycopg.connect(state, autocommit=True) as conn:
        for statement in [*TABLES, *rows]:
            conn.execute(statement)


def test_an_older_state_database_gains_owner_columns(state: str | None, tmp_path: Path) -> None:
    _old_release(state, tmp_path)
    db = open_database(state, tmp_path / "service.sqlite")
    # a second process: adds nothing twice
    open_database(state, tmp_path / "service.sqlite").close()
    jobs, sessions = JobStore(db), SessionStore(db)
    old_job = jobs.get("old")
    assert old_job is not None and old_job.principal == "local"  # what a tokenless server was
    assert jobs.owned("old", "design", "local") is not None
    assert jobs.owned("old", "design", "token:someone") is None
    assert sessions.owned("old", "local") is not None
    assert sessions.owned("old", "token:someone") is None
    db.close()  # before the state database is dropped

"""Chat against real `dbarch serve` processes on loopback.

A session survives its server: after kill -9 of the process answering a message, the session
takes its next message on another server (two processes on shared PostgreSQL state) within a
minute, and nothing of the crashed turn is counted. And a new process answers its first
message without holding up its other requests.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from conftest import REPO
from service_support import read_sse, state_database

from agent.llm import Reply
from agent.llm.scripted.server import ScriptedAnthropicServer
from tools.sql.server import PgServer

sys.path.insert(0, str(REPO))  # benchmarks/ is a folder of scripts, not an installed package
from benchmarks.service_procs import ServerProcess, serve, server_env

TAKEOVER_LIMIT_S = 60.0
# The first message once held the event loop ~1 s (the SDK imported, the client built, the
# graph run for the first time); a health check is a few milliseconds of it.
HEALTH_LIMIT_S = 0.5


class _Model:
    """The first call hangs (the turn the crash interrupts); later calls answer at once."""

    def __init__(self) -> None:
        self.first_call = threading.Event()

    def __call__(self, body: dict[str, Any]) -> Reply:
        if not self.first_call.is_set():
            self.first_call.set()
            return Reply.text("never delivered", delay_s=120)
        return Reply.text("Answered by the other server.")


def _send_in_background(server: ServerProcess, session_id: str) -> threading.Thread:
    def send() -> None:
        try:
            with httpx.stream("POST", f"{server.url}/v1/sessions/{session_id}/messages",
                              json={"content": "first"}, timeout=180) as response:  # fmt: skip
                for _ in response.iter_lines():
                    pass
        except httpx.HTTPError:
            pass  # the server is killed under it

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _send_until_accepted(server: ServerProcess, session_id: str) -> tuple[float, list[Any]]:
    """Post the next message until the session takes it; (seconds it took, its events)."""
    started = time.monotonic()
    url = f"{server.url}/v1/sessions/{session_id}/messages"
    while time.monotonic() - started < TAKEOVER_LIMIT_S:
        with httpx.stream("POST", url, json={"content": "second"}, timeout=60) as response:
            if response.status_code == 200:
                return time.monotonic() - started, read_sse(response)
            assert response.status_code == 409, response.read()
        time.sleep(0.5)
    raise AssertionError(f"the session took no message within {TAKEOVER_LIMIT_S}s")


def test_a_session_whose_server_was_killed_continues_on_another(
    pg: PgServer, tmp_path: Path
) -> None:
    model_script = _Model()
    with (
        ScriptedAnthropicServer(model_script) as model,
        state_database(pg) as url,
        ExitStack() as stack,
    ):
        env = {"DATABASE_URL": pg.url, "DBARCH_STATE_URL": url}
        servers = [
            stack.enter_context(
                serve(server_env(tmp_path / name, model.base_url, **env), tmp_path, name)
            )
            for name in ("doomed", "survivor")
        ]
        doomed, survivor = servers
        session_id = httpx.post(f"{doomed.url}/v1/sessions", json={}).json()["id"]
        _send_in_background(doomed, session_id)
        assert model_script.first_call.wait(60), "the first message never reached the model"
        doomed.kill()
        seconds, events = _send_until_accepted(survivor, session_id)
        session = httpx.get(f"{survivor.url}/v1/sessions/{session_id}").json()
    assert seconds < TAKEOVER_LIMIT_S
    assert events[-1].event == "done"
    assert session["turns"] == 1  # the crashed turn is not counted
    assert session["messages"][-1]["role"] == "assistant"
    assert session["messages"][-1]["content"][0]["text"] == "Answered by the other server."
    assert [m["content"] for m in session["messages"] if m["role"] == "user"][-1] == "second"


def test_the_first_message_of_a_new_server_does_not_hold_up_healthz(
    pg: PgServer, tmp_path: Path
) -> None:
    latencies: list[float] = []
    done = threading.Event()
    with ScriptedAnthropicServer([Reply.text("Hello.", delay_s=0.5)], repeat=True) as model:
        env = server_env(tmp_path / "home", model.base_url, DATABASE_URL=pg.url)
        with serve(env, tmp_path, "fresh") as server, httpx.Client(base_url=server.url) as client:
            probe = threading.Thread(target=_poll_health, args=(server.url, done, latencies))
            probe.start()
            session_id = client.post("/v1/sessions", json={}).json()["id"]
            url = f"/v1/sessions/{session_id}/messages"
            with client.stream("POST", url, json={"content": "hi"}, timeout=60) as response:
                events = read_sse(response)
            done.set()
            probe.join()
    assert events[-1].event == "done"
    assert len(latencies) >= 5
    assert max(latencies) < HEALTH_LIMIT_S, sorted(latencies)[-5:]


def _poll_health(url: str, done: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not done.is_set():
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.02)

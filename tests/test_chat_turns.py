"""How a chat turn ends when something fails: always a final event, never a turn counted that
did not complete, never the model's spend billed for the service's own failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from service_support import SseEvent, local_client, read_sse, settings_for

from agent.llm import Reply
from agent.llm.scripted.server import ScriptedAnthropicServer
from agent.service import create_app
from agent.service.config import ServiceSettings
from tools.sql.server import PgServer


def _say(client: TestClient, session_id: str, text: str) -> list[SseEvent]:
    with client.stream("POST", f"/v1/sessions/{session_id}/messages", json={"content": text}) as r:
        assert r.status_code == 200, r.read()
        return read_sse(r)


def _chat(home: Path, pg: PgServer, model: ScriptedAnthropicServer, **kw: Any) -> ServiceSettings:
    return settings_for(home, pg, ANTHROPIC_BASE_URL=model.base_url, mount_mcp=False, **kw)


def test_a_failed_model_call_ends_the_stream_and_is_not_counted(
    pg: PgServer, tmp_path: Path
) -> None:
    script = [Reply.error(400, error_message="bad request"), Reply.text("Now it works.")]
    with (
        ScriptedAnthropicServer(script) as model,
        local_client(create_app(_chat(tmp_path, pg, model))) as client,
    ):
        session_id = client.post("/v1/sessions", json={}).json()["id"]
        failed = _say(client, session_id, "first")
        after_failure = client.get(f"/v1/sessions/{session_id}").json()
        answered = _say(client, session_id, "second")  # the session was released
        after = client.get(f"/v1/sessions/{session_id}").json()
    assert failed[-1].event == "error" and failed[-1].data["type"] == "ModelCallFailed"
    assert after_failure["turns"] == 0
    assert answered[-1].event == "done"
    assert after["turns"] == 1
    assert after["messages"][-1]["content"][0]["text"] == "Now it works."


def test_a_turn_the_state_store_loses_ends_with_an_error_and_is_not_billed(
    pg: PgServer, tmp_path: Path
) -> None:
    settings_holder: list[ServiceSettings] = []

    def lose_the_checkpoints(body: dict[str, Any]) -> Reply:
        """The model answers, but meanwhile the chat checkpoint tables are gone."""
        with sqlite3.connect(settings_holder[0].chat_checkpoints) as db:
            db.execute("DROP TABLE checkpoints")
            db.execute("DROP TABLE writes")
        return Reply.text("An answer that cannot be kept.")

    with ScriptedAnthropicServer(lose_the_checkpoints) as model:
        settings = _chat(tmp_path, pg, model)
        settings_holder.append(settings)
        app = create_app(settings)
        with local_client(app) as client:
            session_id = client.post("/v1/sessions", json={}).json()["id"]
            events = _say(client, session_id, "hello")
            record = app.state.service.sessions.owned(session_id, "local")
            released = app.state.service.sessions.claim(session_id, 10)
    assert events[-1].event == "error"
    assert events[-1].data["type"] == "DatabaseError"
    assert "not counted" in events[-1].data["message"]
    assert (record.turns, record.tokens, record.cost_usd) == (0, 0, 0.0)
    assert released is not None


def test_a_turn_whose_lease_is_taken_over_stops_with_an_error(pg: PgServer, tmp_path: Path) -> None:
    taken = 4_000_000_000.0  # another server's lease, as its claim would have written it
    settings_holder: list[ServiceSettings] = []

    def take_over(body: dict[str, Any]) -> Reply:
        with sqlite3.connect(settings_holder[0].state_path) as db:
            db.execute("UPDATE chat_sessions SET busy_until = ?", (taken,))
        return Reply.text("Too late.", delay_s=3.0)

    with ScriptedAnthropicServer(take_over) as model:
        settings = _chat(tmp_path, pg, model, session_lease_s=0.9)
        settings_holder.append(settings)
        app = create_app(settings)
        with local_client(app) as client:
            session_id = client.post("/v1/sessions", json={}).json()["id"]
            events = _say(client, session_id, "hello")
            session = client.get(f"/v1/sessions/{session_id}").json()
            still_taken = app.state.service.sessions.claim(session_id, 10) is None
    assert events[-1].event == "error" and events[-1].data["type"] == "LeaseLost"
    assert session["turns"] == 0
    assert [m["role"] for m in session["messages"]] == ["user"]  # no answer kept
    assert still_taken  # the lease stays with the server that took it

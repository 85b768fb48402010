"""Chat sessions: rules fallback, a scripted model's stream, budgets, history across restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from fastapi.testclient import TestClient
from service_support import (
    SseEvent,
    live_server,
    local_client,
    read_sse,
    settings_for,
    state_database,
)

from agent.llm import Reply
from agent.llm.scripted.server import ScriptedAnthropicServer
from agent.personas import default_library
from agent.service import create_app
from tools.sql.server import PgServer

SHOP = (FIXTURES / "service" / "shop.sql").read_text(encoding="utf-8")


def _client(home: Path, pg: PgServer, **overrides: Any) -> TestClient:
    return local_client(create_app(settings_for(home, pg, mount_mcp=False, **overrides)))


def _say(client: TestClient, session_id: str, text: str) -> list[SseEvent]:
    with client.stream("POST", f"/v1/sessions/{session_id}/messages", json={"content": text}) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        return read_sse(r)


def test_sql_without_a_model_is_reviewed_and_survives_a_restart(
    pg: PgServer, tmp_path: Path
) -> None:
    with _client(tmp_path, pg) as client:
        created = client.post("/v1/sessions", json={})
        assert created.status_code == 201
        session_id = created.json()["id"]
        assert created.json()["persona"] == "architect"
        events = _say(client, session_id, f"Please look at this:\n```sql\n{SHOP}```")
    assert [e.event for e in events] == ["tool_call", "tool_result", "text_delta", "done"]
    assert events[0].data["name"] == "review_schema"
    assert '"valid":true' in events[1].data["content"]
    assert "fk-without-index" in events[2].data["text"]
    with _client(tmp_path, pg) as restarted:  # a new app instance on the same home
        session = restarted.get(f"/v1/sessions/{session_id}").json()
    assert session["turns"] == 1
    roles = [m["role"] for m in session["messages"]]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert session["messages"][1]["content"][0]["name"] == "review_schema"
    assert session["messages"][3]["content"][0]["text"] == events[2].data["text"]


def test_sessions_on_postgresql_state_are_shared_across_homes(pg: PgServer, tmp_path: Path) -> None:
    with state_database(pg) as url:
        with _client(tmp_path / "one", pg, DBARCH_STATE_URL=url) as client:
            session_id = client.post("/v1/sessions", json={}).json()["id"]
            _say(client, session_id, SHOP)
            health = client.get("/healthz").json()
        with _client(tmp_path / "two", pg, DBARCH_STATE_URL=url) as elsewhere:
            session = elsewhere.get(f"/v1/sessions/{session_id}").json()
    assert health["checks"]["checkpointer"]["sessions"] == "postgresql"
    assert session["turns"] == 1
    assert [m["role"] for m in session["messages"]] == ["user", "assistant", "user", "assistant"]


def test_a_spec_without_a_model_queues_a_design(pg: PgServer, tmp_path: Path) -> None:
    spec = (Path(__file__).parents[1] / "examples" / "task-tracker.yaml").read_text()
    with _client(tmp_path, pg, workers=0) as client:
        session_id = client.post("/v1/sessions", json={}).json()["id"]
        events = _say(client, session_id, spec)
        result = events[1].data
        assert events[0].data["name"] == "design" and not result["is_error"]
        job_id = result["content"].split('"id": "')[1].split('"')[0]
        design = client.get(f"/v1/designs/{job_id}").json()
    assert design["status"] == "queued"
    assert job_id in events[2].data["text"]


def test_plain_text_without_a_model_is_422_saying_what_to_set(pg: PgServer, tmp_path: Path) -> None:
    with _client(tmp_path, pg) as client:
        session_id = client.post("/v1/sessions", json={}).json()["id"]
        response = client.post(
            f"/v1/sessions/{session_id}/messages", json={"content": "How do I shard a table?"}
        )
        again = client.get(f"/v1/sessions/{session_id}").json()
    assert response.status_code == 422  # this server cannot answer that message: not a 5xx
    assert response.json()["problems"][0]["path"] == "body.content"
    assert "ANTHROPIC_API_KEY" in response.json()["message"]
    assert again["turns"] == 0 and again["messages"] == []


def test_unknown_persona_is_422(pg: PgServer, tmp_path: Path) -> None:
    with _client(tmp_path, pg) as client:
        response = client.post("/v1/sessions", json={"persona": "dba-from-mars"})
    assert response.status_code == 422
    assert response.json()["problems"][0]["path"] == "body"
    assert "architect" in response.json()["message"]


def test_turn_budget_refuses_the_next_message_with_409(pg: PgServer, tmp_path: Path) -> None:
    with _client(tmp_path, pg, session_max_turns=1) as client:
        session_id = client.post("/v1/sessions", json={}).json()["id"]
        _say(client, session_id, SHOP)
        refused = client.post(f"/v1/sessions/{session_id}/messages", json={"content": SHOP})
    assert refused.status_code == 409
    body = refused.json()
    assert (body["type"], body["budget"], body["limit"], body["used"]) == (
        "BudgetExceeded",
        "turns",
        1,
        1,
    )


def test_a_busy_session_refuses_a_second_message(pg: PgServer, tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, pg, mount_mcp=False))
    with local_client(app) as client:
        session_id = client.post("/v1/sessions", json={}).json()["id"]
        assert app.state.service.sessions.claim(session_id, 60)
        busy = client.post(f"/v1/sessions/{session_id}/messages", json={"content": SHOP})
    assert busy.status_code == 409
    assert "still answering" in busy.json()["message"]


def _scripted_turn() -> list[Reply]:
    check = Reply.tool(("validate_ddl", {"schema": SHOP, "name": "shop.sql"}), text="Checking it. ")
    return [check, Reply.text("It applies cleanly on PostgreSQL 18.")]


def test_chat_streams_a_scripted_models_deltas_and_tool_calls(pg: PgServer, tmp_path: Path) -> None:
    with ScriptedAnthropicServer(_scripted_turn()) as model:
        settings = settings_for(tmp_path, pg, ANTHROPIC_BASE_URL=model.base_url, mount_mcp=False)
        with live_server(settings) as server, server.client() as client:
            session_id = client.post("/v1/sessions", json={}).json()["id"]
            with client.stream(
                "POST", f"/v1/sessions/{session_id}/messages", json={"content": "check my DDL"}
            ) as response:
                events = read_sse(response)
            session = client.get(f"/v1/sessions/{session_id}").json()
            metrics = client.get("/metrics").text
        sent = model.exchanges
    kinds = [e.event for e in events]
    assert kinds.index("text_delta") < kinds.index("tool_call") < kinds.index("tool_result")
    assert kinds[-1] == "done"
    text = "".join(e.data["text"] for e in events if e.event == "text_delta")
    assert text == "Checking it. It applies cleanly on PostgreSQL 18."
    call = next(e.data for e in events if e.event == "tool_call")
    assert call["name"] == "validate_ddl"
    result = next(e.data for e in events if e.event == "tool_result")
    assert '"valid":true' in result["content"] and not result["is_error"]
    assert len(sent) == 2
    assert "validate_ddl" in {tool["name"] for tool in sent[0].body["tools"]}
    assert sent[0].body["system"][0]["text"] == default_library().persona("architect").body
    assert session["turns"] == 1 and session["tokens"] > 0 and session["cost_usd"] > 0
    assert [m["role"] for m in session["messages"]] == ["user", "assistant", "user", "assistant"]
    assert f'dbarch_model_tokens_total{{source="chat"}} {session["tokens"]}' in metrics


def test_token_budget_stops_a_turn_and_then_refuses(pg: PgServer, tmp_path: Path) -> None:
    with ScriptedAnthropicServer(_scripted_turn()) as model:
        settings = settings_for(
            tmp_path, pg, ANTHROPIC_BASE_URL=model.base_url, session_max_tokens=50
        )
        with local_client(create_app(settings.model_copy(update={"mount_mcp": False}))) as client:
            session_id = client.post("/v1/sessions", json={}).json()["id"]
            events = _say(client, session_id, "check my DDL")
            refused = client.post(f"/v1/sessions/{session_id}/messages", json={"content": "more"})
    error = events[-1]
    assert error.event == "error"
    assert (error.data["type"], error.data["budget"]) == ("LoopBudgetExceeded", "tokens")
    assert refused.status_code == 409
    assert refused.json()["budget"] == "tokens"


@pytest.mark.parametrize("content", ["", None])
def test_an_empty_message_is_422(pg: PgServer, tmp_path: Path, content: str | None) -> None:
    with _client(tmp_path, pg) as client:
        session_id = client.post("/v1/sessions", json={}).json()["id"]
        response = client.post(f"/v1/sessions/{session_id}/messages", json={"content": content})
    assert response.status_code == 422
    assert response.json()["problems"][0]["path"] == "body.content"

"""API tokens separate callers: what one token creates (design runs, eval runs, chat sessions,
their event streams) is a 404 for every other token, exactly like an id that does not exist."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import yaml
from conftest import FIXTURES
from service_support import LiveServer, live_server, read_sse, settings_for

from agent.service.state import ServiceState
from tools.sql.server import PgServer

ALICE = "alice-token-0123456789"
BOB = "bob-token-9876543210"
NOTES = (FIXTURES / "service" / "notes.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shared(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("owners")
    settings = settings_for(home, pg, DBARCH_API_TOKENS=f"{ALICE},{BOB}", workers=0, sse_max_s=1.0)
    with live_server(settings) as server:
        yield server


def _alices_things(client: httpx.Client) -> dict[str, str]:
    design = client.post("/v1/designs", json={"spec": yaml.safe_load(NOTES)}).json()["id"]
    evaluation = client.post("/v1/evals", json={"cases": ["saas-tasks"]}).json()["id"]
    session = client.post("/v1/sessions", json={}).json()["id"]
    return {"design": design, "eval": evaluation, "session": session}


def _reads(ids: dict[str, str]) -> list[tuple[str, str, dict[str, object] | None]]:
    """Every route that reads or writes something by id: method, path, JSON body."""
    design, evaluation, session = ids["design"], ids["eval"], ids["session"]
    return [
        ("GET", f"/v1/designs/{design}", None),
        ("GET", f"/v1/designs/{design}/events", None),
        ("POST", f"/v1/designs/{design}/answers", {"answers": {}}),
        ("GET", f"/v1/evals/{evaluation}", None),
        ("GET", f"/v1/evals/{evaluation}/events", None),
        ("GET", f"/v1/sessions/{session}", None),
        ("POST", f"/v1/sessions/{session}/messages", {"content": "CREATE TABLE t (id int);"}),
    ]


def test_another_token_gets_404_for_everything_by_id(shared: LiveServer) -> None:
    with shared.client(ALICE) as alice, shared.client(BOB) as bob:
        ids = _alices_things(alice)
        nobodys = {kind: "0" * 32 for kind in ids}
        for (method, path, body), (_, missing, _) in zip(_reads(ids), _reads(nobodys), strict=True):
            theirs = bob.request(method, path, json=body)
            unknown = bob.request(method, missing, json=body)
            assert theirs.status_code == unknown.status_code == 404, (path, theirs.text)
            assert theirs.json()["type"] == "NotFound"
            said = theirs.json()["message"]
            assert unknown.json()["message"] == said.replace(path.split("/")[3], "0" * 32)
        own = {path: alice.get(path).status_code for m, path, _ in _reads(ids) if m == "GET"}
    assert set(own.values()) == {200}, own


def test_a_design_queued_from_a_chat_belongs_to_the_sessions_owner(shared: LiveServer) -> None:
    with shared.client(ALICE) as alice, shared.client(BOB) as bob:
        session = alice.post("/v1/sessions", json={}).json()["id"]
        with alice.stream(
            "POST", f"/v1/sessions/{session}/messages", json={"content": NOTES}
        ) as response:
            events = read_sse(response)
        result = next(e for e in events if e.event == "tool_result")
        job_id = yaml.safe_load(result.data["content"])["id"]
        assert alice.get(f"/v1/designs/{job_id}").status_code == 200
        assert bob.get(f"/v1/designs/{job_id}").status_code == 404


def test_the_owner_is_a_hash_never_the_token(shared: LiveServer) -> None:
    state: ServiceState = shared.app.state.service
    with shared.client(ALICE) as alice:
        ids = _alices_things(alice)
        session_view = alice.get(f"/v1/sessions/{ids['session']}").json()
    job = state.jobs.get(ids["design"])
    assert job is not None and job.principal.startswith("token:")
    stored = repr(state.db.query("SELECT * FROM jobs")) + repr(
        state.db.query("SELECT * FROM chat_sessions")
    )
    assert ALICE not in stored and BOB not in stored
    assert "principal" not in session_view  # not even the hash goes back out

"""Design jobs end to end on a live server: queue, events over SSE, package, answers, scale-out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from conftest import FIXTURES
from service_support import (
    LiveServer,
    SseEvent,
    live_server,
    local_client,
    read_sse,
    settings_for,
    state_database,
)

from agent.service import create_app
from tools.sql.server import PgServer

NOTES = yaml.safe_load((FIXTURES / "service" / "notes.yaml").read_text(encoding="utf-8"))
STAGES = ["requirements", "technology", "schema", "indexes", "scaling", "adr"]


def _wait(client: httpx.Client, job_id: str, until: set[str], timeout_s: float = 240) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = client.get(f"/v1/designs/{job_id}").json()
        if view["status"] in until:
            return view
        time.sleep(0.2)
    raise AssertionError(f"design {job_id} still {view['status']} after {timeout_s} s")


def _events(server: LiveServer, job_id: str, last_id: int | None = None) -> list[SseEvent]:
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    with (
        server.client() as client,
        client.stream("GET", f"/v1/designs/{job_id}/events", headers=headers) as response,
    ):
        assert response.status_code == 200
        return read_sse(response)


def _check_order(events: list[SseEvent]) -> None:
    kinds = [e.event for e in events]
    assert kinds[0] == "run_start" and kinds[-2:] == ["run_done", "end"]
    assert [int(e.id or 0) for e in events[:-1]] == list(range(1, len(events)))
    started = [e.data["stage"] for e in events if e.event == "stage_start"]
    assert list(dict.fromkeys(started)) == STAGES
    for stage in STAGES:  # each stage starts, then its gates pass, before the next starts
        first_start = kinds.index("stage_start", started.index(stage))
        passes = [
            i for i, e in enumerate(events) if e.event == "gate_pass" and e.data["stage"] == stage
        ]
        assert passes and min(passes) > first_start
    retries = [e for e in events if e.event == "retry"]
    assert all(e.data["stage"] in STAGES for e in retries)


def test_a_design_job_runs_to_a_package_with_its_events_in_order(
    pg: PgServer, tmp_path: Path
) -> None:
    with live_server(settings_for(tmp_path, pg, mount_mcp=False)) as server:
        with server.client() as client:
            accepted = client.post("/v1/designs", json={"spec": NOTES})
            assert accepted.status_code == 202
            job_id = accepted.json()["id"]
            assert accepted.headers["location"] == f"/v1/designs/{job_id}"
            live = _events(server, job_id)  # connected while the run goes on
            view = _wait(client, job_id, {"done", "failed"})
            metrics = client.get("/metrics").text
        replay = _events(server, job_id)  # a client that connects after the end
        tail = _events(server, job_id, last_id=len(replay) - 3)  # a reconnecting client
    assert view["status"] == "done", view["message"]
    package = view["package"]
    assert package["name"] == "notes" and package["brain"] == "rules"
    assert "CREATE TABLE notes" in package["schema_design"]["ddl"]
    assert view["stage"] == "adr" and view["questions"] == []
    _check_order(live)
    assert [(e.event, e.id) for e in replay] == [(e.event, e.id) for e in live]
    assert [e.event for e in tail] == [e.event for e in replay[-3:]]
    assert 'dbarch_design_runs{status="done"} 1' in metrics


def test_an_interrupted_run_resumes_with_answers(pg: PgServer, tmp_path: Path) -> None:
    spec = {k: v for k, v in NOTES.items() if k not in ("consistency", "workload")}
    body = {"spec": spec, "interactive": True}
    with live_server(settings_for(tmp_path, pg, mount_mcp=False)) as server:
        with server.client() as client:
            job_id = client.post("/v1/designs", json=body).json()["id"]
            stopped = _wait(client, job_id, {"interrupted", "done", "failed"})
            answer = {"answers": {"consistency": "eventual"}}
            answered = client.post(f"/v1/designs/{job_id}/answers", json=answer)
            twice = client.post(f"/v1/designs/{job_id}/answers", json=answer)
            done = _wait(client, job_id, {"done", "failed"})
        events = _events(server, job_id)
    assert stopped["status"] == "interrupted"
    assert [q["path"] for q in stopped["questions"]] == ["consistency"]
    assert stopped["package"] is None
    assert answered.status_code == 202
    assert twice.status_code == 409 and "not waiting for answers" in twice.json()["message"]
    assert done["status"] == "done", done["message"]
    assert done["package"]["spec"]["consistency"] == "eventual"
    kinds = [e.event for e in events]
    assert kinds.count("run_start") == 2
    assert kinds.index("interrupt") < kinds.index("run_start", 1) < kinds.index("run_done")


def test_two_servers_sharing_postgresql_run_each_job_once(pg: PgServer, tmp_path: Path) -> None:
    with state_database(pg) as url:
        settings = settings_for(tmp_path, pg, DBARCH_STATE_URL=url, mount_mcp=False)
        with live_server(settings) as first, live_server(settings) as second:
            ids = []
            for index, server in enumerate([first, second, first]):
                with server.client() as client:
                    spec = {**NOTES, "name": f"notes-{index}"}
                    ids.append(client.post("/v1/designs", json={"spec": spec}).json()["id"])
            with second.client() as client:
                views = [_wait(client, job_id, {"done", "failed"}) for job_id in ids]
            events = {job_id: _events(first, job_id) for job_id in ids}
    assert [v["status"] for v in views] == ["done"] * 3
    assert [v["package"]["name"] for v in views] == ["notes-0", "notes-1", "notes-2"]
    for job_events in events.values():
        assert [e.event for e in job_events].count("run_start") == 1


def test_the_anthropic_brain_without_a_model_is_422_naming_the_field(
    pg: PgServer, tmp_path: Path
) -> None:
    with local_client(create_app(settings_for(tmp_path, pg, mount_mcp=False))) as client:
        response = client.post("/v1/designs", json={"spec": NOTES, "brain": "anthropic"})
        evals = client.post("/v1/evals", json={"brain": "anthropic"})
    for refused in (response, evals):
        assert refused.status_code == 422  # a brain this server cannot run: not a 5xx
        assert refused.json()["problems"][0]["path"] == "body.brain"
        assert "ANTHROPIC_API_KEY" in refused.json()["message"]


def test_a_job_left_by_a_dead_worker_is_claimed_and_finished(pg: PgServer, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, pg, mount_mcp=False, workers=0)
    app = create_app(settings)
    jobs = app.state.service.jobs
    with local_client(app) as client:
        job_id = client.post("/v1/designs", json={"spec": NOTES}).json()["id"]
    dead = jobs.claim("crashed-process", lease_s=60)  # claimed, then its process "died"
    assert dead is not None and dead.id == job_id
    revived = settings.model_copy(update={"workers": 1, "job_lease_s": 0.3})
    with live_server(revived) as server, server.client() as client:
        view = _wait(client, job_id, {"done", "failed"})
    job = jobs.get(job_id)
    assert view["status"] == "done", view["message"]
    assert job is not None and job.attempts == 2 and job.owner != "crashed-process"

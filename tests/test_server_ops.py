"""/healthz and /metrics: health names each dependency; metrics parse with Prometheus's parser."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from service_support import settings_for

from agent.events import Event
from agent.service import create_app
from agent.service.state import ServiceState
from tools.sql.server import PgServer

SYNTAX = (FIXTURES / "service" / "syntax.sql").read_text(encoding="utf-8")


def _families(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            found.setdefault(sample.name, {})[labels] = sample.value
    return found


def test_healthz_reports_each_dependency(pg: PgServer, tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, pg, mount_mcp=False))) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert set(checks) == {"postgres", "state", "checkpointer"}
    assert checks["postgres"]["version"] >= 180000
    assert "password" not in checks["postgres"]["server"]
    assert checks["state"]["dialect"] == "sqlite"
    assert checks["checkpointer"]["sessions"] == "sqlite"


def test_healthz_is_503_when_postgres_is_unreachable(pg: PgServer, tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, pg, DATABASE_URL="postgresql://nobody@127.0.0.1:9/none", mount_mcp=False
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["postgres"]["ok"] is False
    assert "DatabaseError" in body["checks"]["postgres"]["error"]
    assert body["checks"]["state"]["ok"] is True


def test_metrics_count_requests_runs_gates_and_queue(pg: PgServer, tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, pg, mount_mcp=False, workers=0))
    state: ServiceState = app.state.service
    with TestClient(app) as client:
        assert client.post("/v1/review", json={"schema": SYNTAX}).status_code == 422
        for _ in range(2):
            client.get("/v1/designs/missing")
        spec = {"name": "notes", "entities": [{"name": "note", "attributes": {"body": "text!"}}]}
        job_id = client.post("/v1/designs", json={"spec": spec}).json()["id"]
        state.jobs.append_event(
            job_id, Event(kind="gate_fail", stage="schema", data={"gate": "ddl"})
        )
        response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    metrics = _families(response.text)
    requests = metrics["dbarch_http_requests_total"]
    key = (("method", "POST"), ("route", "/v1/review"), ("status", "422"))
    assert requests[key] == 1
    missing = (("method", "GET"), ("route", "/v1/designs/{job_id}"), ("status", "404"))
    assert requests[missing] == 2
    assert metrics["dbarch_design_runs"][(("status", "queued"),)] == 1
    assert metrics["dbarch_design_runs"][(("status", "done"),)] == 0
    assert metrics["dbarch_gate_failures_total"] == {(("gate", "ddl"),): 1}
    assert metrics["dbarch_job_queue_depth"][()] == 1
    assert metrics["dbarch_model_tokens_total"][(("source", "chat"),)] == 0
    assert metrics["dbarch_model_cost_usd_total"][(("source", "design"),)] == 0
    # written by prometheus_client: its Counter adds the series' creation time
    assert requests.keys() == metrics["dbarch_http_requests_created"].keys()

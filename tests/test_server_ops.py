"""/healthz and /metrics: health names each dependency; metrics parse with Prometheus's parser."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import ANY
from urllib.parse import parse_qs, urlsplit

import httpx
from conftest import FIXTURES
from prometheus_client.parser import text_string_to_metric_families
from service_support import live_server, local_client, settings_for, state_database

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


def test_healthz_reports_each_dependency_but_not_where_it_is(pg: PgServer, tmp_path: Path) -> None:
    with local_client(create_app(settings_for(tmp_path, pg, mount_mcp=False))) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert set(checks) == {"postgres", "state", "checkpointer"}
    assert checks["postgres"]["version"] >= 180000
    assert checks["state"]["dialect"] == "sqlite"
    assert checks["checkpointer"]["sessions"] == "sqlite"
    where = urlsplit(pg.url)
    for secret in ("user=", "dbname=", "host=", parse_qs(where.query)["host"][0], str(tmp_path)):
        assert secret not in response.text


def test_healthz_on_postgresql_state_opens_no_sqlite_checkpointer(
    pg: PgServer, tmp_path: Path
) -> None:
    with state_database(pg) as url:
        settings = settings_for(tmp_path, pg, DBARCH_STATE_URL=url, mount_mcp=False)
        with local_client(create_app(settings)) as client:
            response = client.get("/healthz")
    assert response.status_code == 200
    assert sorted(p.name for p in tmp_path.glob("*.sqlite")) == []


def test_healthz_is_503_when_postgres_is_unreachable_and_names_no_address(
    pg: PgServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path, pg, DATABASE_URL="postgresql://nobody@127.0.0.1:9/nowhere", mount_mcp=False
    )
    with local_client(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["postgres"] == {"ok": False, "error": "DatabaseError", "ms": ANY}
    assert body["checks"]["state"]["ok"] is True
    for secret in ("127.0.0.1", "nobody", "nowhere", "port", ":9"):
        assert secret not in response.text


def test_healthz_without_a_token_says_only_whether_it_is_healthy(
    pg: PgServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, pg, DBARCH_API_TOKENS="ops-token", mount_mcp=False)
    with live_server(settings) as server:
        anonymous = httpx.get(f"{server.url}/healthz", timeout=30)
        with server.client("ops-token") as client:
            detailed = client.get("/healthz")
        wrong = httpx.get(f"{server.url}/healthz", headers={"Authorization": "Bearer nope"})
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "ok"}
    assert detailed.status_code == 200 and detailed.json()["checks"]["postgres"]["ok"] is True
    assert wrong.status_code == 401  # a token is checked wherever one is presented


def test_metrics_count_requests_runs_gates_and_queue(pg: PgServer, tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, pg, mount_mcp=False, workers=0))
    state: ServiceState = app.state.service
    with local_client(app) as client:
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

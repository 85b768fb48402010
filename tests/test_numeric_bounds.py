"""Every number a caller may send is bounded where it enters, with a 422 naming the field:
query and header values, HTTP bodies, the requirements spec, MCP tool arguments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest
import yaml
from conftest import FIXTURES
from mcp import Client
from service_support import LiveServer, live_server, settings_for

from agent.service.mcp import build_server, catalogue_tools
from agent.spec import Requirements
from tools.sql.server import PgServer

HUGE = 99999999999999999999
NOTES = yaml.safe_load((FIXTURES / "service" / "notes.yaml").read_text(encoding="utf-8"))
SCHEMA = "CREATE TABLE t (id bigint PRIMARY KEY, a int);"


def _numbers(
    node: Any, defs: dict[str, Any], path: str, seen: set[str]
) -> Iterator[tuple[str, Any]]:
    """Every integer or number schema under `node`, following $refs once each."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            yield from _numbers(defs[ref.rsplit("/", 1)[1]], defs, f"{path}->{ref}", seen)
        if node.get("type") in ("integer", "number"):
            yield path, node
        for key, value in node.items():
            yield from _numbers(value, defs, f"{path}/{key}", seen)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _numbers(value, defs, f"{path}[{index}]", seen)


def _unbounded(schema: Any, defs: dict[str, Any], name: str) -> list[str]:
    found = []
    for path, node in _numbers(schema, defs, name, set()):
        low = "minimum" in node or "exclusiveMinimum" in node
        high = "maximum" in node or "exclusiveMaximum" in node
        if not (low and high):
            found.append(path)
    return found


@pytest.fixture(scope="module")
def server(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = settings_for(tmp_path_factory.mktemp("bounds"), pg, workers=0, sse_max_s=1.0)
    with live_server(settings) as live:
        yield live


def test_every_number_in_every_input_schema_is_bounded(server: LiveServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    defs = document["components"]["schemas"]
    inputs = [
        (f"{method} {path}", {"body": op.get("requestBody"), "params": op.get("parameters")})
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]
    unbounded = [p for name, schema in inputs for p in _unbounded(schema, defs, name)]
    spec = Requirements.model_json_schema()
    unbounded += _unbounded(spec, spec.get("$defs", {}), "spec")
    for tool in catalogue_tools():
        schema = tool.input_model.model_json_schema()
        unbounded += _unbounded(schema, schema.get("$defs", {}), f"mcp {tool.name}")
    assert unbounded == []


def _problem(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["problems"][0]["path"])


def test_event_streams_refuse_huge_resume_points(server: LiveServer) -> None:
    with server.client() as client:
        job = client.post("/v1/designs", json={"spec": NOTES}).json()["id"]
        events = f"/v1/designs/{job}/events"
        assert _problem(client.get(events, params={"after": HUGE})) == "query.after"
        for sent in (str(HUGE), "18446744073709551616", "-1", "1e9", "abc"):
            refused = client.get(events, headers={"Last-Event-ID": sent})
            assert _problem(refused) == "header.last-event-id", sent
        assert client.get(events, headers={"Last-Event-ID": "3"}).status_code == 200


def test_bodies_refuse_numbers_past_their_bounds(server: LiveServer) -> None:
    with server.client() as client:
        rows = client.post("/v1/review", json={"schema": SCHEMA, "rows": {"t": HUGE}})
        budget = client.post("/v1/review", json={"schema": SCHEMA, "budget": "9" * 20 + "TB"})
        jobs = client.post("/v1/evals", json={"jobs": HUGE})
        design_rows = client.post("/v1/designs", json={"spec": NOTES, "rows": {"notes": HUGE}})
    assert _problem(rows) == "body.rows.t"
    assert _problem(budget) == "body.budget"
    assert _problem(jobs) == "body.jobs"
    assert _problem(design_rows) == "body.rows.notes"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"entities": 0, "rows": HUGE}, "entities[0].rows"),
        ({"entities": 0, "rows": "99999999T"}, "entities[0].rows"),
        ({"access_patterns": 0, "per_second": 1e300}, "access_patterns[0].per_second"),
        ({"access_patterns": 0, "latency_ms": 1e300}, "access_patterns[0].latency_ms"),
        ({"retention": "9999999 years"}, "retention"),
        ({"rpo": 1e300}, "rpo"),
    ],
)
def test_spec_numbers_past_their_bounds_are_spec_errors(
    server: LiveServer, change: dict[str, Any], path: str
) -> None:
    spec = json.loads(json.dumps(NOTES))
    target = spec
    for key in ("entities", "access_patterns"):
        if key in change:
            target = spec[key][change.pop(key)]
    target.update(change)
    with server.client() as client:
        response = client.post("/v1/designs", json={"spec": spec})
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "SpecError"
    assert {p["path"] for p in response.json()["problems"]} == {path}


def test_infinity_in_json_is_refused(server: LiveServer) -> None:
    """Python's JSON reader takes `Infinity`; a bound is what stops it."""
    body = json.dumps({"spec": NOTES}).replace('"per_second": 50', '"per_second": Infinity')
    assert "Infinity" in body
    with server.client() as client:
        response = client.post(
            "/v1/designs", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 422
    assert "per_second" in response.json()["problems"][0]["path"]


def test_mcp_tools_refuse_numbers_past_their_bounds(pg: PgServer, tmp_path: Path) -> None:
    mcp = build_server(settings_for(tmp_path, pg), lambda: pg)
    arguments = {"schema": SCHEMA, "queries": "SELECT * FROM t WHERE a = 1", "rows": {"t": HUGE}}

    async def main() -> types.CallToolResult:
        async with Client(mcp) as client:
            return await client.call_tool("explain_queries", arguments)

    result = anyio.run(main)
    assert result.is_error
    block = result.content[0]
    assert isinstance(block, types.TextContent) and "rows.t" in block.text
